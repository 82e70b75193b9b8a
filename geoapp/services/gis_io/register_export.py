"""The units register exported with the filter on screen: Chinese headers and labels,
masked as every export is (``domain/layers.py``: the units layer's entry), audited."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from geoapp.domain.layers import REGISTER_HEADERS, spec
from geoapp.domain.roles import Scope
from geoapp.domain.spreadsheet import neutralise
from geoapp.domain.status import STATUS_LABELS
from geoapp.domain.units import UnitFilter
from geoapp.domain.uses import UNIT_KIND_LABELS
from geoapp.services.accounts import audit
from geoapp.services.campaign import units
from geoapp.services.gis_io.frames import protect
from geoapp.services.gis_io.web_exports import MIMETYPES, ExportFile, table_file
from geoapp.store.db import Database

FORMATS = ("xlsx", "csv")
SHEET = "实有单位"


def register_table(rows: list[dict], scope: Scope, translate: Callable[[str], str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(REGISTER_HEADERS))
    frame = protect(frame, spec("units"), scope)  # no names for leaders, phones masked but for administrators
    kinds = {k.value: translate(label) for k, label in UNIT_KIND_LABELS.items()}
    statuses = {s.value: translate(label) for s, label in STATUS_LABELS.items()}
    frame["kind"] = [kinds.get(v, v) for v in frame["kind"]]
    frame["status"] = [statuses.get(v, v) for v in frame["status"]]
    return frame.map(neutralise).rename(columns=REGISTER_HEADERS)


def export_register(
    database: Database,
    scope: Scope,
    flt: UnitFilter,
    fmt: str,
    *,
    translate: Callable[[str], str] = lambda s: s,
    remote_addr: str | None = None,
) -> ExportFile:
    with database.session() as read:
        rows = units.register_rows(read, scope, flt)
    body = table_file(register_table(rows, scope, translate), fmt, SHEET)
    with database.write() as s:
        audit.record_by(
            s,
            scope,
            "export",
            object_type="layer",
            object_id="units_register",
            changes={"layer": "units_register", "format": fmt, "rows": len(rows), "filter": flt.query()},
            remote_addr=remote_addr,
        )
    return ExportFile(body, MIMETYPES[fmt], f"yuping-units-register.{fmt}", len(rows))


__all__ = ["FORMATS", "export_register", "register_table"]
