"""Blocks for web tests: the demo town's generated blocks, and fresh blocks on their own
(two new houses far from the others) for the edits that change them."""

from __future__ import annotations

import itertools

import shapely
from sqlalchemy import select

from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign import blocks as blocks_service
from geoapp.store.models import Block, BlockBuilding, Building, Village

_serial = itertools.count()
ADMIN = Scope(None, "admin", Role.ADMIN)
STEP = 0.0004  # degrees between the two houses of a fresh block (about 40 m)


def generated(database) -> list[int]:
    with database.write() as s:
        blocks_service.generate_blocks(s, ADMIN)
    with database.session() as s:
        return list(s.scalars(select(Block.id).order_by(Block.id)))


def _house(s, village: int, lon: float, lat: float) -> int:
    b = Building(
        village_id=village,
        address=f"测试街区房屋{lon:.5f},{lat:.5f}",
        door_no="1",
        use="shop",
        status="uncollected",
    )
    b.set_geometry(shapely.Point(lon, lat))
    s.add(b)
    s.flush()
    return b.id


def fresh_pair(database) -> dict:
    """Two new houses side by side, 40 m apart, somewhere empty; their boxes, one box around both,
    and a line between them."""
    k = next(_serial)
    lon, lat = 113.10 + 0.01 * k, 26.90
    with database.write() as s:
        village = s.scalar(select(Village.id).order_by(Village.id).limit(1))
        a = _house(s, village, lon, lat)
        b = _house(s, village, lon + STEP, lat)
    d = STEP / 4
    box_a = shapely.box(lon - d, lat - d, lon + STEP / 2, lat + d)
    box_b = shapely.box(lon + STEP / 2, lat - d, lon + STEP + d, lat + d)
    both = shapely.box(lon - d, lat - d, lon + STEP + d, lat + d)
    line = shapely.LineString([(lon + STEP / 2, lat - 2 * d), (lon + STEP / 2, lat + 2 * d)])
    return {"houses": (a, b), "a": box_a, "b": box_b, "both": both, "line": line}


def fresh_block(database, shape) -> int:
    with database.write() as s:
        return blocks_service.create_block(s, ADMIN, shape)["id"]


def geojson(geom) -> dict:
    return shapely.geometry.mapping(geom) | {}


def members(database, block_id: int) -> set[int]:
    with database.session() as s:
        return set(s.scalars(select(BlockBuilding.building_id).where(BlockBuilding.block_id == block_id)))


# The access matrix's bodies for the blocks endpoints: fresh blocks for the edits that change
# them, the village's own collector for a village assignment (nobody's scope changes).
MATRIX_BODIES = ("block_create", "block_shape", "block_split", "block_merge", "block_assign", "blocks_assign",
                 "blocks_form", "village_assign")  # fmt: skip


def matrix_body(database, kind: str, own: bool) -> tuple[dict, dict]:
    """(objects for the path, body) of one call."""
    if kind == "village_assign":
        return {}, {"collector": "collector_a" if own else "collector_b"}
    pair = fresh_pair(database)
    if kind == "block_create":
        return {}, {"geometry": geojson(pair["both"])}
    if kind == "block_merge":
        a, b = fresh_block(database, pair["a"]), fresh_block(database, pair["b"])
        return {"block": a}, {"other": b}
    block = fresh_block(database, pair["both"])
    bodies = {
        "block_shape": {"geometry": geojson(pair["both"])},
        "block_split": {"line": geojson(pair["line"])},
        "block_assign": {"officer": "officer"},
        "blocks_assign": {"officer": "officer", "blocks": [block]},
        "blocks_form": {"officer": "officer", "block": str(block)},
    }
    return {"block": block}, bodies[kind]
