"""A geometry column that is PostGIS ``geometry`` on PostgreSQL and WKB in SQLite.

Values are shapely geometries in longitude/latitude (EPSG:4326) on both.
"""

from __future__ import annotations

import shapely
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator, UserDefinedType

SRID = 4326


class _PostGISGeometry(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return f"geometry(GEOMETRY,{SRID})"


class Geometry(TypeDecorator):
    """shapely geometry <-> PostGIS geometry (hex EWKB) or SQLite BLOB (WKB)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, *_reflected_args) -> None:  # reflection passes ("GEOMETRY", 4326)
        super().__init__()

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return shapely.from_wkb(value)


def wkb_array(geoms, dialect_name: str) -> list:
    """Vectorised bind values for bulk inserts (same encoding as ``Geometry``)."""
    if dialect_name == "postgresql":
        return list(shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True))
    return list(shapely.to_wkb(geoms))


def _register_postgis_reflection() -> None:
    """Let SQLAlchemy reflect PostGIS ``geometry`` columns as our type (as GeoAlchemy2 does)."""
    from sqlalchemy.dialects.postgresql import base as postgresql_base

    postgresql_base.ischema_names.setdefault("geometry", Geometry)


_register_postgis_reflection()
