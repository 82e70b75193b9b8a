"""``geoapp backup PATH`` / ``geoapp restore PATH`` for SQLite and PostgreSQL+PostGIS.

SQLite: the online backup API copies the database in one read transaction, so the copy is
a consistent state even while the app keeps writing (WAL readers do not block writers);
the copy is checked (``PRAGMA integrity_check``), switched to a self-contained rollback
journal and moved into place. A restore prepares the backup in a temporary file next to
the database (checked, migrated if it is older than the code) and then writes it into the
database with the backup API again: one write transaction, so the app's open connections
see either the old database or the restored one, never a mix, and the WAL files stay right
(replacing the file under a WAL database would pair the new file with the old ``-wal``).

PostgreSQL: ``pg_dump --format=custom``; the restore empties the public schema (all but the
PostGIS extension, which the app's own non-superuser account could not create again) and
runs ``pg_restore --clean --if-exists --no-owner``'s statements, all in one ``psql
--single-transaction`` (all or nothing). The programs come from ``PATH`` or
``/usr/lib/postgresql/*/bin``, credentials from the database URL with the password in
``PGPASSWORD``, never on the command line.

A backup whose schema revision the code does not know (newer) is refused naming the
revision; an older one is restored and then migrated.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from geoapp.domain.errors import Conflict, InvalidInput, NotFound
from geoapp.domain.i18n import N_

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(InvalidInput):
    """A backup or restore that could not be done; nothing was changed."""


@dataclass(frozen=True)
class Done:
    backend: str  # "sqlite" | "postgresql"
    path: Path
    revision: str | None
    size_bytes: int
    migrated_to: str | None = None  # a restore of an older backup: the revision it was brought to


def _backend(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(
            N_("Backups are made of SQLite or PostgreSQL databases, not %(backend)s."), backend=name
        )
    return name


def _sqlite_file(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError(N_("An in-memory database cannot be backed up or restored."))
    return Path(database)


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from geoapp.store.migrate import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}


def _check_revision(path: Path, revision: str | None) -> None:
    from geoapp.store.migrate import head_revision

    if revision is None:
        raise BackupError(N_("%(path)s is not a geoapp backup: it has no schema revision."), path=str(path))
    if revision not in _known_revisions():
        raise BackupError(
            N_(
                "%(path)s was made by a newer geoapp (schema revision %(revision)s; this version knows up to "
                "%(head)s): install the newer geoapp to restore it."
            ),
            path=str(path),
            revision=revision,
            head=head_revision(),
        )


def _kind(path: Path) -> str:
    if not path.is_file():
        raise NotFound(N_("Backup file %(path)s does not exist."), path=str(path))
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        N_("%(path)s is not a geoapp backup (neither a SQLite database nor a pg_dump archive)."),
        path=str(path),
    )


def _place(tmp: Path, path: Path) -> int:
    os.replace(tmp, path)
    return path.stat().st_size


def backup(database_url: str, path: Path) -> Done:
    """Copy the whole database to ``path`` (replaced only once the copy is complete)."""
    path = Path(path)
    backend = _backend(database_url)
    if backend == "sqlite" and path.resolve() == _sqlite_file(database_url).resolve():
        raise BackupError(N_("A backup cannot be written over the database itself: choose another file."))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        if backend == "sqlite":
            revision = _sqlite_backup(_sqlite_file(database_url), tmp)
        else:
            revision = _pg_backup(database_url, tmp)
        return Done(backend, path, revision, _place(tmp, path))
    finally:
        tmp.unlink(missing_ok=True)


def restore(database_url: str, path: Path) -> Done:
    """Replace the configured database's contents with the backup at ``path``."""
    path = Path(path)
    backend = _backend(database_url)
    kind = _kind(path)
    if kind != backend:
        raise Conflict(
            N_("%(path)s is a backup of a %(kind)s database; the configured database is %(backend)s."),
            path=str(path),
            kind=kind,
            backend=backend,
        )
    if backend == "sqlite":
        return _sqlite_restore(_sqlite_file(database_url), path)
    return _pg_restore(database_url, path)


# SQLite ------------------------------------------------------------------------------------


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _integrity(connection: sqlite3.Connection, path: Path) -> None:
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(N_("%(path)s is damaged: %(problem)s"), path=str(path), problem=str(exc)) from exc
    if result != [("ok",)]:
        problem = "; ".join(str(r[0]) for r in result[:3])
        raise BackupError(N_("%(path)s is damaged: %(problem)s"), path=str(path), problem=problem)


def _sqlite_backup(source: Path, tmp: Path) -> str | None:
    if not source.is_file():
        raise NotFound(N_("The database %(path)s does not exist."), path=str(source))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        # pages=-1: the whole database in one step, i.e. in one read transaction.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        _integrity(dst, tmp)
        return _sqlite_revision(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_restore(target: Path, path: Path) -> Done:
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            _integrity(src, path)
            revision = _sqlite_revision(src)
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(N_("%(path)s is damaged: %(problem)s"), path=str(path), problem=str(exc)) from exc
    _check_revision(path, revision)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".restore", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        src, dst = sqlite3.connect(f"file:{path}?mode=ro", uri=True), sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        migrated = _migrate_if_older(f"sqlite:///{tmp}", revision)
        src, dst = sqlite3.connect(tmp), sqlite3.connect(target, timeout=30)
        try:
            dst.execute("PRAGMA journal_mode=WAL")
            src.backup(dst)  # one write transaction on the target
        finally:
            dst.close()
            src.close()
        return Done("sqlite", path, revision, path.stat().st_size, migrated)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)


