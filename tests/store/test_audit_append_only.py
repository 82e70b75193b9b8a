"""The audit trail is append-only in the database itself (migration 0005): whoever sends an
UPDATE, DELETE or TRUNCATE of ``audit_event`` (the application, a script, someone at the
database prompt) is refused; INSERT still works. On SQLite and on PostGIS."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from geoapp.services.accounts import audit
from geoapp.store.migrate import alembic_config, upgrade
from geoapp.store.models import AuditEvent

REFUSED = "append-only"


def _trail(db) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(AuditEvent.__table__).order_by(AuditEvent.id))]


@pytest.fixture
def trail(db):
    with db.write() as s:
        for n in range(3):
            audit.record(s, "building.update", actor=f"user{n}", object_type="building", object_id=n)
    return _trail(db)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET actor = 'someone else'",
        "UPDATE audit_event SET changes = NULL WHERE id = (SELECT MIN(id) FROM audit_event)",
        "UPDATE audit_event SET at = at",  # even a no-op update
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE actor = 'user1'",
    ],
)
def test_raw_sql_cannot_change_or_delete_events(db, trail, sql):
    with pytest.raises(DBAPIError, match=REFUSED), db.engine.begin() as c:
        c.execute(text(sql))
    assert _trail(db) == trail


def test_emptying_the_table_at_once_is_refused(db, trail, backend):
    """TRUNCATE on PostgreSQL; SQLite has none (its "truncate optimisation" of a DELETE
    without WHERE is off when the table has a DELETE trigger)."""
    sql = "TRUNCATE audit_event" if backend == "postgis" else "DELETE FROM audit_event"
    with pytest.raises(DBAPIError, match=REFUSED), db.engine.begin() as c:
        c.execute(text(sql))
    assert _trail(db) == trail


def test_the_orm_and_core_cannot_change_or_delete_events_either(db, trail):
    with pytest.raises(DBAPIError, match=REFUSED), db.write() as s:
        s.get(AuditEvent, trail[0][0]).actor = "someone else"
    with pytest.raises(DBAPIError, match=REFUSED), db.write() as s:
        s.delete(s.get(AuditEvent, trail[0][0]))
    with pytest.raises(DBAPIError, match=REFUSED), db.write() as s:
        s.execute(update(AuditEvent).values(remote_addr="10.0.0.1"))
    with pytest.raises(DBAPIError, match=REFUSED), db.write() as s:
        s.execute(delete(AuditEvent))
    assert _trail(db) == trail


def test_inserting_still_works(db, trail):
    with db.engine.begin() as c:
        c.execute(
            text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'sql', 'note')"),
            {"at": datetime(2020, 1, 1)},
        )
    with db.write() as s:
        audit.record(s, "export", actor="orm")
    after = _trail(db)
    assert after[: len(trail)] == trail and [r[3] for r in after[len(trail) :]] == ["sql", "orm"]


def test_a_write_refused_by_the_guard_rolls_back_the_whole_transaction(db, trail):
    with pytest.raises(DBAPIError, match=REFUSED), db.write() as s:
        audit.record(s, "export", actor="in the same transaction")
        s.flush()
        s.execute(text("DELETE FROM audit_event"))
    assert _trail(db) == trail


def test_the_guards_come_off_only_by_migrating_down(db, trail):
    """Downgrading 0005 drops the triggers (a deliberate schema change); upgrading restores them."""
    cfg = alembic_config(db.engine)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0005-1")
    with db.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET actor = 'changed' WHERE actor = 'user0'"))
    upgrade(db.engine)
    with pytest.raises(DBAPIError, match=REFUSED), db.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET actor = 'user0' WHERE actor = 'changed'"))
    with db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.actor == "changed")) == 1
