"""Street-front blocks on the demo town, both backends: generation (every street-front shop's
building in exactly one block, no overlaps, at most N buildings), regeneration keeping
assigned blocks, editing refusals, assignment rules and history."""

from datetime import date, timedelta

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import func, select

from geoapp.domain.errors import InvalidInput, NotFound
from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign import blocks
from geoapp.store.models import (
    AuditEvent,
    Block,
    BlockAssignment,
    BlockBuilding,
    Building,
    Street,
    Unit,
    User,
)
from tests.conftest import add_user

ADMIN = Scope(None, "admin", Role.ADMIN)
N = 8


def _metric(geoms):
    s = gpd.GeoSeries(list(geoms), crs=4326)
    return list(s.to_crs(32649).values)


def test_demo_town_blocks(demo_db, capsys):
    with demo_db.write() as s:
        result = blocks.generate_blocks(s, ADMIN, max_buildings=N, max_metres=150)
    with demo_db.session() as s:
        rows = s.execute(select(Block.id, Block.geom)).all()
        members = s.execute(select(BlockBuilding.block_id, BlockBuilding.building_id)).all()
        shop_buildings = set(s.scalars(select(Unit.building_id).where(Unit.kind == "shop")))
        all_shops = s.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "shop"))
        geoms = dict(s.execute(select(Building.id, Building.geom)).all())
        houses_on_market = s.scalar(
            select(func.count()).select_from(Building).join(Street, Street.id == Building.street_id)
            .where(Street.kind.in_(blocks.MARKET_KINDS))
        )  # fmt: skip
    per_block: dict[int, list[int]] = {}
    for b, h in members:
        per_block.setdefault(b, []).append(h)
    in_blocks = [h for _, h in members]
    assert len(in_blocks) == len(set(in_blocks)) >= houses_on_market  # each in exactly one block
    assert shop_buildings <= set(in_blocks) and len(shop_buildings) == all_shops == 280
    assert max(len(v) for v in per_block.values()) <= N
    shapes = dict(zip([r[0] for r in rows], _metric([r[1] for r in rows]), strict=True))
    tree = shapely.STRtree(list(shapes.values()))
    ids = list(shapes)
    a, b = tree.query(list(shapes.values()), predicate="intersects")
    for i, j in zip(a, b, strict=True):
        if i < j:
            assert shapes[ids[i]].intersection(shapes[ids[j]]).area < 0.01
    # exactly its buildings: no block holds another's (or an unblocked) building
    building_ids = list(geoms)
    bgeoms = _metric([geoms[i] for i in building_ids])
    btree = shapely.STRtree(bgeoms)
    owner = {h: blk for blk, h in members}
    for blk, shape in shapes.items():
        hit = {building_ids[k] for k in btree.query(shape, predicate="contains")}
        assert hit == set(per_block[blk])
    with capsys.disabled():
        print(f"\n  demo blocks (N={N}, 150 m): {result.blocks} blocks on {result.streets} streets, "
              f"{len(in_blocks)} buildings ({len(shop_buildings)} hosting shops), "
              f"largest {max(len(v) for v in per_block.values())}")  # fmt: skip
    assert result.blocks == len(rows) and owner


def test_regenerate_keeps_assigned_blocks(demo_db):
    add_user(demo_db, "officer2", "officer")
    with demo_db.write() as s:
        blocks.generate_blocks(s, ADMIN, max_buildings=N, max_metres=150)
    with demo_db.session() as s:
        first = s.scalar(select(Block.id).order_by(Block.id).limit(1))
        kept_members = set(
            s.scalars(select(BlockBuilding.building_id).where(BlockBuilding.block_id == first))
        )
    with demo_db.write() as s:
        blocks.assign_blocks(s, ADMIN, [first], "officer2", date.today() + timedelta(days=7))
    with demo_db.write() as s:
        again = blocks.generate_blocks(s, ADMIN, max_buildings=4, max_metres=150)
    assert again.kept == 1 and again.largest <= 4
    with demo_db.session() as s:
        assert (
            set(s.scalars(select(BlockBuilding.building_id).where(BlockBuilding.block_id == first)))
            == kept_members
        )
        counts = s.execute(
            select(BlockBuilding.building_id, func.count()).group_by(BlockBuilding.building_id)
        ).all()
        assert all(c == 1 for _, c in counts)
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "blocks.generate")
            )
            == 2
        )


