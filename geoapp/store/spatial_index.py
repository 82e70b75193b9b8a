"""One spatial-query interface over SQLite R*Tree and PostGIS GiST."""

from __future__ import annotations

from sqlalchemy import Float, Integer, and_, column, func, select, table
from sqlalchemy.sql.elements import ColumnElement

from geoapp.store.types import SRID

BBox = tuple[float, float, float, float]


def rtree_name(table_name: str) -> str:
    return f"rtree_{table_name}"


def sqlite_index_ddl(table_name: str) -> list[str]:
    """R*Tree virtual table mirroring ``table_name``'s bbox columns through triggers."""
    rt = rtree_name(table_name)
    return [
        f"CREATE VIRTUAL TABLE {rt} USING rtree(id, minx, maxx, miny, maxy)",
        f"INSERT INTO {rt} SELECT id, minx, maxx, miny, maxy FROM {table_name}",
        f"""CREATE TRIGGER {rt}_ins AFTER INSERT ON {table_name} BEGIN
            INSERT INTO {rt} VALUES (new.id, new.minx, new.maxx, new.miny, new.maxy); END""",
        f"""CREATE TRIGGER {rt}_upd AFTER UPDATE OF minx, miny, maxx, maxy ON {table_name} BEGIN
            UPDATE {rt} SET minx = new.minx, maxx = new.maxx, miny = new.miny, maxy = new.maxy
            WHERE id = new.id; END""",
        f"""CREATE TRIGGER {rt}_del AFTER DELETE ON {table_name} BEGIN
            DELETE FROM {rt} WHERE id = old.id; END""",
    ]


def sqlite_index_drop_ddl(table_name: str) -> list[str]:
    rt = rtree_name(table_name)
    return [f"DROP TRIGGER IF EXISTS {rt}_{s}" for s in ("ins", "upd", "del")] + [
        f"DROP TABLE IF EXISTS {rt}"
    ]


def postgis_index_ddl(table_name: str) -> list[str]:
    return [f"CREATE INDEX ix_{table_name}_geom ON {table_name} USING gist (geom)"]


def bbox_filter(model, bbox: BBox, dialect: str) -> ColumnElement[bool]:
    """A WHERE clause selecting rows of ``model`` whose bbox meets ``bbox`` (index-backed)."""
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    # Both indexes keep single-precision boxes rounded outwards; the row's own
    # bbox columns (double precision) make the answer exact.
    exact = and_(model.maxx >= minx, model.minx <= maxx, model.maxy >= miny, model.miny <= maxy)
    if dialect == "postgresql":
        envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID)
        return and_(model.geom.op("&&")(envelope), exact)
    rt = table(
        rtree_name(model.__tablename__),
        column("id", Integer),
        column("minx", Float),
        column("maxx", Float),
        column("miny", Float),
        column("maxy", Float),
    )
    ids = select(rt.c.id).where(
        and_(rt.c.maxx >= minx, rt.c.minx <= maxx, rt.c.maxy >= miny, rt.c.miny <= maxy)
    )
    return and_(model.id.in_(ids), exact)