def _migrate_if_older(url: str, revision: str) -> str | None:
    from geoapp.store.db import Database
    from geoapp.store.migrate import current_revision, head_revision, upgrade

    if revision == head_revision():
        return None
    database = Database(url)
    try:
        upgrade(database.engine)
        return current_revision(database.engine)
    finally:
        database.dispose()


# PostgreSQL --------------------------------------------------------------------------------


def pg_binary(name: str) -> str:
    """A PostgreSQL client program from PATH, else from the newest /usr/lib/postgresql/*/bin."""
    if found := shutil.which(name):
        return found
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (candidate := Path(bindir) / name).exists():
            return str(candidate)
    raise BackupError(N_("%(program)s was not found: install the PostgreSQL client programs."), program=name)


def _pg_connection(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for the client programs (password in the environment)."""
    url = make_url(database_url)
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "30"}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    if sslmode := url.query.get("sslmode"):
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env, capture_output=True)
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", "replace").strip()[-800:]
        raise BackupError(N_("%(program)s failed: %(problem)s"), program=what, problem=problem)
    return done


_COPY = re.compile(r"^COPY [^\n]*alembic_version[^\n]*FROM stdin;\n([^\n]*)\n", re.M)


def _pg_archive_revision(path: Path) -> str | None:
    done = _run(
        [pg_binary("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        dict(os.environ),
        "pg_restore",
    )
    m = _COPY.search(done.stdout.decode("utf-8", "replace"))
    if not m or m.group(1) == "\\.":
        return None
    return m.group(1).split("\t")[0]


def _pg_backup(database_url: str, tmp: Path) -> str | None:
    args, env = _pg_connection(database_url)
    _run([pg_binary("pg_dump"), "--format=custom", f"--file={tmp}", *args], env, "pg_dump")
    return _pg_archive_revision(tmp)


# Objects a newer schema has and the backup lacks would stay beside the restored ones (and
# stop the migrations of an older backup): everything in the public schema that is not part
# of an extension is dropped first, in the same transaction. PostGIS itself stays (only a
# superuser may create it; the app's own account may not), so the archive's EXTENSION
# entries are left out of the restore (pg_restore --use-list).
_RESET = b"""SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
DO $reset$
DECLARE r record;
BEGIN
    FOR r IN SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                    WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
                    'public.' || quote_ident(c.relname) AS name
             FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                               AND d.objid = c.oid AND d.deptype = 'e')
    LOOP
        EXECUTE 'DROP ' || r.kind || ' IF EXISTS ' || r.name || ' CASCADE';
    END LOOP;
    FOR r IN SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END AS kind,
                    'public.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'
                    AS name
             FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                               AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE 'DROP ' || r.kind || ' IF EXISTS ' || r.name || ' CASCADE';
    END LOOP;
    FOR r IN SELECT 'public.' || quote_ident(t.typname) AS name
             FROM pg_type t
             WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                               AND d.objid = t.oid AND d.deptype = 'e')
    LOOP
        EXECUTE 'DROP TYPE IF EXISTS ' || r.name || ' CASCADE';
    END LOOP;
END $reset$;
"""
# ... and so is the data of PostGIS's own table of coordinate systems (an extension's table,
# only its owner may write it; geoapp adds no coordinate system of its own).
_EXTENSION_ENTRY = re.compile(
    r"^\d+; \d+ \d+ (EXTENSION |COMMENT - EXTENSION |TABLE DATA public spatial_ref_sys )"
)


def _pg_restore_list(path: Path, into: Path) -> None:
    """The archive's table of contents without its EXTENSION entries, for --use-list."""
    done = _run([pg_binary("pg_restore"), "--list", str(path)], dict(os.environ), "pg_restore")
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    into.write_text("\n".join(line for line in lines if not _EXTENSION_ENTRY.match(line)) + "\n")


def _pg_replace(args: list[str], env: dict[str, str], path: Path) -> None:
    """pg_restore's statements, after emptying the schema, run by psql in one transaction."""
    psql_cmd = [pg_binary("psql"), "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1", *args]
    with (
        tempfile.TemporaryDirectory() as scratch,
        tempfile.TemporaryFile() as restore_err,
        tempfile.TemporaryFile() as psql_err,
    ):
        contents = Path(scratch) / "contents.list"
        _pg_restore_list(path, contents)
        restore_cmd = [
            pg_binary("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            f"--use-list={contents}",
            "--file=-",
            str(path),
        ]
        psql = subprocess.Popen(
            psql_cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err
        )
        producer = subprocess.Popen(restore_cmd, stdout=subprocess.PIPE, stderr=restore_err)
        try:
            psql.stdin.write(_RESET)
            shutil.copyfileobj(producer.stdout, psql.stdin, 1 << 20)
        except BrokenPipeError:
            pass  # psql stopped on an error: reported below
        finally:
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            producer.stdout.close()
            produced, applied = producer.wait(), psql.wait()
        for code, err, program in ((produced, restore_err, "pg_restore"), (applied, psql_err, "psql")):
            if code != 0:
                err.seek(0)
                problem = err.read().decode("utf-8", "replace").strip()[-800:]
                raise BackupError(N_("%(program)s failed: %(problem)s"), program=program, problem=problem)


def _pg_restore(database_url: str, path: Path) -> Done:
    try:
        revision = _pg_archive_revision(path)
    except BackupError as exc:
        raise BackupError(
            N_("%(path)s is not a geoapp backup: %(problem)s"),
            path=str(path),
            problem=exc.params.get("problem", ""),
        ) from exc
    _check_revision(path, revision)
    args, env = _pg_connection(database_url)
    _pg_replace(args, env, path)
    migrated = _migrate_if_older(database_url, revision)
    return Done("postgresql", path, revision, path.stat().st_size, migrated)
