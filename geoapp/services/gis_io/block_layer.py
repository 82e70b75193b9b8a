"""The street-front blocks layer as GeoJSON: each block with its buildings, units, progress
(houses and units collected / verified) and assignee. A few queries for the whole town."""

from __future__ import annotations

import numpy as np
import orjson
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.roles import Scope
from geoapp.domain.status import Status
from geoapp.services.campaign.blocks import beijing_today, days_left
from geoapp.services.gis_io.layers import feature_collection, raw_geom
from geoapp.store.models import Block, BlockBuilding, Building, Street, Unit, User
from geoapp.store.spatial_index import BBox, bbox_filter

DONE = frozenset({Status.COLLECTED.value, Status.VERIFIED.value})
VERIFIED = Status.VERIFIED.value
PRECISION_DEG = 1e-7


def blocks_geojson(
    session: Session, scope: Scope, *, officer_id: int | None = None, bbox: BBox | None = None, **_
) -> bytes:
    dialect = session.get_bind().dialect.name
    stmt = (
        select(Block.id, Block.name, Block.due, Block.drawn, Street.name, User.username, User.name,
               raw_geom(Block.geom, dialect))
        .outerjoin(Street, Street.id == Block.street_id)
        .outerjoin(User, User.id == Block.officer_id)
        .order_by(Block.id)
    )  # fmt: skip
    if officer_id is not None:
        stmt = stmt.where(Block.officer_id == officer_id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(Block, bbox, dialect))
    rows = session.connection().execute(stmt).all()
    ids = [r[0] for r in rows]
    # Two queries: each block's houses and each block's units, with their statuses.
    member_q = (
        select(BlockBuilding.block_id, BlockBuilding.building_id, Building.status)
        .join(Building, Building.id == BlockBuilding.building_id)
        .order_by(BlockBuilding.building_id)
    )
    unit_q = (
        select(BlockBuilding.block_id, Unit.id, Unit.status)
        .join(Unit, Unit.building_id == BlockBuilding.building_id)
        .order_by(Unit.id)
    )
    if officer_id is not None or bbox is not None:
        member_q = member_q.where(BlockBuilding.block_id.in_(ids))
        unit_q = unit_q.where(BlockBuilding.block_id.in_(ids))
    members: dict[int, list[int]] = {}
    units: dict[int, list[int]] = {}
    counts: dict[int, list[int]] = {}  # houses collected, verified; units collected, verified
    if rows:
        for b, h, status in session.connection().execute(member_q):
            members.setdefault(b, []).append(h)
            c = counts.setdefault(b, [0, 0, 0, 0])
            c[0] += status in DONE
            c[1] += status == VERIFIED
        for b, u, status in session.connection().execute(unit_q):
            units.setdefault(b, []).append(u)
            c = counts.setdefault(b, [0, 0, 0, 0])
            c[2] += status in DONE
            c[3] += status == VERIFIED
    today = beijing_today()
    props = []
    for bid, name, due, drawn, street, username, officer_name, _geom in rows:
        hc, hv, uc, uv = counts.get(bid, (0, 0, 0, 0))
        houses, unit_ids = members.get(bid, []), units.get(bid, [])
        total, collected = len(houses) + len(unit_ids), hc + uc
        left = days_left(due, today)
        item = {
            "name": name, "street": street, "drawn": bool(drawn), "buildings": houses, "units": unit_ids,
            "houses": len(houses), "houses_collected": hc, "houses_verified": hv,
            "units_total": len(unit_ids), "units_collected": uc, "units_verified": uv,
            "total": total, "collected": collected, "verified": hv + uv,
            "officer": username, "officer_name": officer_name,
            "due": due.isoformat() if due else None, "days_left": left,
            "overdue": left is not None and left < 0 and collected < total,
        }  # fmt: skip
        props.append(orjson.dumps(item))
    # Coordinates to about a centimetre (drawing only; the stored blocks keep theirs): a third smaller.
    geoms = shapely.set_precision(shapely.from_wkb(np.asarray([r[7] for r in rows], dtype=object)),
                                  PRECISION_DEG, mode="pointwise")  # fmt: skip
    return feature_collection(ids, list(shapely.to_wkb(geoms)) if rows else [], props, {"count": len(rows)})
