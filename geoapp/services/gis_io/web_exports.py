"""One layer exported over the web: limited to the caller's scope, masked, audited.

The command-line export (``services/exporter.py``) writes the whole town for the
station office. Over the web every file holds only the rows the caller may see:
collectors their village, unit reporters their unit (its houses, the unit, the
people in its houses), town roles the whole town, optionally one village at a
time. Leaders never export people. ID numbers and phone numbers are masked for
every role but the administrator. Spreadsheet cells cannot start a formula, and
each export leaves an audit event. People exported are charged to the same
people budget as every other answer carrying people (``accounts/budget.py``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import geopandas as gpd
import orjson
import pandas as pd
import pyogrio

from geoapp.config import Settings
from geoapp.domain.errors import Forbidden, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.layers import GIS_LAYERS, REGISTRY
from geoapp.domain.roles import Scope
from geoapp.services.accounts import audit, budget
from geoapp.services.gis_io.code_labels import label_codes
from geoapp.services.gis_io.exporter import excel_frame, neutralise
from geoapp.services.gis_io.frames import PERSON_HEADERS, count_people
from geoapp.services.gis_io.registry import layer_frame
from geoapp.store.db import Database

LAYERS = (*GIS_LAYERS, "people")
FORMATS = ("xlsx", "csv", "geojson")
# Layers without geometry of their own: tables only.
TABLE_ONLY = frozenset({"people"})
SHEET_NAMES: dict[str, str] = {name: REGISTRY[name].sheet for name in LAYERS}
MIMETYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
}


@dataclass(frozen=True)
class ExportFile:
    body: bytes
    content_type: str
    filename: str
    rows: int


def check_request(scope: Scope, layer: str, fmt: str) -> None:
    """Refuse what no scope can make right: unknown layers/formats, people as GeoJSON,
    people for roles that see counts only."""
    if layer not in LAYERS or fmt not in FORMATS:
        raise NotFound(N_("There is no export %(name)s."), name=f"{layer}.{fmt}")
    if layer in TABLE_ONLY and fmt == "geojson":
        raise NotFound(N_("People have no map geometry of their own: export them as xlsx or csv."))
    if layer == "people" and not scope.sees_people:
        raise Forbidden(N_("Your role sees counts and rates, not people."))


# -- writing ---------------------------------------------------------------------------------


def spreadsheet_table(frame: pd.DataFrame | gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """The rows as a spreadsheet sees them: Chinese headers, no cell starting a formula."""
    if layer in TABLE_ONLY:
        return label_codes(frame, PERSON_HEADERS).map(neutralise).rename(columns=PERSON_HEADERS)
    return excel_frame(frame)


def render(frame: pd.DataFrame | gpd.GeoDataFrame, layer: str, fmt: str) -> bytes:
    if fmt == "geojson":
        return _geojson(frame)
    return table_file(spreadsheet_table(frame, layer), fmt, SHEET_NAMES[layer])


def table_file(table: pd.DataFrame, fmt: str, sheet: str) -> bytes:
    """A finished table (headers, neutralised cells) as CSV or one Excel sheet."""
    if fmt == "csv":
        # RFC 4180 line ends, so that a field holding a line break is quoted; the BOM tells Excel: UTF-8
        return ("\ufeff" + table.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")
    return _xlsx(table, sheet)


def _geojson(frame: gpd.GeoDataFrame) -> bytes:
    """A FeatureCollection in lon/lat (RFC 7946); each feature's id is the row's id."""
    collection = frame.to_geo_dict(na="null", drop_id=True)
    for feature in collection["features"]:
        feature["id"] = feature["properties"]["id"]
    return orjson.dumps(collection)


def _xlsx(table: pd.DataFrame, sheet: str) -> bytes:
    """GDAL's XLSX writer: ten times faster than openpyxl for a town's houses. It leaves
    out the header row of an empty sheet, so an empty table goes through openpyxl."""
    buffer = io.BytesIO()
    if len(table):
        pyogrio.write_dataframe(table, buffer, driver="XLSX", layer=sheet)
    else:
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            table.to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()


def export_layer(
    database: Database,
    scope: Scope,
    settings: Settings,
    layer: str,
    fmt: str,
    *,
    village_id: int | None = None,
    remote_addr: str | None = None,
) -> ExportFile:
    """The file for one layer in the caller's scope; the export is audited."""
    try:
        check_request(scope, layer, fmt)
    except Forbidden:
        with database.write() as s:
            audit.record_by(
                s,
                scope,
                "permission.refused",
                object_type="layer",
                object_id=layer,
                changes={"export": fmt},
                remote_addr=remote_addr,
            )
        raise
    with database.session() as read:
        if layer == "people":  # refuse before reading thousands of people
            budget.check(
                read, budget.people_allowances(read, scope, settings), count_people(read, scope, village_id)
            )
        frame = layer_frame(read, scope, layer, village_id)
    body = render(frame, layer, fmt)
    with database.write() as s:
        if layer == "people":
            budget.charge_people(s, scope, settings, len(frame))  # checked again: another read may have run
        audit.record_by(
            s,
            scope,
            "export",
            object_type="layer",
            object_id=layer,
            changes={"layer": layer, "format": fmt, "rows": len(frame), "village": village_id},
            remote_addr=remote_addr,
        )
    return ExportFile(body, MIMETYPES[fmt], f"yuping-{layer}.{fmt}", len(frame))
