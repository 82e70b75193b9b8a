"""Importing streets: the town's reference lines; fronting streets of buildings refreshed."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.address import UNNAMED_ROAD
from geoapp.domain.i18n import N_
from geoapp.services.gis_io import topology
from geoapp.services.gis_io.code_labels import chinese
from geoapp.services.gis_io.importer.job import (
    Job,
    bboxes,
    column_of,
    geometry_keys,
    insert_rows,
    leave_out_stored,
    text_values,
)
from geoapp.store.models import Street

STORED_BEFORE = N_(
    "%(field)s rows %(rows)s (%(count)d streets) are already in the database with the same name and line: the file, or part of it, was imported before. Leave them out with --skip-existing, or remove them from the file."
)


def street_names(job: Job) -> np.ndarray:
    """The name column is required, but a street without a name is stored with the name ""
    (shown as 无名路; "无名路"/"Unnamed road" in the file, e.g. from an export, mean the same)."""
    column_of(job, "name", required=True)
    names = text_values(job, "name", max_length=100)
    unnamed = {UNNAMED_ROAD, chinese(UNNAMED_ROAD)}
    return np.array(["" if n is None or n in unnamed else n for n in names], dtype=object)


def run(session: Session, job: Job) -> None:
    stored = session.execute(select(Street.name, Street.geom)).all()
    stored_geoms = np.array([geom for _, geom in stored], dtype=object)
    stored_keys = set(zip([name for name, _ in stored], geometry_keys(stored_geoms), strict=True))
    new_names = street_names(job)
    new_keys = zip(new_names, geometry_keys(job.geoms), strict=True)
    leave_out_stored(job, np.array([k in stored_keys for k in new_keys], dtype=bool), STORED_BEFORE)
    if len(job.frame) == 0:
        return
    names = street_names(job)
    kinds = text_values(job, "kind", max_length=20)
    geoms = job.geoms
    bounds = bboxes(geoms)
    records = [
        {
            "name": names[i],
            "kind": kinds[i] or "lane",
            "geom": geoms[i],
            "minx": float(bounds[i, 0]),
            "miny": float(bounds[i, 1]),
            "maxx": float(bounds[i, 2]),
            "maxy": float(bounds[i, 3]),
        }
        for i in range(len(geoms))
    ]
    insert_rows(session, job, Street.__table__, records)
    changed = topology.refresh_fronting(session, job.options.fronting_distance_m)
    job.summary.notes.append(
        (N_("Existing buildings whose fronting street changed: %(count)d."), {"count": changed})
    )
    if unnamed := sum(not name for name in names):
        job.summary.notes.append(
            (N_("Streets without a name, stored as unnamed roads: %(count)d."), {"count": unnamed})
        )
