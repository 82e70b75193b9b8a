"""Street-front blocks (沿街街区段): generate them along streets, edit them, assign them.

Generation cuts the frontage of the chosen streets (default: the market town's, streets
of kind ``main`` or ``market``) into blocks with ``spatial/blocks.py``; blocks already
assigned to an officer, or drawn by hand, are kept with their buildings, the others on
those streets are replaced. Every change is audited; a refused change stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from geoapp.domain.errors import Forbidden, InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import BEIJING
from geoapp.domain.roles import Role, Scope
from geoapp.domain.status import Status
from geoapp.domain.uses import UnitKind
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.campaign.settings import load_campaign
from geoapp.spatial import blocks as spatial
from geoapp.spatial.assign import nearest_within
from geoapp.spatial.crs import LONLAT, metric_crs_for
from geoapp.store.models import (
    Block,
    BlockAssignment,
    BlockBuilding,
    Building,
    Street,
    Unit,
    User,
    Village,
    VillageAssignment,
)

MARKET_KINDS = ("main", "market")  # the market town's streets (the demo's 余坪大道, 新街, 老街…)
SHOP_REACH_M = 40.0  # see generate_blocks
NEAR_M = 250.0  # buildings this close to a chosen street are kept out of its blocks unless they front it
ASSIGNERS = frozenset({Role.ADMIN})
BLOCK_EDITORS = frozenset({Role.OFFICER, Role.ADMIN})


def beijing_today() -> date:
    return (utcnow() + BEIJING).date()


@dataclass(frozen=True)
class GenerateResult:
    streets: int
    blocks: int
    buildings: int
    kept: int
    removed: int
    largest: int  # buildings in the largest new block


def _side_word(side: int) -> str:
    return "左侧" if side > 0 else "右侧"


def generate_blocks(
    session: Session,
    scope: Scope,
    street_ids: list[int] | None = None,
    *,
    max_buildings: int | None = None,
    max_metres: float | None = None,
) -> GenerateResult:
    campaign = load_campaign(session)
    n = max_buildings if max_buildings is not None else campaign.block_max_buildings
    m = max_metres if max_metres is not None else campaign.block_max_metres
    if n < 1:
        raise InvalidInput(N_("%(field)s must be at least 1; got %(value)s."), field="max_buildings", value=n)
    if m <= 0:
        raise InvalidInput(N_("%(field)s must be at least 1; got %(value)s."), field="max_metres", value=m)
    if street_ids:
        streets = session.scalars(select(Street).where(Street.id.in_(street_ids)).order_by(Street.id)).all()
        missing = sorted(set(street_ids) - {s.id for s in streets})
        if missing:
            raise NotFound(N_("No street %(id)s."), id=missing[0])
    else:
        streets = session.scalars(
            select(Street).where(Street.kind.in_(MARKET_KINDS)).order_by(Street.id)
        ).all()
    if not streets:
        raise InvalidInput(
            N_("No street to cut into blocks: name streets, or import the market town's streets.")
        )
    chosen = [s.id for s in streets]
    kept_filter = (Block.officer_id.is_not(None)) | (Block.drawn.is_(True))
    old = session.scalars(select(Block.id).where(Block.street_id.in_(chosen), ~kept_filter)).all()
    if old:
        session.execute(delete(BlockBuilding).where(BlockBuilding.block_id.in_(old)))
        session.execute(delete(Block).where(Block.id.in_(old)))
    taken = set(session.scalars(select(BlockBuilding.building_id)))
    remaining_blocks = session.execute(select(Block.id, Block.geom)).all()
    minx = min(s.minx for s in streets)
    miny = min(s.miny for s in streets)
    maxx = max(s.maxx for s in streets)
    maxy = max(s.maxy for s in streets)
    pad = NEAR_M / 100_000  # degrees, roughly
    near = session.execute(
        select(Building.id, Building.geom, Building.street_id).where(
            Building.maxx >= minx - pad,
            Building.minx <= maxx + pad,
            Building.maxy >= miny - pad,
            Building.miny <= maxy + pad,
        )
    ).all()
    # A street-front shop whose house is nearer a lane or road than the chosen street still
    # fronts it (the shop faces the street): within SHOP_REACH_M it joins that street's blocks.
    shop_houses = set(
        session.scalars(
            select(Unit.building_id).where(Unit.kind == UnitKind.SHOP.value, Unit.building_id.is_not(None))
        )
    )
    loose = [r for r in near if r[2] not in chosen and r[0] in shop_houses and r[0] not in taken]
    fronts = {r[0]: r[2] for r in near}
    if loose:
        idx = nearest_within(np.array([r[1] for r in loose], dtype=object),
                             np.array([s.geom for s in streets], dtype=object), SHOP_REACH_M)  # fmt: skip
        fronts.update({r[0]: chosen[i] for r, i in zip(loose, idx, strict=True) if i >= 0})
    candidates = [(r[0], r[1], fronts[r[0]]) for r in near if fronts[r[0]] in chosen and r[0] not in taken]
    picked = {r[0] for r in candidates}
    others = [r[1] for r in near if r[0] not in picked]
    planned = spatial.plan_blocks(
        [(s.id, s.geom) for s in streets],
        np.array([r[1] for r in candidates], dtype=object),
        [r[2] for r in candidates],
        n,
        m,
        others=np.array(others, dtype=object),
        avoid=np.array([g for _, g in remaining_blocks], dtype=object),
    )
    # A stored name, so Chinese as the other stored names; an unnamed road is told apart by its id.
    names = {s.id: s.name or f"无名路（编号{s.id}）" for s in streets}
    counter: dict[tuple[int, int], int] = {}
    now = utcnow()
    stored = 0
    for plan in planned:
        if plan.geometry is None:
            continue
        key = (plan.street, plan.side)
        counter[key] = counter.get(key, 0) + 1
        block = Block(
            name=f"{names[plan.street]}{_side_word(plan.side)}第{counter[key]}段",
            street_id=plan.street,
            side=plan.side,
            at_m=round(plan.at_m, 1),
            drawn=False,
            created_at=now,
        )
        block.set_geometry(plan.geometry)
        session.add(block)
        session.flush()
        session.add_all(BlockBuilding(building_id=candidates[i][0], block_id=block.id) for i in plan.members)
        stored += 1
    result = GenerateResult(
        streets=len(streets),
        blocks=stored,
        buildings=sum(len(p.members) for p in planned),
        kept=int(
            session.scalar(
                select(func.count()).select_from(Block).where(Block.street_id.in_(chosen), kept_filter)
            )
            or 0
        ),
        removed=len(old),
        largest=max((len(p.members) for p in planned), default=0),
    )
    audit.record_by(
        session,
        scope,
        "blocks.generate",
        object_type="street",
        object_id=",".join(str(i) for i in chosen)[:200],
        changes={**result.__dict__, "max_buildings": n, "max_metres": m},
    )
    return result


# -- editing -----------------------------------------------------------------------------

PROBLEMS = {
    "invalid": N_(
        "The block's outline is not a valid polygon (its edges cross, or it has too few points): "
        "redraw it without crossing lines."
    ),
    "overlaps": N_("The block overlaps block %(detail)s: draw it so that it does not cover another block."),
    "no_building": N_("The block holds no building: draw it around at least one house."),
    "line_misses": N_(
        "The split line does not cross the block: draw it from one side of the block to the other."
    ),
    "not_neighbours": N_("Blocks %(detail)s are not neighbours: only blocks that touch can be merged."),
    "taken": N_("House %(detail)s is already in another block: leave it out, or change that block first."),
}


def _refuse(code: str, detail: object = "") -> InvalidInput:
    return InvalidInput(PROBLEMS[code], detail=str(detail))


class _Metric:
    """Lon/lat ↔ one metric CRS around some geometries."""

    def __init__(self, geoms):
        bounds = gpd.GeoSeries(list(geoms), crs=LONLAT).total_bounds
        self.crs = metric_crs_for(bounds)

    def to(self, geoms) -> np.ndarray:
        return np.asarray(gpd.GeoSeries(list(geoms), crs=LONLAT).to_crs(self.crs).values, dtype=object)

    def back(self, geom):
        return gpd.GeoSeries([geom], crs=self.crs).to_crs(LONLAT).values[0]


def _check_editor(scope: Scope) -> None:
    if scope.role not in BLOCK_EDITORS:
        raise Forbidden(N_("Your role may not use this page."))


def _get_block(session: Session, block_id: int) -> Block:
    block = session.get(Block, block_id)
    if block is None:
        raise NotFound(N_("No block %(id)s."), id=block_id)
    return block


def _validated(session: Session, shape_ll, exclude: tuple[int, ...]):
    """(metric helper, lon/lat shape, building ids inside) for a block outline, or refused."""
    if shape_ll is None or shape_ll.is_empty or shape_ll.geom_type not in ("Polygon", "MultiPolygon"):
        raise _refuse("invalid", "not a polygon")
    if not shape_ll.is_valid:
        raise _refuse("invalid", shapely.is_valid_reason(shape_ll))
    minx, miny, maxx, maxy = shape_ll.bounds
    blocks = session.execute(
        select(Block.id, Block.geom).where(
            Block.maxx >= minx, Block.minx <= maxx, Block.maxy >= miny, Block.miny <= maxy,
            Block.id.not_in(exclude) if exclude else True,
        )
    ).all()  # fmt: skip
    houses = session.execute(
        select(Building.id, Building.lon, Building.lat).where(
            Building.lon >= minx, Building.lon <= maxx, Building.lat >= miny, Building.lat <= maxy
        )
    ).all()
    points = [shapely.Point(r[1], r[2]) for r in houses]
    metric = _Metric([shape_ll, *[g for _, g in blocks]])
    m = metric.to([shape_ll, *[g for _, g in blocks], *points])
    shape, others, pts = m[0], m[1 : 1 + len(blocks)], m[1 + len(blocks) :]
    problem, inside = spatial.check_block(shape, others, pts)
    if problem is not None:
        detail = blocks[int(problem.detail)][0] if problem.code == "overlaps" else problem.detail
        raise _refuse(problem.code, detail)
    ids = [houses[i][0] for i in inside]
    taken = session.execute(
        select(BlockBuilding.building_id).where(
            BlockBuilding.building_id.in_(ids), BlockBuilding.block_id.not_in(exclude) if exclude else True
        )
    ).first()
    if taken is not None:
        raise _refuse("taken", taken[0])
    return ids


def _set_buildings(session: Session, block_id: int, ids) -> None:
    session.execute(delete(BlockBuilding).where(BlockBuilding.block_id == block_id))
    session.add_all(BlockBuilding(building_id=i, block_id=block_id) for i in ids)


def create_block(session: Session, scope: Scope, shape, name: str | None = None) -> dict:
    _check_editor(scope)
    ids = _validated(session, shape, ())
    street = session.scalar(
        select(Building.street_id).where(Building.id.in_(ids), Building.street_id.is_not(None))
    )
    block = Block(
        name=(name or "").strip()[:100] or "手绘街区段", street_id=street, drawn=True, created_at=utcnow()
    )
    block.set_geometry(shape)
    session.add(block)
    session.flush()
    _set_buildings(session, block.id, ids)
    audit.record_by(session, scope, "block.create", object_type="block", object_id=block.id,
                    changes={"buildings": len(ids)})  # fmt: skip
    return {"id": block.id, "buildings": len(ids)}


def reshape_block(session: Session, scope: Scope, block_id: int, shape) -> dict:
    _check_editor(scope)
    block = _get_block(session, block_id)
    ids = _validated(session, shape, (block.id,))
    block.set_geometry(shape)
    block.drawn = True
    _set_buildings(session, block.id, ids)
    audit.record_by(session, scope, "block.reshape", object_type="block", object_id=block.id,
                    changes={"buildings": len(ids)})  # fmt: skip
    return {"id": block.id, "buildings": len(ids)}


def split_block(session: Session, scope: Scope, block_id: int, line) -> dict:
    _check_editor(scope)
    block = _get_block(session, block_id)
    metric = _Metric([block.geom])
    shape_m, line_m = metric.to([block.geom, line])
    parts = spatial.split_block(shape_m, line_m)
    if parts is None:
        raise _refuse("line_misses")
    parts_ll = [metric.back(p) for p in parts]
    members = [_validated(session, p, (block.id,)) for p in parts_ll]
    first, *rest = parts_ll
    block.set_geometry(first)
    block.drawn = True
    _set_buildings(session, block.id, members[0])
    new_ids = []
    for k, (part, ids) in enumerate(zip(rest, members[1:], strict=True), start=2):
        piece = Block(name=f"{block.name}（{k}）"[:100], street_id=block.street_id, side=block.side,
                      officer_id=block.officer_id, due=block.due, drawn=True, created_at=utcnow())  # fmt: skip
        piece.set_geometry(part)
        session.add(piece)
        session.flush()
        _set_buildings(session, piece.id, ids)
        new_ids.append(piece.id)
    audit.record_by(session, scope, "block.split", object_type="block", object_id=block.id,
                    changes={"into": [block.id, *new_ids]})  # fmt: skip
    return {"ids": [block.id, *new_ids]}


def merge_blocks(session: Session, scope: Scope, block_id: int, other_id: int) -> dict:
    _check_editor(scope)
    a, b = _get_block(session, block_id), _get_block(session, other_id)
    if a.id == b.id:
        raise _refuse("not_neighbours", f"{a.id}, {b.id}")
    metric = _Metric([a.geom, b.geom])
    am, bm = metric.to([a.geom, b.geom])
    merged = spatial.merge_blocks(am, bm)
    if merged is None:
        raise _refuse("not_neighbours", f"{a.id}, {b.id}")
    merged_ll = metric.back(merged)
    ids = _validated(session, merged_ll, (a.id, b.id))
    session.execute(delete(BlockBuilding).where(BlockBuilding.block_id == b.id))
    session.execute(delete(BlockAssignment).where(BlockAssignment.block_id == b.id))
    session.delete(b)
    session.flush()
    a.set_geometry(merged_ll)
    a.drawn = True
    _set_buildings(session, a.id, ids)
    audit.record_by(session, scope, "block.merge", object_type="block", object_id=a.id,
                    changes={"merged": b.id, "buildings": len(ids)})  # fmt: skip
    return {"id": a.id, "buildings": len(ids)}


# -- assignment ----------------------------------------------------------------------------


def _check_due(due: date | None) -> None:
    if due is not None and due < beijing_today():
        raise InvalidInput(
            N_("The due date %(due)s is before today (%(today)s): choose today or a later day."),
            due=due.isoformat(),
            today=beijing_today().isoformat(),
        )


def _assignee(session: Session, username: str, role: Role) -> User:
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise NotFound(N_("No user %(username)s."), username=(username or "")[:60])
    if user.disabled:
        raise InvalidInput(
            N_("%(username)s's account is disabled: enable it first, or choose another person."),
            username=user.username,
        )
    if user.role != role.value:
        msg = (
            N_("%(username)s is not a police officer: blocks are assigned to officers.")
            if role == Role.OFFICER
            else N_("%(username)s is not a collector: villages are assigned to collectors.")
        )
        raise InvalidInput(msg, username=user.username)
    return user


def assign_blocks(
    session: Session, scope: Scope, block_ids: list[int], officer: str, due: date | None
) -> dict:
    if scope.role not in ASSIGNERS:
        raise Forbidden(N_("Your role may not use this page."))
    if not block_ids:
        raise InvalidInput(N_("Choose at least one block."))
    _check_due(due)
    user = _assignee(session, officer, Role.OFFICER)
    blocks = session.scalars(select(Block).where(Block.id.in_(block_ids))).all()
    missing = sorted(set(block_ids) - {b.id for b in blocks})
    if missing:
        raise NotFound(N_("No block %(id)s."), id=missing[0])
    now = utcnow()
    for block in blocks:
        session.add(BlockAssignment(block_id=block.id, officer_id=user.id, due=due, assigned_by=scope.user_id,
                                    assigned_at=now))  # fmt: skip
        before = block.officer_id
        block.officer_id, block.due = user.id, due
        audit.record_by(session, scope, "block.assign", object_type="block", object_id=block.id,
                        changes={"officer": [before, user.id], "due": due.isoformat() if due else None})  # fmt: skip
    return {
        "blocks": sorted(b.id for b in blocks),
        "officer": user.username,
        "due": due.isoformat() if due else None,
    }


def block_history(session: Session, block_id: int) -> list[dict]:
    _get_block(session, block_id)
    rows = session.execute(
        select(BlockAssignment, User.username)
        .join(User, User.id == BlockAssignment.officer_id)
        .where(BlockAssignment.block_id == block_id)
        .order_by(BlockAssignment.assigned_at, BlockAssignment.id)
    ).all()
    return [
        {"officer": name, "due": a.due.isoformat() if a.due else None, "assigned_at": a.assigned_at}
        for a, name in rows
    ]


def assign_village(session: Session, scope: Scope, village_id: int, collector: str, due: date | None) -> dict:
    if scope.role not in ASSIGNERS:
        raise Forbidden(N_("Your role may not use this page."))
    village = session.get(Village, village_id)
    if village is None:
        raise NotFound(N_("No village %(id)s."), id=village_id)
    _check_due(due)
    user = _assignee(session, collector, Role.COLLECTOR)
    before = user.village_id
    user.village_id = village.id
    session.add(VillageAssignment(village_id=village.id, user_id=user.id, due=due, assigned_by=scope.user_id,
                                  assigned_at=utcnow()))  # fmt: skip
    audit.record_by(session, scope, "village.assign", object_type="user", object_id=user.id,
                    changes={"village": [before, village.id], "due": due.isoformat() if due else None})  # fmt: skip
    return {"village": village.id, "collector": user.username, "due": due.isoformat() if due else None}


def village_history(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(
        select(VillageAssignment, Village.name)
        .join(Village, Village.id == VillageAssignment.village_id)
        .where(VillageAssignment.user_id == user_id)
        .order_by(VillageAssignment.assigned_at.desc(), VillageAssignment.id.desc())
    ).all()
    return [{"village": name, "due": a.due, "assigned_at": a.assigned_at} for a, name in rows]


# -- reading -------------------------------------------------------------------------------


def block_progress(session: Session, block_ids: list[int] | None = None) -> dict[int, dict]:
    """Per block: houses and units, how many collected (incl. verified) and verified."""
    done = (Status.COLLECTED.value, Status.VERIFIED.value)
    out: dict[int, dict] = {}
    hq = (
        select(
            BlockBuilding.block_id,
            func.count(),
            func.sum(case((Building.status.in_(done), 1), else_=0)),
            func.sum(case((Building.status == Status.VERIFIED.value, 1), else_=0)),
        )
        .join(Building, Building.id == BlockBuilding.building_id)
        .group_by(BlockBuilding.block_id)
    )
    uq = (
        select(
            BlockBuilding.block_id,
            func.count(Unit.id),
            func.sum(case((Unit.status.in_(done), 1), else_=0)),
            func.sum(case((Unit.status == Status.VERIFIED.value, 1), else_=0)),
        )
        .join(Unit, Unit.building_id == BlockBuilding.building_id)
        .group_by(BlockBuilding.block_id)
    )
    if block_ids is not None:
        hq = hq.where(BlockBuilding.block_id.in_(block_ids))
        uq = uq.where(BlockBuilding.block_id.in_(block_ids))
    for bid, n, c, v in session.execute(hq):
        out[bid] = {"houses": n, "houses_collected": int(c or 0), "houses_verified": int(v or 0),
                    "units": 0, "units_collected": 0, "units_verified": 0}  # fmt: skip
    for bid, n, c, v in session.execute(uq):
        row = out.setdefault(bid, {"houses": 0, "houses_collected": 0, "houses_verified": 0})
        row.update(units=n, units_collected=int(c or 0), units_verified=int(v or 0))
    return out


def days_left(due: date | None, today: date | None = None) -> int | None:
    if due is None:
        return None
    return (due - (today or beijing_today())).days


def my_blocks(session: Session, scope: Scope, near: tuple[float, float] | None = None) -> list[dict]:
    """The caller's blocks with progress and days left; overdue first, then by due day. Each
    with its uncollected units, the nearest to ``near`` (lon, lat) or to the block's centre first."""
    blocks = session.execute(
        select(Block.id, Block.name, Block.due, Block.geom).where(Block.officer_id == scope.user_id)
    ).all()
    progress = block_progress(session, [b[0] for b in blocks])
    units = session.execute(
        select(BlockBuilding.block_id, Unit.id, Unit.name, Building.lon, Building.lat)
        .join(Unit, Unit.building_id == BlockBuilding.building_id)
        .join(Building, Building.id == BlockBuilding.building_id)
        .where(BlockBuilding.block_id.in_([b[0] for b in blocks]), Unit.status.in_(
            (Status.UNCOLLECTED.value, Status.RETURNED.value)))
    ).all()  # fmt: skip
    today = beijing_today()
    out = []
    for bid, name, due, geom in blocks:
        c = geom.centroid
        origin = near or (c.x, c.y)
        mine = [u for u in units if u[0] == bid]
        scale = np.cos(np.radians(origin[1]))
        mine.sort(key=lambda u: ((u[3] - origin[0]) * scale) ** 2 + (u[4] - origin[1]) ** 2)
        p = progress.get(bid, {})
        total = p.get("houses", 0) + p.get("units", 0)
        collected = p.get("houses_collected", 0) + p.get("units_collected", 0)
        left = days_left(due, today)
        out.append({
            "id": bid, "name": name, "due": due, "days_left": left,
            "overdue": left is not None and left < 0 and collected < total,
            "progress": p, "total": total, "collected": collected,
            "verified": p.get("houses_verified", 0) + p.get("units_verified", 0),
            "nearest_units": [{"id": u[1], "name": u[2], "lon": u[3], "lat": u[4]} for u in mine[:5]],
            "lon": c.x, "lat": c.y,
        })  # fmt: skip
    out.sort(key=lambda b: (not b["overdue"], b["due"] or date.max, b["id"]))
    return out


