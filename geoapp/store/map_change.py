"""How many times each map table changed, kept by the database itself.

The map's GeoJSON endpoints answer ``304 Not Modified`` when nothing they draw changed
since the browser's copy: their ETag is made of the change counters of the tables the
layer reads (``map_change``, one row per table), bumped by triggers on every insert,
update and delete whatever code writes them (ORM, bulk statements, imports). Reading
the counters costs one primary-key lookup per table, however large the town or county.

On PostgreSQL the triggers run once per statement (a bulk import of a million rows
bumps the counter once); SQLite has only row triggers, so each written row adds one
update of a one-row table. ``bump_sql`` bumps every counter (after a bulk load made
without the triggers, or a restore).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from geoapp.store.models import MapChange

# Tables drawn on the maps, and for user_account only what the blocks layer shows (names).
TABLES = (
    "village",
    "street",
    "building",
    "unit",
    "block",
    "block_building",
    "block_assignment",
    "user_account",
)
WATCHED = {"user_account": "username, name, role, disabled"}


def _sqlite(table: str) -> list[str]:
    bump = f"UPDATE map_change SET n = n + 1 WHERE name = '{table}';"
    of = f" OF {WATCHED[table]}" if table in WATCHED else ""
    return [
        f"CREATE TRIGGER map_change_{table}_ins AFTER INSERT ON {table} BEGIN {bump} END",
        f"CREATE TRIGGER map_change_{table}_del AFTER DELETE ON {table} BEGIN {bump} END",
        f"CREATE TRIGGER map_change_{table}_upd AFTER UPDATE{of} ON {table} BEGIN {bump} END",
    ]


def _postgresql(table: str) -> list[str]:
    of = f" OF {WATCHED[table]}" if table in WATCHED else ""
    return [
        f"CREATE TRIGGER map_change_{table} AFTER INSERT OR DELETE OR UPDATE{of} ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION map_change_bump()"
    ]


FUNCTION = """CREATE FUNCTION map_change_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE map_change SET n = n + 1 WHERE name = TG_TABLE_NAME;
    RETURN NULL;
END $$"""


def seed_rows() -> list[dict]:
    return [{"name": t, "n": 0} for t in TABLES]


def triggers_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [FUNCTION, *(s for t in TABLES for s in _postgresql(t))]
    return [s for t in TABLES for s in _sqlite(t)]


def drop_triggers_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS map_change_{t} ON {t}" for t in TABLES),
            "DROP FUNCTION IF EXISTS map_change_bump()",
        ]
    return [f"DROP TRIGGER IF EXISTS map_change_{t}_{s}" for t in TABLES for s in ("ins", "del", "upd")]


def bump_sql() -> str:
    return "UPDATE map_change SET n = n + 1"


def counters(connection: Connection, tables: Iterable[str]) -> tuple[int, ...]:
    """The change counters of ``tables``, in their order (one small indexed read)."""
    names = list(tables)
    rows = dict(
        connection.execute(select(MapChange.name, MapChange.n).where(MapChange.name.in_(names))).all()
    )
    return tuple(int(rows.get(t, -1)) for t in names)
