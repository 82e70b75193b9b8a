"""One layer exported over the web: limited to the caller's scope, masked, audited.

The command-line export (``services/exporter.py``) writes the whole town for the
station office. Over the web every file holds only the rows the caller may see:
collectors their village, unit reporters their unit (its houses, the unit, the
people in its houses), town roles the whole town, optionally one village at a
time. Leaders never export people. ID numbers and phone numbers are masked for
every role but the administrator. Spreadsheet cells cannot start a formula, and
each export leaves an audit event. People exported count against the same
bulk-read allowance as the people listing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.errors import Forbidden, NotFound, TooManyRequests
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope, mask_id_number, mask_phone
from geoapp.services import audit, people, throttle
from geoapp.services.exporter import LONLAT, SHEETS, excel_frame, neutralise
from geoapp.services.layers import raw_geom
from geoapp.services.scoping import scoped, village_filter
from geoapp.store.db import Database
from geoapp.store.models import Building, Person, Street, Unit, Village

LAYERS = ("villages", "streets", "buildings", "units", "people")
FORMATS = ("xlsx", "csv", "geojson")
# Layers without geometry of their own: tables only.
TABLE_ONLY = frozenset({"people"})
# Roles that get full ID numbers and phone numbers in a file.
UNMASKED_ROLES = frozenset({Role.ADMIN})

PERSON_HEADERS: dict[str, str] = {
    "id": "编号",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "phone": "联系电话",
    "ethnicity": "民族",
    "hukou_address": "户籍地",
    "residence_type": "居住类型",
    "separated": "人户分离",
    "relation": "与户主关系",
    "building_id": "所在房屋",
    "address": "标准地址",
}
SHEET_NAMES: dict[str, str] = {**SHEETS, "people": "人口"}
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


# -- reading, in scope ----------------------------------------------------------------------


def _geometries(wkb: list) -> np.ndarray:
    return shapely.from_wkb(np.asarray(wkb, dtype=object)) if wkb else np.array([], dtype=object)


def _geo_frame(session: Session, names: list[str], stmt) -> gpd.GeoDataFrame:
    """Run ``stmt`` (columns ``names``, then WKB) into a lon/lat GeoDataFrame."""
    rows = session.execute(stmt).all()
    data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return gpd.GeoDataFrame(data, geometry=_geometries([r[-1] for r in rows]), crs=LONLAT)


def _villages(session: Session, scope: Scope, village_id: int | None) -> gpd.GeoDataFrame:
    dialect = session.get_bind().dialect.name
    stmt = select(
        Village.id,
        Village.code,
        Village.name,
        Village.task_people,
        Village.task_houses,
        Village.task_units,
        raw_geom(Village.geom, dialect),
    )
    if scope.role == Role.COLLECTOR:
        stmt = stmt.where(Village.id == scope.village_id)
    elif scope.role == Role.REPORTER:
        stmt = stmt.where(
            Village.id.in_(
                select(Building.village_id)
                .join(Unit, Unit.building_id == Building.id)
                .where(Unit.id == scope.unit_id)
            )
        )
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Village.id == village_id)
    names = ["id", "code", "name", "task_people", "task_houses", "task_units"]
    return _geo_frame(session, names, stmt.order_by(Village.id))


def _streets(session: Session) -> gpd.GeoDataFrame:
    """Streets are the town's reference lines (every role sees them on the map)."""
    dialect = session.get_bind().dialect.name
    stmt = select(Street.id, Street.name, Street.kind, raw_geom(Street.geom, dialect)).order_by(Street.id)
    return _geo_frame(session, ["id", "name", "kind"], stmt)


def _buildings(session: Session, scope: Scope, village_id: int | None) -> gpd.GeoDataFrame:
    dialect = session.get_bind().dialect.name
    stmt = scoped(
        select(
            Building.id,
            Village.code,
            Village.name,
            Street.name,
            Building.door_no,
            Building.address,
            Building.use,
            Building.floors,
            Building.structure,
            Building.status,
            Building.return_reason,
            Building.lon,
            Building.lat,
            raw_geom(Building.geom, dialect),
        )
        .join(Village, Village.id == Building.village_id)
        .outerjoin(Street, Street.id == Building.street_id),
        scope,
    )
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    names = ["id", "village_code", "village", "street", "door_no", "address", "use", "floors", "structure",
             "status", "return_reason", "lon", "lat"]  # fmt: skip
    return _geo_frame(session, names, stmt.order_by(Building.id))


