"""Importing streets: the town's reference lines; fronting streets of buildings refreshed."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.i18n import N_
from geoapp.services.gis_io import topology
from geoapp.services.gis_io.importer.job import (
    Job,
    bboxes,
    geometry_keys,
    insert_rows,
    leave_out_stored,
    text_values,
)
from geoapp.store.models import Street

STORED_BEFORE = N_(
    "%(field)s rows %(rows)s (%(count)d streets) are already in the database with the same name and line: the file, or part of it, was imported before. Leave them out with --skip-existing, or remove them from the file."
)


def run(session: Session, job: Job) -> None:
    stored = session.execute(select(Street.name, Street.geom)).all()
    stored_geoms = np.array([geom for _, geom in stored], dtype=object)
    stored_keys = set(zip([name for name, _ in stored], geometry_keys(stored_geoms), strict=True))
    new_names = text_values(job, "name", required=True, max_length=100)
    new_keys = zip(new_names, geometry_keys(job.geoms), strict=True)
    leave_out_stored(job, np.array([k in stored_keys for k in new_keys], dtype=bool), STORED_BEFORE)
    if len(job.frame) == 0:
        return
    names = text_values(job, "name", required=True, max_length=100)
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
