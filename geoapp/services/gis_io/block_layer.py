"""The street-front blocks layer as GeoJSON: each block with its buildings, units, progress
(houses and units collected / verified) and assignee. A few queries for the whole town."""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.roles import Scope
from geoapp.services.campaign.blocks import beijing_today, block_progress, days_left
from geoapp.services.gis_io.layers import feature_collection, raw_geom
from geoapp.store.models import Block, BlockBuilding, Street, Unit, User
from geoapp.store.spatial_index import BBox, bbox_filter


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
    members: dict[int, list[int]] = {}
    units: dict[int, list[int]] = {}
    if rows:
        every = officer_id is None and bbox is None
        member_q = select(BlockBuilding.block_id, BlockBuilding.building_id).order_by(
            BlockBuilding.building_id
        )
        unit_q = (
            select(BlockBuilding.block_id, Unit.id)
            .join(Unit, Unit.building_id == BlockBuilding.building_id)
            .order_by(Unit.id)
        )
        if not every:
            member_q = member_q.where(BlockBuilding.block_id.in_(ids))
            unit_q = unit_q.where(BlockBuilding.block_id.in_(ids))
        for b, h in session.connection().execute(member_q):
            members.setdefault(b, []).append(h)
        for b, u in session.connection().execute(unit_q):
            units.setdefault(b, []).append(u)
    progress = block_progress(session, None if officer_id is None and bbox is None else ids)
    today = beijing_today()
    props = []
    for bid, name, due, drawn, street, username, officer_name, _geom in rows:
        p = progress.get(bid, {})
        total = p.get("houses", 0) + p.get("units", 0)
        collected = p.get("houses_collected", 0) + p.get("units_collected", 0)
        left = days_left(due, today)
        item = {
            "name": name, "street": street, "drawn": bool(drawn),
            "buildings": members.get(bid, []), "units": units.get(bid, []),
            "houses": p.get("houses", 0), "houses_collected": p.get("houses_collected", 0),
            "houses_verified": p.get("houses_verified", 0), "units_total": p.get("units", 0),
            "units_collected": p.get("units_collected", 0), "units_verified": p.get("units_verified", 0),
            "total": total, "collected": collected,
            "verified": p.get("houses_verified", 0) + p.get("units_verified", 0),
            "officer": username, "officer_name": officer_name,
            "due": due.isoformat() if due else None, "days_left": left,
            "overdue": left is not None and left < 0 and collected < total,
        }  # fmt: skip
        props.append(orjson.dumps(item))
    return feature_collection(ids, [r[7] for r in rows], props, {"count": len(rows)})
