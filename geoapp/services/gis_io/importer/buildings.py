"""Importing buildings: points or footprints put into the village they lie in, their
fronting street found, a standard address made where the file has none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import parse_village_code
from geoapp.domain.uses import parse_use
from geoapp.services.gis_io import topology
from geoapp.services.gis_io.importer.bulk import Addresses, refuse_taken_addresses
from geoapp.services.gis_io.importer.job import (
    Job,
    bboxes,
    leave_out_stored,
    looked_up,
    optional_ints,
    per_distinct,
    text_values,
    whole_numbers,
)
from geoapp.spatial.assign import anchor_points
from geoapp.spatial.readers import format_rows
from geoapp.store import bulk
from geoapp.store.models import Building, Street, Village

STORED_BEFORE = N_(
    "%(field)s rows %(rows)s (%(count)d buildings) are already in the database at the same positions: the file, or part of it, was imported before. Leave them out with --skip-existing, or remove them from the file."
)


def run(session: Session, job: Job) -> None:
    bulk.release_free_memory()  # what reading the file freed
    anchors = anchor_points(job.geoms)
    stored_keys = {(round(x, 7), round(y, 7)) for x, y in session.execute(select(Building.lon, Building.lat))}
    if stored_keys:
        new_keys = zip(np.round(shapely.get_x(anchors), 7), np.round(shapely.get_y(anchors), 7), strict=True)
        stored = np.array([k in stored_keys for k in new_keys], dtype=bool)
    else:  # a first import: nothing to compare with
        stored = np.zeros(len(anchors), dtype=bool)
    del anchors
    leave_out_stored(job, stored, STORED_BEFORE)
    if len(job.frame) == 0:
        return
    village_ids, village_geoms = topology.village_index(session)
    if len(village_ids) == 0:
        raise job.refuse(
            N_(
                "%(field)s cannot be imported before the villages: import them first (geoapp import villages FILE)."
            )
        )
    assigned = topology.villages_for(job.geoms, village_ids, village_geoms)
    outside = assigned == 0
    if outside.any():
        outside_rows = job.frame.index[outside]
        if job.options.outside_village:
            village = _village_by_code(session, job, job.options.outside_village)
            assigned[outside] = village.id
            job.summary.notes.append(
                (
                    N_("Buildings outside every village put into %(village)s: %(count)d (rows %(rows)s)."),
                    {"count": int(outside.sum()), "village": village.name, "rows": format_rows(outside_rows)},
                )
            )
        elif job.options.skip_outside:
            job.summary.skipped.extend(int(r) for r in outside_rows)
            job.summary.notes.append(
                (
                    N_("Buildings outside every village left out: %(count)d (rows %(rows)s)."),
                    {"count": int(outside.sum()), "rows": format_rows(outside_rows)},
                )
            )
            job.frame = job.frame[~outside]
            assigned = assigned[~outside]
        else:
            raise job.refuse(
                N_(
                    "%(field)s has buildings outside every village (%(count)d, rows %(rows)s): put them into a village with --outside-village CODE, leave them out with --skip-outside, or correct their positions."
                ),
                count=int(outside.sum()),
                rows=format_rows(outside_rows),
            )
    if len(job.frame) == 0:
        return
    geoms = job.geoms
    street_ids, street_geoms = topology.street_index(session)
    fronting = topology.fronting_streets(geoms, street_ids, street_geoms, job.options.fronting_distance_m)
    village_names = dict(session.execute(select(Village.id, Village.name)).all())
    village_codes = dict(session.execute(select(Village.id, Village.code)).all())
    street_names = dict(session.execute(select(Street.id, Street.name)).all())

    addresses = text_values(job, "address", max_length=200)
    doors = text_values(job, "door", max_length=40)
    uses = text_values(job, "use")
    structures = text_values(job, "structure", max_length=40)
    owners = text_values(job, "owner", max_length=100)
    floors = whole_numbers(job, "floors")
    claimed = text_values(job, "village")
    job.frame = job.frame[[job.frame.geometry.name]]  # the file's columns are read: let them go

    anchors = anchor_points(geoms)
    bounds = bboxes(geoms)
    names = looked_up(village_names, assigned)
    address = Addresses(addresses, names, looked_up(street_names, fronting), doors)
    refuse_taken_addresses(session, address, doors)
    uses = per_distinct(uses, lambda u: parse_use(u).value)
    columns = {
        "village_id": assigned,
        "street_id": fronting,
        "door_no": doors,
        "address": address,
        "use": uses,
        "floors": np.full(len(geoms), None, dtype=object) if floors is None else optional_ints(floors),
        "structure": structures,
        "owner_name": owners,
        "status": np.full(len(geoms), "uncollected", dtype=object),
        "lon": shapely.get_x(anchors),
        "lat": shapely.get_y(anchors),
        "source": np.full(len(geoms), job.file[:200], dtype=object),
        "version": np.ones(len(geoms), dtype=np.int64),
        "geom": geoms,
        "minx": bounds[:, 0],
        "miny": bounds[:, 1],
        "maxx": bounds[:, 2],
        "maxy": bounds[:, 3],
    }
    session.flush()
    job.summary.inserted += bulk.insert_columns(
        session.connection(),
        Building.__table__,
        columns,
        progress=job.report,
        idle_triggers=("tally_building_ins",),  # new houses are uncollected: not tallied
    )
    with_street = int(pd.notna(fronting).sum())
    job.summary.notes.append(
        (
            N_("Fronting street found for %(count)d of %(total)d buildings (within %(distance)g m)."),
            {"count": with_street, "total": len(address), "distance": job.options.fronting_distance_m},
        )
    )
    disagree = [
        int(job.frame.index[i])
        for i in np.flatnonzero(pd.notna(claimed))  # only the rows naming a village
        if claimed[i] not in (village_names[assigned[i]], village_codes[assigned[i]])
    ]
    if disagree:
        job.summary.notes.append(
            (
                N_(
                    "The village column disagrees with the position in rows %(rows)s; the position decided the village."
                ),
                {"rows": format_rows(disagree)},
            )
        )


def _village_by_code(session: Session, job: Job, value: str) -> Village:
    try:
        code = parse_village_code(value, field="--outside-village")
    except InvalidInput:
        code = str(value)
    village = session.scalar(select(Village).where(Village.code == code))
    if village is None:
        raise job.refuse(
            N_(
                "--outside-village %(code)s is not the code of a village in the database (importing %(field)s): give the 12-digit code of an existing village."
            ),
            code=value,
        )
    return village
