"""The villages' outlines for the printed map (issue 9, parts 4–5): shapes, names and the
point inside each where its name is written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.services.gis_io.layers import label_points, raw_geom
from geoapp.store.models import Village


@dataclass(frozen=True)
class Outline:
    village_id: int
    name: str
    geometry: object  # a shapely (Multi)Polygon in lon/lat
    label: tuple[float, float] | None  # (lon, lat) inside the village


def village_outlines(session: Session) -> list[Outline]:
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(Village.id, Village.name, raw_geom(Village.geom, dialect)).order_by(Village.code)
    ).all()
    if not rows:
        return []
    wkb = [r[2] for r in rows]
    shapes = shapely.from_wkb(np.asarray(wkb, dtype=object))
    labels = label_points(wkb)
    return [
        Outline(r[0], r[1], shape, None if label is None else (label[0], label[1]))
        for r, shape, label in zip(rows, shapes, labels, strict=True)
    ]
