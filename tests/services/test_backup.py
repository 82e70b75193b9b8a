"""``services/admin/backup``: a backup made while the app writes is consistent; a restore gives
back every row of every table, and the database's triggers still work after it; backups that
are not geoapp's, or newer than the code, are refused; older ones are migrated (both backends)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from geoapp.domain.errors import Conflict, GeoappError, NotFound
from geoapp.services.admin.backup import BackupError, backup, restore
from geoapp.store.db import Database
from geoapp.store.migrate import current_revision, head_revision, run
from geoapp.store.models import Base, Person


def tables(engine) -> dict[str, list[tuple]]:
    """Every table of the metadata and ``alembic_version``, row by row in a stable order."""
    out = {}
    with engine.connect() as c:
        for table in [*Base.metadata.sorted_tables, None]:
            name = table.name if table is not None else "alembic_version"
            order = ", ".join(str(i + 1) for i in range(len(table.columns))) if table is not None else "1"
            out[name] = [tuple(r) for r in c.execute(text(f"SELECT * FROM {name} ORDER BY {order}"))]
    return out


def test_a_restore_gives_back_every_row_and_the_triggers_still_work(demo_db, tmp_path):
    before = tables(demo_db.engine)
    assert sum(len(rows) for rows in before.values()) > 10_000 and before["person"]
    done = backup(demo_db.url, tmp_path / "town.backup")
    assert done.revision == head_revision() and done.size_bytes > 0

    with demo_db.engine.begin() as c:  # changes made after the backup are undone by the restore
        c.execute(text("DELETE FROM person WHERE id IN (SELECT id FROM person ORDER BY id LIMIT 5)"))
        c.execute(text("UPDATE building SET status = 'pending' WHERE status = 'collected'"))
        c.execute(
            text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'later', 'after.backup')"),
            {"at": datetime(2026, 1, 1)},
        )
    assert tables(demo_db.engine) != before
    demo_db.dispose()

    restored = restore(demo_db.url, tmp_path / "town.backup")
    assert restored.revision == head_revision() and restored.migrated_to is None
    after = tables(demo_db.engine)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name

    # The triggers came back with the tables: people and household counts, the village tally,
    # the append-only audit trail.
    people_sql = text("SELECT people_count FROM building WHERE id = :b")
    tally_sql = text(
        "SELECT SUM(houses), SUM(people) FROM village_tally WHERE village_id = :v AND status = :s"
    )
    with demo_db.engine.begin() as c:
        house, village, status = c.execute(
            text("SELECT id, village_id, status FROM building ORDER BY id LIMIT 1")
        ).one()
        people = c.scalar(people_sql, {"b": house})
        houses, tallied = c.execute(tally_sql, {"v": village, "s": status}).one()
        c.execute(insert(Person).values(building_id=house, name="新来"))
        assert c.scalar(people_sql, {"b": house}) == people + 1
        assert tuple(c.execute(tally_sql, {"v": village, "s": status}).one()) == (houses, tallied + 1)
        other = "refused" if status != "refused" else "pending"
        c.execute(text("UPDATE building SET status = :o WHERE id = :b"), {"o": other, "b": house})
        assert tuple(c.execute(tally_sql, {"v": village, "s": status}).one()) in {
            (None, None),
            (houses - 1, tallied - people),
        }
    with pytest.raises(DBAPIError, match="append-only"), demo_db.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET actor = 'someone else'"))


def test_a_backup_taken_while_the_app_writes_is_consistent(db, db_url, tmp_path, backend, request):
    """A writer keeps adding pairs of audit events (one transaction each) during the backup:
    the backup opens, passes the integrity check, and holds only whole pairs."""
    with db.engine.begin() as c:  # some bulk so the copy takes a while
        c.execute(
            text("INSERT INTO audit_event (at, actor, action, changes) VALUES (:at, 'bulk', 'fill', :c)"),
            [{"at": datetime(2026, 1, 1), "c": "x" * 500} for _ in range(20_000)],
        )
    stop, written = threading.Event(), [0]

    def writer():
        while not stop.is_set():
            with db.write() as s:
                for _ in range(2):
                    s.execute(
                        text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'pair', :n)"),
                        {"at": datetime(2026, 1, 1), "n": str(written[0])},
                    )
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 5:
            threading.Event().wait(0.01)
        at_start, backups = written[0], []
        for n in range(3):  # each with the number of pairs committed before it began
            backups.append((written[0], backup(db.url, tmp_path / f"live{n}.backup")))
        during = written[0] - at_start
    finally:
        stop.set()
        thread.join()
    assert during > 0  # the writer kept committing while the backups ran

    target = Database(_another_database(request, backend, tmp_path))
    for committed, done in backups:
        if backend == "sqlite":
            with sqlite3.connect(done.path) as c:
                assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        restore(target.url, done.path)
        with target.engine.connect() as c:
            pairs = dict(
                c.execute(
                    text("SELECT action, COUNT(*) FROM audit_event WHERE actor = 'pair' GROUP BY action")
                ).all()
            )
            assert c.scalar(text("SELECT COUNT(*) FROM audit_event WHERE actor = 'bulk'")) == 20_000
        assert set(pairs.values()) <= {2} and len(pairs) >= committed  # whole pairs, none committed lost
        assert sorted(int(n) for n in pairs) == list(range(len(pairs)))  # no gap: a prefix of the writes
    target.dispose()


def _another_database(request, backend, tmp_path) -> str:
    """A second fresh, migrated database on the test's backend."""
    import shutil

    from tests.conftest import pg_clone

    if backend == "sqlite":
        path = tmp_path / "other.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    base = request.getfixturevalue("postgis_base")
    return pg_clone(base, request.getfixturevalue("pg_template"))


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(db, tmp_path):
    with db.engine.begin() as c:
        c.execute(
            text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'kept', 'x')"),
            {"at": datetime(2026, 1, 1)},
        )
    before = tables(db.engine)
    with pytest.raises(NotFound, match="does not exist"):
        restore(db.url, tmp_path / "missing.backup")
    (tmp_path / "notes.txt").write_text("not a backup")
    with pytest.raises(BackupError, match="not a geoapp backup"):
        restore(db.url, tmp_path / "notes.txt")
    other = sqlite3.connect(tmp_path / "other.sqlite")  # a SQLite file of some other program
    other.execute("CREATE TABLE t (x)")
    other.close()
    with pytest.raises(GeoappError, match=r"not a geoapp backup|configured database is"):
        restore(db.url, tmp_path / "other.sqlite")
    assert tables(db.engine) == before


