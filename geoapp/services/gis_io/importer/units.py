"""Importing units (实有单位): points placed in the building that contains them or lies
within 30 m; credit codes checked (GB 32100) and never registered twice."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import parse_uscc
from geoapp.domain.uses import UnitKind
from geoapp.services.gis_io.importer.job import (
    Job,
    duplicates,
    insert_rows,
    leave_out_stored,
    parsed,
    text_values,
)
from geoapp.spatial.assign import assign_to_polygons, nearest_within
from geoapp.spatial.readers import format_rows
from geoapp.store.models import Building, Unit

UNIT_BUILDING_DISTANCE_M = 30.0
UNIT_KIND_ALIASES = {
    "沿街铺面": UnitKind.SHOP,
    "铺面": UnitKind.SHOP,
    "个体工商户": UnitKind.SHOP,
    "厂矿企业": UnitKind.ENTERPRISE,
    "企业": UnitKind.ENTERPRISE,
    "机关事业单位": UnitKind.OFFICE,
    "机关单位": UnitKind.OFFICE,
    "事业单位": UnitKind.OFFICE,
    "其他": UnitKind.OTHER,
}


STORED_BEFORE = N_(
    "%(field)s rows %(rows)s (%(count)d units) are already in the database (same credit code, or same name in the same building): leave them out with --skip-existing, or remove them from the file."
)


def _unit_kind(value: str | None) -> str:
    if value is None:
        return UnitKind.ENTERPRISE.value
    if value in UNIT_KIND_ALIASES:
        return UNIT_KIND_ALIASES[value].value
    try:
        return UnitKind(value.lower()).value
    except ValueError:
        return UnitKind.OTHER.value


def run(session: Session, job: Job) -> None:
    building_rows = session.execute(select(Building.id, Building.geom).order_by(Building.id)).all()
    building_ids = np.array([r[0] for r in building_rows], dtype=np.int64)
    building_geoms = np.array([r[1] for r in building_rows], dtype=object)
    points = job.geoms
    idx = assign_to_polygons(points, building_geoms)
    loose = idx < 0
    if loose.any():
        idx[loose] = nearest_within(points[loose], building_geoms, UNIT_BUILDING_DISTANCE_M)
    if (idx < 0).any():
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s: no building contains these units or lies within %(distance)g m: move the points onto their buildings, or import the buildings first."
            ),
            rows=format_rows(job.frame.index[idx < 0]),
            distance=UNIT_BUILDING_DISTANCE_M,
        )
    rows = job.frame.index
    names = text_values(job, "name", required=True, max_length=200)
    uscc = _credit_codes(job)
    if dups := duplicates(uscc, rows):
        raise job.refuse(
            N_("%(field)s has credit codes used by more than one unit: %(duplicates)s."), duplicates=dups
        )
    given = [c for c in uscc if c is not None]
    known = set(session.scalars(select(Unit.uscc).where(Unit.uscc.in_(given)))) if given else set()
    if known and not job.options.skip_existing:
        taken = [int(r) for r, c in zip(rows, uscc, strict=True) if c in known]
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have credit codes already registered in the database (%(codes)s): leave these units out of the file, or out of the import with --skip-existing."
            ),
            rows=format_rows(taken),
            codes=", ".join(sorted(known)[:10]),
        )
    pairs = {(b, n) for b, n in session.execute(select(Unit.building_id, Unit.name))}
    homes = building_ids[idx]
    stored = np.array(
        [uscc[i] in known or (int(homes[i]), names[i]) in pairs for i in range(len(rows))], dtype=bool
    )
    leave_out_stored(job, stored, STORED_BEFORE)
    keep = ~stored
    names, uscc, homes = names[keep], uscc[keep], homes[keep]
    kinds = text_values(job, "kind")
    legal_reps = text_values(job, "legal_rep", max_length=100)
    phones = text_values(job, "phone", max_length=20)
    records = [
        {
            "building_id": int(homes[i]),
            "name": names[i],
            "uscc": uscc[i],
            "kind": _unit_kind(kinds[i]),
            "legal_rep": legal_reps[i],
            "phone": phones[i],
            "status": "uncollected",
            "version": 1,
        }
        for i in range(len(names))
    ]
    insert_rows(session, job, Unit.__table__, records)


def _credit_codes(job: Job) -> np.ndarray:
    """Parsed credit codes (None where empty); any invalid one refuses the import."""
    uscc, bad = parsed(job, text_values(job, "uscc"), parse_uscc, skip_empty=True)
    if bad:
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have invalid unified social credit codes (GB 32100: registration authority and type, division code, organisation code and check character): %(values)s. Correct them or leave the cells empty."
            ),
            rows=format_rows(r for r, _ in bad),
            values=", ".join(v for _, v in bad[:20]),
        )
    return uscc
