"""Engine and sessions for SQLite (default) and PostgreSQL+PostGIS.

SQLite runs in WAL mode with foreign keys on and ``synchronous=FULL``; write
transactions start with ``BEGIN IMMEDIATE`` so that two writers queue on the
busy timeout instead of failing half-way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A request may hold a read connection while it waits for the writer: the pool
        # must never run dry (that would stall every thread until the pool timeout).
        # SQLite connections are only file handles, so overflow is unbounded.
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_size=10,
            max_overflow=-1,
        )
        _configure_sqlite(engine)
        _name_address_clashes(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # Up to two connections per request (read, then write) for `geoapp serve`'s 32 threads.
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=60)
    _name_address_clashes(engine)
    return engine


ADDRESS_INDEX = "uq_building_address"
_PG_KEY = re.compile(r"Key \(address\)=\((.*)\) already exists", re.S)


def _name_address_clashes(engine: Engine) -> None:
    """A write that would give two buildings one standard address (an import, an edit, a
    numbering racing another) is refused by the unique index; this turns the database's
    error into the domain's Conflict naming the address, whoever wrote."""

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx):
        exc = ctx.original_exception
        if getattr(getattr(exc, "diag", None), "constraint_name", None) == ADDRESS_INDEX:
            m = _PG_KEY.search(getattr(exc.diag, "message_detail", None) or "")
            address = m.group(1) if m else None
        elif "UNIQUE constraint failed: building.address" in str(exc):
            address = _sqlite_clash(ctx)
        else:
            return
        from geoapp.domain.address import address_taken

        raise address_taken(address or "?") from ctx.sqlalchemy_exception


def _sqlite_clash(ctx) -> str | None:
    """The address that clashed: repeated within the statement's rows, or already stored."""
    rows = getattr(ctx.execution_context, "compiled_parameters", None) or []
    candidates = [v for row in rows for k, v in row.items() if k.startswith("address") and isinstance(v, str)]
    seen: set[str] = set()
    for address in candidates:
        if address in seen:
            return address
        seen.add(address)
    try:
        cursor = ctx.connection.connection.dbapi_connection.cursor()
        for start in range(0, len(candidates), 500):
            chunk = candidates[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT address FROM building WHERE door_no IS NOT NULL AND address IN ({marks}) LIMIT 1"
            found = cursor.execute(sql, chunk).fetchone()
            if found:
                return found[0]
    except Exception:  # only a nicer message is at stake
        return None
    return candidates[0] if len(candidates) == 1 else None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One engine and its session factories; create one per app, never per import."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.dialect == "sqlite"
            else self.engine
        )
        self._write = sessionmaker(writer, expire_on_commit=False)
        # PostgreSQL takes concurrent writers itself; SQLite's are serialised here.
        self._writer_lock = threading.RLock() if self.dialect == "sqlite" else nullcontext()

    def session(self) -> Session:
        """A session for reading (caller closes it)."""
        return self._read()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on error.

        SQLite has one writer at a time. Writers of this process queue on a lock
        (first come, first served) instead of on SQLite's busy handler, which
        retries with growing sleeps and lets an unlucky writer wait for seconds
        under load; other processes (a CLI import) still meet the busy timeout.
        """
        with self._writer_lock:
            session = self._write()
            try:
                with session.begin():
                    yield session
            finally:
                session.close()

    def dispose(self) -> None:
        self.engine.dispose()