def test_a_backup_of_the_other_backend_is_refused(db, tmp_path, backend):
    if backend == "sqlite":
        (tmp_path / "pg.backup").write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
        path = tmp_path / "pg.backup"
    else:
        path = tmp_path / "lite.backup"
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
    with pytest.raises(Conflict, match="configured database is"):
        restore(db.url, path)


def test_a_backup_from_a_newer_geoapp_is_refused_naming_its_revision(db, tmp_path):
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    backup(db.url, tmp_path / "newer.backup")
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head_revision()})
    before = tables(db.engine)
    with pytest.raises(BackupError, match="9999") as refused:
        restore(db.url, tmp_path / "newer.backup")
    assert "newer geoapp" in str(refused.value) and head_revision() in str(refused.value)
    assert tables(db.engine) == before


def test_a_backup_from_an_older_geoapp_is_restored_then_migrated(db, tmp_path):
    from geoapp.store.migrate import alembic_config  # noqa: F401  (the same migrations as `db upgrade`)

    run(db.engine, command.downgrade, "-1")
    older = current_revision(db.engine)
    assert older != head_revision()
    with db.engine.begin() as c:
        c.execute(
            text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'old', 'kept')"),
            {"at": datetime(2026, 1, 1)},
        )
    backup(db.url, tmp_path / "older.backup")
    with db.engine.begin() as c:
        c.execute(
            text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'new', 'dropped')"),
            {"at": datetime(2026, 1, 1)},
        )
    from geoapp.store.migrate import upgrade

    upgrade(db.engine)
    db.dispose()
    done = restore(db.url, tmp_path / "older.backup")
    assert done.revision == older and done.migrated_to == head_revision()
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as c:
        assert [tuple(r) for r in c.execute(text("SELECT actor, action FROM audit_event"))] == [
            ("old", "kept")
        ]