def test_assignment_rules_and_history(demo_db):
    add_user(demo_db, "officer2", "officer")
    add_user(demo_db, "gone", "officer")
    with demo_db.write() as s:
        s.scalar(select(User).where(User.username == "gone")).disabled = True
    add_user(demo_db, "coll", "collector")
    with demo_db.write() as s:
        blocks.generate_blocks(s, ADMIN)
    with demo_db.session() as s:
        ids = s.scalars(select(Block.id).order_by(Block.id).limit(3)).all()
    later = date.today() + timedelta(days=10)
    with demo_db.write() as s, pytest.raises(InvalidInput, match="not a police officer"):
        blocks.assign_blocks(s, ADMIN, ids, "coll", later)
    with demo_db.write() as s, pytest.raises(InvalidInput, match="before today"):
        blocks.assign_blocks(s, ADMIN, ids, "officer2", date(2000, 1, 1))
    with demo_db.write() as s, pytest.raises(InvalidInput, match="disabled"):
        blocks.assign_blocks(s, ADMIN, ids, "gone", later)
    with demo_db.write() as s, pytest.raises(NotFound):
        blocks.assign_blocks(s, ADMIN, ids, "nobody", later)
    with demo_db.write() as s:
        blocks.assign_blocks(s, ADMIN, ids, "officer2", later)
        blocks.assign_blocks(s, ADMIN, ids[:1], "officer2", later + timedelta(days=1))
    with demo_db.session() as s:
        assert len(blocks.block_history(s, ids[0])) == 2
        assert s.scalar(select(func.count()).select_from(BlockAssignment)) == 4


def test_editing_refusals_change_nothing(demo_db):
    with demo_db.write() as s:
        blocks.generate_blocks(s, ADMIN)
    with demo_db.session() as s:
        b1, g1 = s.execute(select(Block.id, Block.geom).order_by(Block.id).limit(1)).one()
        before = s.scalar(select(func.count()).select_from(Block))
    officer = Scope(None, "officer", Role.OFFICER)
    x, y = g1.centroid.x, g1.centroid.y
    bowtie = shapely.Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001)])
    far = shapely.box(113.0, 26.5, 113.0005, 26.5005)
    cases = [
        (lambda s: blocks.create_block(s, officer, bowtie), "not a valid polygon"),
        (lambda s: blocks.create_block(s, officer, g1.buffer(0.0001)), "overlaps block"),
        (lambda s: blocks.create_block(s, officer, far), "holds no building"),
        (lambda s: blocks.split_block(s, officer, b1, shapely.LineString([(113.0, 26.5), (113.001, 26.5)])),
         "does not cross"),
    ]  # fmt: skip
    for call, message in cases:
        with demo_db.write() as s, pytest.raises(InvalidInput, match=message):
            call(s)
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Block)) == before
    # a split line across the block's middle, perpendicular to its longer side
    minx, miny, maxx, maxy = g1.bounds
    if maxx - minx > maxy - miny:
        cut = shapely.LineString([((minx + maxx) / 2, miny - 0.001), ((minx + maxx) / 2, maxy + 0.001)])
    else:
        cut = shapely.LineString([(minx - 0.001, (miny + maxy) / 2), (maxx + 0.001, (miny + maxy) / 2)])
    with demo_db.write() as s:
        try:
            got = blocks.split_block(s, officer, b1, cut)
        except InvalidInput as exc:  # a half without a house is refused; that is fine too
            assert "no building" in str(exc.args) or "holds no building" in exc.render(lambda m: m)
            return
    with demo_db.write() as s:
        merged = blocks.merge_blocks(s, officer, got["ids"][0], got["ids"][1])
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Block)) == before
        assert merged["id"] == b1
