"""Keep buildings tied to their village and to the street they front."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geoapp.spatial.assign import anchor_points, assign_to_polygons, nearest_within
from geoapp.store.models import Building, Street, Village


def village_index(session: Session) -> tuple[np.ndarray, np.ndarray]:
    """(ids, polygons) of all villages."""
    rows = session.execute(select(Village.id, Village.geom).order_by(Village.id)).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    geoms = np.array([r[1] for r in rows], dtype=object)
    return ids, geoms


def street_index(session: Session) -> tuple[np.ndarray, np.ndarray]:
    rows = session.execute(select(Street.id, Street.geom).order_by(Street.id)).all()
    return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=object)


def villages_for(geoms: np.ndarray, village_ids: np.ndarray, village_geoms: np.ndarray) -> np.ndarray:
    """Village id per geometry (by a point inside it); 0 where none contains it."""
    idx = assign_to_polygons(anchor_points(geoms), village_geoms)
    out = np.zeros(len(idx), dtype=np.int64)
    out[idx >= 0] = village_ids[idx[idx >= 0]]
    return out


def fronting_streets(
    geoms: np.ndarray, street_ids: np.ndarray, street_geoms: np.ndarray, max_distance_m: float
) -> list[int | None]:
    idx = nearest_within(geoms, street_geoms, max_distance_m)
    return [int(street_ids[i]) if i >= 0 else None for i in idx]


def refresh_fronting(session: Session, max_distance_m: float) -> int:
    """Recompute every building's fronting street; returns how many changed."""
    rows = session.execute(select(Building.id, Building.geom, Building.street_id)).all()
    if not rows:
        return 0
    street_ids, street_geoms = street_index(session)
    geoms = np.array([r[1] for r in rows], dtype=object)
    new = fronting_streets(geoms, street_ids, street_geoms, max_distance_m)
    changes = [{"b_id": r[0], "street_id": s} for r, s in zip(rows, new, strict=True) if r[2] != s]
    if changes:
        from sqlalchemy import bindparam

        session.execute(
            update(Building.__table__)
            .where(Building.__table__.c.id == bindparam("b_id"))
            .values(street_id=bindparam("street_id")),
            changes,
        )
    return len(changes)
