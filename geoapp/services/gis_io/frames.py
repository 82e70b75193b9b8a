"""The town's layers read as one caller may see them: in their scope, sensitive fields
masked for every role but the administrator. Exports over the web and from the
command line (which reads as the administrator) both start here."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.roles import Role, Scope, mask_id_number, mask_phone
from geoapp.services.accounts.scoping import scoped, village_filter
from geoapp.services.gis_io.layers import raw_geom
from geoapp.store.models import Building, Person, Street, Unit, Village

LONLAT = "EPSG:4326"
# Roles that get full ID numbers and phone numbers in a file.
UNMASKED_ROLES = frozenset({Role.ADMIN})
# Reading as the station office does from the command line: the whole town, unmasked.
STATION_OFFICE = Scope(None, "cli", Role.ADMIN)
GIS_LAYERS = ("villages", "streets", "buildings", "units")

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


def _mask(frame: pd.DataFrame, column: str, mask) -> None:
    """Mask one column in place. A frame holds a missing value as NaN or ``pd.NA``, not
    None: the masks take those for missing (they stay empty cells), never for text."""
    frame[column] = pd.Series([mask(v) for v in frame[column]], index=frame.index, dtype=object)


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
    if not scope.sees_people:  # leaders: aggregates and statuses, no names of people
        return frame.drop(columns=["legal_rep", "phone"])
    if scope.role not in UNMASKED_ROLES:
        _mask(frame, "phone", mask_phone)
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
    records = []
    for r in rows:
        record = dict(zip(PERSON_HEADERS, r, strict=True))
        record["birth_date"] = r.birth_date.isoformat() if r.birth_date else None
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=list(PERSON_HEADERS))
    if scope.role not in UNMASKED_ROLES:
        _mask(frame, "id_number", mask_id_number)
        _mask(frame, "phone", mask_phone)
    return frame


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