@pytest.mark.postgis
def test_the_apps_own_postgis_account_backs_up_and_restores_without_its_password_on_a_command_line(
    postgis_base, monkeypatch, tmp_path
):
    """Not a superuser: PostGIS (created by a superuser) stays in place through the restore;
    the password travels in PGPASSWORD, never in a program's arguments."""
    import os
    import subprocess

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from geoapp.store.migrate import upgrade

    role, password, name = f"owner{os.getpid()}", "s3cret-口令", f"owned{os.getpid()}"
    admin = create_engine(f"{postgis_base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        c.execute(text(f'CREATE DATABASE "{name}" OWNER {role}'))
    super_engine = create_engine(f"{postgis_base}/{name}")
    with super_engine.begin() as c:
        c.execute(text("CREATE EXTENSION postgis"))
    super_engine.dispose()
    url = make_url(f"{postgis_base}/{name}").set(username=role, password=password).render_as_string(False)
    try:
        db = Database(url)
        upgrade(db.engine)
        with db.engine.begin() as c:
            c.execute(
                text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'mine', 'x')"),
                {"at": datetime(2026, 1, 1)},
            )
        before = tables(db.engine)
        commands = []
        real_run, real_popen = subprocess.run, subprocess.Popen
        monkeypatch.setattr(
            subprocess, "run", lambda cmd, *a, **k: commands.append(cmd) or real_run(cmd, *a, **k)
        )
        monkeypatch.setattr(
            subprocess, "Popen", lambda cmd, *a, **k: commands.append(cmd) or real_popen(cmd, *a, **k)
        )
        backup(url, tmp_path / "owned.backup")
        with db.engine.begin() as c:
            c.execute(
                text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'later', 'y')"),
                {"at": datetime(2026, 1, 1)},
            )
        db.dispose()
        restore(url, tmp_path / "owned.backup")
        assert tables(db.engine) == before
        assert commands and not [cmd for cmd in commands if any(password in str(arg) for arg in cmd)]
        with db.engine.connect() as c:
            assert (
                c.scalar(text("SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'postgis'"))
                == "postgres"
            )
        db.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_sqlite_a_lost_database_comes_back_and_a_damaged_backup_is_refused(tmp_path, sqlite_template):
    import shutil

    url = f"sqlite:///{tmp_path / 'geoapp.sqlite'}"
    shutil.copy(sqlite_template, tmp_path / "geoapp.sqlite")
    db = Database(url)
    with db.engine.begin() as c:
        c.execute(
            text("INSERT INTO audit_event (at, actor, action) VALUES (:at, 'kept', 'x')"),
            {"at": datetime(2026, 1, 1)},
        )
    before = tables(db.engine)
    db.dispose()
    with pytest.raises(BackupError, match="over the database itself"):
        backup(url, tmp_path / "geoapp.sqlite")
    backup(url, tmp_path / "good.backup")

    lost = f"sqlite:///{tmp_path / 'new' / 'geoapp.sqlite'}"  # the server's disk is gone: a new machine
    with pytest.raises(NotFound, match="does not exist"):
        backup(lost, tmp_path / "nothing.backup")
    restore(lost, tmp_path / "good.backup")
    again = Database(lost)
    assert tables(again.engine) == before
    again.dispose()

    data = (tmp_path / "good.backup").read_bytes()
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(data[:4096] + b"\xff" * 4096 + data[8192 : len(data) // 2])
    with pytest.raises(BackupError, match="is damaged"):
        restore(lost, damaged)
    again = Database(lost)
    assert tables(again.engine) == before
    again.dispose()