def _units(session: Session, scope: Scope, village_id: int | None) -> gpd.GeoDataFrame:
    stmt = scoped(
        select(
            Unit.id,
            Unit.name,
            Unit.uscc,
            Unit.kind,
            Unit.legal_rep,
            Unit.phone,
            Unit.status,
            Unit.building_id,
            Building.address,
            Building.lon,
            Building.lat,
        ).join(Building, Building.id == Unit.building_id),
        scope,
    )
    if scope.role == Role.REPORTER:
        stmt = stmt.where(Unit.id == scope.unit_id)
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    rows = session.execute(stmt.order_by(Unit.id)).all()
    names = [
        "id",
        "name",
        "uscc",
        "kind",
        "legal_rep",
        "phone",
        "status",
        "building_id",
        "address",
        "lon",
        "lat",
    ]
    data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    geometry = shapely.points([(r[-2], r[-1]) for r in rows]) if rows else np.array([], dtype=object)
    frame = gpd.GeoDataFrame(data, geometry=geometry, crs=LONLAT)
    if scope.role not in UNMASKED_ROLES:
        frame["phone"] = [mask_phone(v) for v in frame["phone"]]
    return frame


def _people_query(session: Session, scope: Scope, village_id: int | None):
    stmt = scoped(
        select(
            Person.id,
            Person.name,
            Person.sex,
            Person.birth_date,
            Person.id_type,
            Person.id_number,
            Person.phone,
            Person.ethnicity,
            Person.hukou_address,
            Person.residence_type,
            Person.separated,
            Person.relation,
            Person.building_id,
            Building.address,
        ).join(Building, Building.id == Person.building_id),
        scope,
    )
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    return stmt


def count_people(session: Session, scope: Scope, village_id: int | None = None) -> int:
    stmt = _people_query(session, scope, village_id)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _people(session: Session, scope: Scope, village_id: int | None) -> pd.DataFrame:
    rows = session.execute(_people_query(session, scope, village_id).order_by(Person.id)).all()
    unmasked = scope.role in UNMASKED_ROLES
    records = []
    for r in rows:
        record = dict(zip(PERSON_HEADERS, r, strict=True))
        record["birth_date"] = r.birth_date.isoformat() if r.birth_date else None
        if not unmasked:
            record["id_number"] = mask_id_number(r.id_number)
            record["phone"] = mask_phone(r.phone)
        records.append(record)
    return pd.DataFrame.from_records(records, columns=list(PERSON_HEADERS))


def layer_frame(
    session: Session, scope: Scope, layer: str, village_id: int | None = None
) -> pd.DataFrame | gpd.GeoDataFrame:
    """One layer as the caller may see it, sensitive fields already masked."""
    if layer == "villages":
        return _villages(session, scope, village_id)
    if layer == "streets":
        return _streets(session)
    if layer == "buildings":
        return _buildings(session, scope, village_id)
    if layer == "units":
        return _units(session, scope, village_id)
    return _people(session, scope, village_id)


# -- writing ---------------------------------------------------------------------------------


def spreadsheet_table(frame: pd.DataFrame | gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """The rows as a spreadsheet sees them: Chinese headers, no cell starting a formula."""
    if layer in TABLE_ONLY:
        return frame.map(neutralise).rename(columns=PERSON_HEADERS)
    return excel_frame(frame)


def render(frame: pd.DataFrame | gpd.GeoDataFrame, layer: str, fmt: str) -> bytes:
    if fmt == "geojson":
        return _geojson(frame)
    table = spreadsheet_table(frame, layer)
    if fmt == "csv":
        # RFC 4180 line ends, so that a field holding a line break is quoted; the BOM tells Excel: UTF-8
        return ("\ufeff" + table.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")
    return _xlsx(table, SHEET_NAMES[layer])


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


# -- the bulk-read allowance -------------------------------------------------------------------


def _check_allowance(session: Session, scope: Scope, settings: Settings, rows: int) -> None:
    key = people._read_key(scope)  # the people listing's window: one allowance for both
    window = timedelta(minutes=settings.person_read_window_minutes)
    used = throttle.count(session, key, window)
    if used + rows > settings.person_read_limit:
        raise TooManyRequests(
            N_(
                "This file would hold %(rows)d people, but you may read only %(left)d more in %(minutes)d minutes: export one village at a time, or wait."
            ),
            retry_after_s=throttle.retry_after_s(session, key, window) or 60,
            rows=rows,
            left=max(0, settings.person_read_limit - used),
            minutes=settings.person_read_window_minutes,
        )


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
            audit.record(
                s,
                "permission.refused",
                actor=scope.username,
                user_id=scope.user_id,
                object_type="layer",
                object_id=layer,
                changes={"export": fmt},
                remote_addr=remote_addr,
            )
        raise
    with database.session() as read:
        if layer == "people":  # refuse before reading thousands of people
            _check_allowance(read, scope, settings, count_people(read, scope, village_id))
        frame = layer_frame(read, scope, layer, village_id)
    body = render(frame, layer, fmt)
    with database.write() as s:
        if layer == "people":
            _check_allowance(s, scope, settings, len(frame))  # again: another export may have run
            people.count_read(s, scope, len(frame))
        audit.record(
            s,
            "export",
            actor=scope.username,
            user_id=scope.user_id,
            object_type="layer",
            object_id=layer,
            changes={"layer": layer, "format": fmt, "rows": len(frame), "village": village_id},
            remote_addr=remote_addr,
        )
    return ExportFile(body, MIMETYPES[fmt], f"yuping-{layer}.{fmt}", len(frame))
