"""The town's layers read as one caller may see them (one function per layer, named by
its entry in ``registry.py``): in their scope, sensitive fields
masked for every role but the administrator. Exports over the web and from the
command line (which reads as the administrator) both start here."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.address import UNNAMED_ROAD
from geoapp.domain.layers import GIS_LAYERS, MASK_ID_NUMBER, MASK_PHONE, UNMASKED_ROLES, LayerSpec, spec
from geoapp.domain.roles import Role, Scope, mask_id_number, mask_phone
from geoapp.services.accounts.scoping import scoped, village_filter
from geoapp.services.gis_io.code_labels import chinese
from geoapp.services.gis_io.layers import raw_geom
from geoapp.store.models import Building, Person, Street, Unit, Village

LONLAT = "EPSG:4326"
# Reading as the station office does from the command line: the whole town, unmasked.
STATION_OFFICE = Scope(None, "cli", Role.ADMIN)
MASKS = {MASK_PHONE: mask_phone, MASK_ID_NUMBER: mask_id_number}
__all__ = ["GIS_LAYERS", "STATION_OFFICE", "UNMASKED_ROLES"]

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


def protect(frame: pd.DataFrame, layer: LayerSpec, scope: Scope) -> pd.DataFrame:
    """The layer's fields as the reader's role may see them (its registry entry says which
    columns name people and which are masked)."""
    drop, masked = layer.fields_for(scope.role, scope.sees_people)
    if drop:
        frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    for column, mask in masked.items():
        if column in frame.columns:
            _mask(frame, column, MASKS[mask])
    return frame


def _geometries(wkb: list) -> np.ndarray:
    return shapely.from_wkb(np.asarray(wkb, dtype=object)) if wkb else np.array([], dtype=object)


def _geo_frame(session: Session, names: list[str], stmt) -> gpd.GeoDataFrame:
    """Run ``stmt`` (columns ``names``, then WKB) into a lon/lat GeoDataFrame."""
    rows = session.execute(stmt).all()
    data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return gpd.GeoDataFrame(data, geometry=_geometries([r[-1] for r in rows]), crs=LONLAT)


def villages_frame(session: Session, scope: Scope, village_id: int | None) -> gpd.GeoDataFrame:
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
    return _geo_frame(session, list(spec("villages").columns), stmt.order_by(Village.id))


def streets_frame(
    session: Session, scope: Scope | None = None, village_id: int | None = None
) -> gpd.GeoDataFrame:
    """Streets are the town's reference lines (every role sees them on the map)."""
    dialect = session.get_bind().dialect.name
    stmt = select(Street.id, Street.name, Street.kind, raw_geom(Street.geom, dialect)).order_by(Street.id)
    return _unnamed_roads(_geo_frame(session, list(spec("streets").columns), stmt), "name")


def buildings_frame(session: Session, scope: Scope, village_id: int | None) -> gpd.GeoDataFrame:
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
    return _unnamed_roads(
        _geo_frame(session, list(spec("buildings").columns), stmt.order_by(Building.id)), "street"
    )


def _unnamed_roads(frame: gpd.GeoDataFrame, column: str) -> gpd.GeoDataFrame:
    """Streets stored without a name ("") exported as 无名路 (importing it back keeps them unnamed)."""
    frame[column] = frame[column].mask(frame[column] == "", chinese(UNNAMED_ROAD))
    return frame


def units_frame(session: Session, scope: Scope, village_id: int | None) -> gpd.GeoDataFrame:
    """Units at their building's point; a unit not yet placed on the map has no geometry
    (the town roles see it; scoped roles only see units in their buildings)."""
    names = list(spec("units").columns)
    stmt = select(
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
    ).outerjoin(Building, Building.id == Unit.building_id)
    stmt = scoped(stmt, scope)
    if scope.role == Role.REPORTER:
        stmt = stmt.where(Unit.id == scope.unit_id)
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    rows = session.execute(stmt.order_by(Unit.id)).all()
    data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    geometry = np.array([None if r[-2] is None else shapely.Point(r[-2], r[-1]) for r in rows], dtype=object)
    frame = gpd.GeoDataFrame(data, geometry=geometry, crs=LONLAT)
    return protect(frame, spec("units"), scope)


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


def people_frame(session: Session, scope: Scope, village_id: int | None) -> pd.DataFrame:
    rows = session.execute(_people_query(session, scope, village_id).order_by(Person.id)).all()
    records = []
    for r in rows:
        record = dict(zip(PERSON_HEADERS, r, strict=True))
        record["birth_date"] = r.birth_date.isoformat() if r.birth_date else None
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=list(PERSON_HEADERS))
    return protect(frame, spec("people"), scope)
