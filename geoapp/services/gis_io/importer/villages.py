"""Importing village boundaries: 12-digit codes, no overlaps, existing buildings moved
to the village they now lie in."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import parse_village_code
from geoapp.services.gis_io import topology
from geoapp.services.gis_io.importer.job import (
    Job,
    bboxes,
    column_of,
    duplicates,
    parsed,
    text_values,
    whole_numbers,
)
from geoapp.spatial.crs import LONLAT, metric_crs_for
from geoapp.spatial.readers import format_rows
from geoapp.store.models import Building, Village

OVERLAP_TOLERANCE_M2 = 1.0


def run(session: Session, job: Job) -> None:
    rows = job.frame.index
    names = text_values(job, "name", required=True, max_length=100)
    codes, bad = parsed(job, text_values(job, "code", required=True), parse_village_code)
    if bad:
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have village codes that are not 12-digit division codes (6-digit county, 3-digit township, 3-digit village): %(values)s. Correct column %(column)s, or name the code column with --code-field."
            ),
            rows=format_rows(r for r, _ in bad),
            values=", ".join(v for _, v in bad[:20]),
            column=column_of(job, "code"),
        )
    for values, template in (
        (codes, N_("%(field)s has duplicate village codes: %(duplicates)s. Each village must appear once.")),
        (names, N_("%(field)s has duplicate village names: %(duplicates)s. Each village must appear once.")),
    ):
        if dups := duplicates(values, rows):
            raise job.refuse(template, duplicates=dups)
    tasks = {role: whole_numbers(job, role) for role in ("task_people", "task_houses", "task_units")}

    existing = {v.code: v for v in session.scalars(select(Village).order_by(Village.id))}
    file_codes = set(codes)
    kept = [v for code, v in existing.items() if code not in file_codes]
    kept_names = {v.name: v.code for v in kept}
    taken = [f"{n} ({kept_names[n]})" for n in names if n in kept_names]
    if taken:
        raise job.refuse(
            N_(
                "%(field)s gives villages names already used by other villages in the database: %(names)s. Use the existing village's code to update it, or rename one of them."
            ),
            names=", ".join(taken),
        )
    geoms = job.geoms
    _refuse_overlaps(job, geoms, [f"{n} ({c})" for n, c in zip(names, codes, strict=True)], kept)

    bounds = bboxes(geoms)
    for i, code in enumerate(codes):
        village = existing.get(code)
        if village is None:
            village = Village(code=code, task_people=0, task_houses=0, task_units=0)
            session.add(village)
            job.summary.inserted += 1
        else:
            job.summary.updated += 1
        village.name = names[i]
        village.geom = geoms[i]
        village.minx, village.miny, village.maxx, village.maxy = (float(v) for v in bounds[i])
        for role, numbers in tasks.items():
            if numbers is not None and not np.isnan(numbers[i]):
                setattr(village, role, int(numbers[i]))
    session.flush()
    job.report(len(codes), len(codes))
    _reassign_buildings(session, job)


def _refuse_overlaps(job: Job, geoms: np.ndarray, labels: list[str], kept: list[Village]) -> None:
    """Refuse villages sharing more than 1 m² with each other or with villages kept in the database."""
    all_geoms = np.concatenate([geoms, np.array([v.geom for v in kept], dtype=object)])
    all_labels = labels + [f"{v.name} ({v.code})" for v in kept]
    is_new = np.r_[np.ones(len(geoms), dtype=bool), np.zeros(len(kept), dtype=bool)]
    series = gpd.GeoSeries(all_geoms, crs=LONLAT)
    metric = np.asarray(series.to_crs(metric_crs_for(series.total_bounds)).values, dtype=object)
    a, b = shapely.STRtree(metric).query(metric, predicate="intersects")
    pair = (a < b) & (is_new[a] | is_new[b])
    a, b = a[pair], b[pair]
    areas = shapely.area(shapely.intersection(metric[a], metric[b]))
    over = areas > OVERLAP_TOLERANCE_M2
    if over.any():
        pairs = [
            f"{all_labels[i]} / {all_labels[j]} ({area:,.0f} m²)"
            for i, j, area in zip(a[over], b[over], areas[over], strict=True)
        ]
        raise job.refuse(
            N_(
                "%(field)s has overlapping villages: %(pairs)s. Villages may only touch: fix the boundaries and import again."
            ),
            pairs="; ".join(pairs[:10]),
        )


def _reassign_buildings(session: Session, job: Job) -> None:
    """Every building must still lie in exactly one village; move those whose village changed."""
    rows = session.execute(
        select(Building.id, Building.geom, Building.village_id, Building.address).order_by(Building.id)
    ).all()
    if not rows:
        return
    village_ids, village_geoms = topology.village_index(session)
    geoms = np.array([r[1] for r in rows], dtype=object)
    new = topology.villages_for(geoms, village_ids, village_geoms)
    orphans = np.flatnonzero(new == 0)
    if len(orphans):
        raise job.refuse(
            N_(
                "%(field)s would leave existing buildings outside every village (%(count)d, e.g. %(examples)s): draw the village boundaries so that they cover these buildings, or move the buildings first."
            ),
            count=len(orphans),
            examples="; ".join(f"#{rows[i][0]} {rows[i][3]}" for i in orphans[:5]),
        )
    old = np.array([r[2] for r in rows], dtype=np.int64)
    changed = np.flatnonzero(new != old)
    if len(changed):
        table = Building.__table__
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(village_id=bindparam("v_id"), version=table.c.version + 1),
            [{"b_id": int(rows[i][0]), "v_id": int(new[i])} for i in changed],
        )
        job.summary.notes.append(
            (N_("Existing buildings moved to another village: %(count)d."), {"count": len(changed)})
        )
