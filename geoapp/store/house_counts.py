"""Each house's number of people and households, kept by the database itself.

``building.people_count`` and ``building.households_count`` follow every insert,
delete and move (a change of ``building_id``) of ``person`` and ``household`` rows,
whatever code writes them, through triggers (as the SQLite spatial index does), so
that coverage of a whole county reads one row per house instead of joining millions
of people. ``recount_sql`` sets them from scratch (after a bulk load without the
triggers, or to check them).
"""

from __future__ import annotations

COUNTED = (("person", "people_count"), ("household", "households_count"))


def _sqlite(table: str, column: str) -> list[str]:
    add = f"UPDATE building SET {column} = {column} + 1 WHERE id = new.building_id;"
    remove = f"UPDATE building SET {column} = {column} - 1 WHERE id = old.building_id;"
    return [
        f"CREATE TRIGGER count_{table}_ins AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER count_{table}_del AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER count_{table}_move AFTER UPDATE OF building_id ON {table} "
        f"WHEN old.building_id IS NOT new.building_id BEGIN {remove} {add} END",
    ]


def _postgresql(table: str, column: str) -> list[str]:
    function = f"count_{table}_in_building"
    return [
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') THEN
                UPDATE building SET {column} = {column} - 1 WHERE id = OLD.building_id;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                UPDATE building SET {column} = {column} + 1 WHERE id = NEW.building_id;
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER count_{table}_ins AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER count_{table}_del AFTER DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER count_{table}_move AFTER UPDATE OF building_id ON {table} FOR EACH ROW "
        f"WHEN (OLD.building_id IS DISTINCT FROM NEW.building_id) EXECUTE FUNCTION {function}()",
    ]


def triggers_ddl(dialect: str) -> list[str]:
    make = _postgresql if dialect == "postgresql" else _sqlite
    return [statement for table, column in COUNTED for statement in make(table, column)]


def drop_triggers_ddl(dialect: str) -> list[str]:
    out = []
    for table, _ in COUNTED:
        for suffix in ("ins", "del", "move"):
            on = f" ON {table}" if dialect == "postgresql" else ""
            out.append(f"DROP TRIGGER IF EXISTS count_{table}_{suffix}{on}")
        if dialect == "postgresql":
            out.append(f"DROP FUNCTION IF EXISTS count_{table}_in_building()")
    return out


def recount_sql() -> list[str]:
    return [
        f"UPDATE building SET {column} = (SELECT count(*) FROM {table} WHERE {table}.building_id = building.id)"
        for table, column in COUNTED
    ]
