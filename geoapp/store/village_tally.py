"""Each village's houses counted by state, kept by the database itself.

Coverage as of today (``services/reports/coverage/today.py``) needs, per village, the houses
(and their people and households) in each state: collected, verified or returned; a
flagged visit not yet checked; checked; passed at the first check; and first submitted
before which stage deadline. Grouping a county's million houses for that takes seconds,
so ``village_tally`` keeps the groups, one row per village and state, and triggers on
``building`` move a house from one row to another on every insert, update and delete,
whatever code writes it (as ``store/house_counts.py`` counts people per house). A
county's coverage then reads a few thousand rows.

The deadline bucket of a house is the number of stage deadlines (the UTC end of each
collection stage's last day, in ``tally_deadline``, in stage order) at or before its
first submission: a house was submitted before stage ``j``'s deadline when its bucket is
at most ``j``. ``set_deadlines`` stores the campaign's deadlines and regroups every
house (the settings service calls it when a deadline changes); the reader checks the
stored deadlines against the campaign and counts from the houses themselves if they
differ, so a stale tally is never read. ``rebuild_sql`` regroups from scratch (after a
bulk load without the triggers, or to check them).

Uncollected houses and houses outside any village are not kept: they count for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, text

from geoapp.store.models import TallyDeadline

KEY = ("village_id", "status", "flagged", "checked", "passed", "bucket")
SUMS = ("houses", "people", "households")
NO_SUBMISSION = 99  # the bucket of a house with no submission time: before no deadline
WATCHED = (
    "village_id, status, visit_flag, collected_at, first_collected_at, verified_at, first_checked_at, "
    "first_check_passed, updated_at, revisit_failed_at, people_count, households_count"
)


def key_sql(r: str) -> list[str]:
    """The state of the house row ``r`` (``new``, ``old`` or ``building``), in KEY's order.

    As ``coverage._current_flags`` reads the columns when nothing happened after as_of."""
    checked_at = (
        f"COALESCE({r}.first_checked_at, {r}.verified_at, "
        f"CASE WHEN {r}.status = 'returned' THEN COALESCE({r}.updated_at, {r}.collected_at) END)"
    )
    passed = f"COALESCE({r}.first_check_passed, {r}.verified_at IS NOT NULL)"
    first = f"COALESCE({r}.first_collected_at, {r}.collected_at)"
    return [
        f"{r}.village_id",
        f"{r}.status",
        f"CASE WHEN {r}.status = 'collected' AND {r}.visit_flag IS NOT NULL THEN 1 ELSE 0 END",
        f"CASE WHEN {checked_at} IS NOT NULL OR {r}.revisit_failed_at IS NOT NULL THEN 1 ELSE 0 END",
        f"CASE WHEN {checked_at} IS NOT NULL AND {passed} AND {r}.revisit_failed_at IS NULL THEN 1 ELSE 0 END",
        f"CASE WHEN {first} IS NULL THEN {NO_SUBMISSION} "
        f"ELSE (SELECT COUNT(*) FROM tally_deadline WHERE tally_deadline.ends_at <= {first}) END",
    ]


def _counted(r: str) -> str:
    return f"{r}.status <> 'uncollected' AND {r}.village_id IS NOT NULL"


def _move(r: str, sign: str) -> str:
    """Add (``+``) or take away (``-``) the house row ``r`` in its group."""
    values = ", ".join([*key_sql(r), f"{sign}1", f"{sign}{r}.people_count", f"{sign}{r}.households_count"])
    sets = ", ".join(f"{c} = village_tally.{c} + excluded.{c}" for c in SUMS)
    return (
        f"INSERT INTO village_tally ({', '.join(KEY + SUMS)}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets};"
    )


def _sqlite() -> list[str]:
    return [
        f"CREATE TRIGGER tally_building_ins AFTER INSERT ON building WHEN {_counted('new')} "
        f"BEGIN {_move('new', '+')} END",
        f"CREATE TRIGGER tally_building_del AFTER DELETE ON building WHEN {_counted('old')} "
        f"BEGIN {_move('old', '-')} END",
        f"CREATE TRIGGER tally_building_upd_old AFTER UPDATE OF {WATCHED} ON building WHEN {_counted('old')} "
        f"BEGIN {_move('old', '-')} END",
        f"CREATE TRIGGER tally_building_upd_new AFTER UPDATE OF {WATCHED} ON building WHEN {_counted('new')} "
        f"BEGIN {_move('new', '+')} END",
    ]


def _postgresql(when: bool = True) -> list[str]:
    """The PL/pgSQL function and its row triggers. With ``when`` (migration 0022) each trigger
    has the function's own condition as its WHEN, so a write that counts for nothing (a new
    uncollected house: a whole import) never calls PL/pgSQL nor queues an after-trigger event."""
    ins = f" WHEN ({_counted('NEW')})" if when else ""
    dele = f" WHEN ({_counted('OLD')})" if when else ""
    upd = f" WHEN (({_counted('OLD')}) OR ({_counted('NEW')}))" if when else ""
    return [
        f"""CREATE FUNCTION tally_building() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') AND {_counted("OLD")} THEN
                {_move("OLD", "-")}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {_counted("NEW")} THEN
                {_move("NEW", "+")}
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER tally_building_ins AFTER INSERT ON building FOR EACH ROW{ins} "
        "EXECUTE FUNCTION tally_building()",
        f"CREATE TRIGGER tally_building_del AFTER DELETE ON building FOR EACH ROW{dele} "
        "EXECUTE FUNCTION tally_building()",
        f"CREATE TRIGGER tally_building_upd AFTER UPDATE OF {WATCHED} ON building FOR EACH ROW{upd} "
        "EXECUTE FUNCTION tally_building()",
    ]


def triggers_ddl(dialect: str, *, when: bool = True) -> list[str]:
    """The triggers as they are now; ``when=False``: PostgreSQL's before migration 0022."""
    return _postgresql(when) if dialect == "postgresql" else _sqlite()


def drop_triggers_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS tally_building_{s} ON building" for s in ("ins", "del", "upd")),
            "DROP FUNCTION IF EXISTS tally_building()",
        ]
    return [f"DROP TRIGGER IF EXISTS tally_building_{s}" for s in ("ins", "del", "upd_old", "upd_new")]


def rebuild_sql() -> list[str]:
    """Regroup every house from scratch."""
    keys = key_sql("building")
    return [
        "DELETE FROM village_tally",
        f"INSERT INTO village_tally ({', '.join(KEY + SUMS)}) "
        f"SELECT {', '.join(keys)}, COUNT(*), SUM(building.people_count), SUM(building.households_count) "
        f"FROM building WHERE {_counted('building')} GROUP BY {', '.join(keys)}",
    ]


def stored_deadlines(connection: Connection) -> list[datetime]:
    return list(connection.execute(select(TallyDeadline.ends_at).order_by(TallyDeadline.stage)).scalars())


def set_deadlines(connection: Connection, ends: Sequence[datetime]) -> bool:
    """Store the stage deadlines (UTC ends, in stage order) and regroup every house if they
    changed. Returns whether anything changed."""
    if stored_deadlines(connection) == list(ends):
        return False
    connection.execute(delete(TallyDeadline))
    if ends:
        connection.execute(
            insert(TallyDeadline), [{"stage": k, "ends_at": end} for k, end in enumerate(ends)]
        )
    for statement in rebuild_sql():
        connection.execute(text(statement))
    return True