def officers(session: Session) -> list[tuple[str, str]]:
    """(username, name) of the enabled officers, for the assignment form."""
    rows = session.execute(
        select(User.username, User.name).where(User.role == Role.OFFICER.value, User.disabled.is_(False))
        .order_by(User.username)
    ).all()  # fmt: skip
    return [(u, n) for u, n in rows]


def block_list(session: Session, ids: list[int], progress: dict[int, dict]) -> list[dict]:
    """The blocks list: name, street, buildings, progress, assignee and days left, in ``ids`` order."""
    rows = session.execute(
        select(Block.id, Block.name, Block.due, Street.name, User.username, User.name)
        .outerjoin(Street, Street.id == Block.street_id)
        .outerjoin(User, User.id == Block.officer_id)
        .where(Block.id.in_(ids))
    ).all()
    by_id = {r[0]: r for r in rows}
    today = beijing_today()
    out = []
    for bid in ids:
        r = by_id[bid]
        p = progress.get(bid, {})
        total = p.get("houses", 0) + p.get("units", 0)
        collected = p.get("houses_collected", 0) + p.get("units_collected", 0)
        left = days_left(r[2], today)
        out.append({
            "id": bid, "name": r[1], "due": r[2], "street": r[3], "officer": r[4], "officer_name": r[5],
            "progress": p, "total": total, "collected": collected,
            "verified": p.get("houses_verified", 0) + p.get("units_verified", 0),
            "days_left": left, "overdue": left is not None and left < 0 and collected < total,
        })  # fmt: skip
    return out


def street_choices(session: Session) -> list[tuple[int, str, bool]]:
    """(id, name, a market street) of every street, market streets first."""
    rows = session.execute(select(Street.id, Street.name, Street.kind).order_by(Street.name, Street.id)).all()
    out = [(i, n, k in MARKET_KINDS) for i, n, k in rows]
    return sorted(out, key=lambda r: not r[2])


def blocks_bounds(session: Session, officer_id: int | None) -> tuple[float, float, float, float] | None:
    """The lon/lat box around an officer's blocks (None: they have none)."""
    row = session.execute(
        select(func.min(Block.minx), func.min(Block.miny), func.max(Block.maxx), func.max(Block.maxy)).where(
            Block.officer_id == officer_id
        )
    ).one()
    return None if row[0] is None else (row[0], row[1], row[2], row[3])


def block_buildings(session: Session, block_id: int) -> tuple[str, list[int]]:
    """A block's name and its buildings' ids (for its door-plate sheet)."""
    block = _get_block(session, block_id)
    ids = session.scalars(
        select(BlockBuilding.building_id)
        .where(BlockBuilding.block_id == block.id)
        .order_by(BlockBuilding.building_id)
    ).all()
    return block.name, list(ids)
