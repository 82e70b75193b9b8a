"""Import GIS layers (villages, buildings, streets, units) from files, all or nothing.

``import_layer`` reads and checks the file first (geometry types, repairs,
attributes) and then stores it in one write transaction; any refusal raises
ImportRefused before anything is committed. Every import leaves one audit event
and returns an ImportSummary whose ``messages()`` are translatable templates.

What a layer accepts (geometry types, column names) is its registry entry
(``domain/layers.py``); how it is stored is its own module here (``villages``,
``buildings``, ``streets``, ``units``), named by ``services/gis_io/registry.py``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from geoapp.domain.i18n import N_
from geoapp.domain.layers import IMPORTABLE
from geoapp.services.accounts import audit
from geoapp.services.gis_io.importer.job import (
    ImportOptions,
    ImportSummary,
    Job,
    Progress,
    import_limits,
)
from geoapp.services.gis_io.importer.validity import check_geometries
from geoapp.spatial.readers import read_layer
from geoapp.store.db import Database

LAYERS = IMPORTABLE
__all__ = ["LAYERS", "ImportOptions", "ImportSummary", "Progress", "import_layer", "import_limits"]


def import_layer(
    target: Database | Session,
    layer: str,
    path: str | Path,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import ``path`` as ``layer`` into ``target`` (a Database, or a Session inside ``db.write()``).

    With a Session the import runs in a SAVEPOINT, so a refusal leaves the
    caller's transaction as it was. Raises ImportRefused naming the file, the
    problem and the fix; nothing is stored then.
    """
    from geoapp.services.gis_io.registry import source  # the registry names this package's modules

    entry = source(layer) if layer in LAYERS else None
    if entry is None or entry.store is None:
        raise ValueError(f"unknown layer {layer!r}")
    options = options or ImportOptions()
    data = read_layer(
        path,
        crs=options.crs,
        x_field=options.x_field,
        y_field=options.y_field,
        layer=options.layer,
        limits=options.limits,
        keep_empty=options.skip_invalid,
    )
    summary = ImportSummary(
        layer=layer,
        file=data.file,
        format=data.format,
        source_crs=data.source_crs,
        read=len(data.frame),
        crs_assumed=data.crs_assumed,
        coordinate_columns=data.coordinate_columns,
        dry_run=options.dry_run,
    )
    job = Job(entry.spec, data.file, data.frame, options, summary, progress)
    data.frame = None  # the job's frame from now on (replaced as it is checked): one copy held
    check_geometries(job, data.closed_rings)
    if options.outside_village and options.skip_outside:
        raise job.refuse(
            N_("Use either --outside-village or --skip-outside, not both (importing %(field)s).")
        )
    if isinstance(target, Database):
        with target.write() as session:
            _run_or_try(session, entry.store, job)
    else:
        _run_or_try(target, entry.store, job)
    return summary


def _run_or_try(session: Session, store, job: Job) -> None:
    """Run in a SAVEPOINT; a dry run (--dry-run) rolls it back after doing everything."""
    savepoint = session.begin_nested()
    try:
        _run(session, store, job)
    except BaseException:
        savepoint.rollback()
        raise
    if job.options.dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()


def _run(session: Session, store, job: Job) -> None:
    store(session, job)
    session.flush()
    audit.record(
        session,
        "import",
        actor=job.options.actor,
        user_id=job.options.user_id,
        object_type=job.layer,
        changes=job.summary.audit_changes(),
    )
