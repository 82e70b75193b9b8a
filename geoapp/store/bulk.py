"""Bulk inserts of many rows into a spatial table, inside the caller's transaction.

An import of a county (a million houses) spent most of its time building one
SQLAlchemy parameter dict per row and encoding each geometry on its own. Here the
rows are given as columns (numpy or plain sequences), the geometries are encoded in
one vectorised call per chunk, and the rows go to the database as plain tuples:

- SQLite: ``executemany`` of one prepared INSERT with a larger page cache; for a large
  load the R*Tree trigger of the table is dropped, the R*Tree written anew, packed,
  from the table's boxes (``rebuild_sqlite_rtree``) and the trigger made again, all
  in the caller's transaction (SQLite's DDL is transactional: a failure or a kill
  leaves the trigger and the index as they were).
- PostgreSQL: binary ``COPY … FROM STDIN`` with the geometry as EWKB; for a first large load
  the indexes and foreign keys are made again after it (``_copy_postgresql``).

The end state is the one the row-by-row path gives: same rows, R*Tree equal to a
rebuild, tallies equal to a regroup (``tests/store/test_bulk.py``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import shapely
from sqlalchemy import Connection, Table

from geoapp.store.spatial_index import rtree_name
from geoapp.store.types import SRID, wkb_array

log = logging.getLogger(__name__)  # the time of each step at DEBUG (bench/profile_import.py)

CHUNK = 25_000
BULK_MIN_ROWS = 20_000  # below this the triggers keep the R*Tree row by row, as for any write
SQLITE_CACHE_KIB = 32 * 1024  # page cache while loading (the default 2 MB thrashes on the indexes)
PG_SORT_MEMORY = "256MB"  # maintenance_work_mem while PostgreSQL makes the indexes again after a load


def insert_columns(
    connection: Connection,
    table: Table,
    columns: Mapping[str, Sequence | np.ndarray],
    *,
    geometry: str | None = "geom",
    progress: Callable[[int, int], None] | None = None,
    idle_triggers: Sequence[str] = (),
    chunk: int | None = None,
) -> int:
    """Insert the rows given as ``columns`` (name -> values, all of one length) into ``table``.

    ``geometry`` names the column holding shapely geometries (encoded here); ``progress``
    is called with (rows inserted, rows in all) after each chunk. ``idle_triggers`` names
    SQLite insert triggers that do nothing for these rows (their WHEN is false: the
    villages' tally for uncollected houses); they are left out of a large load and made
    again after it. Returns the row count.
    """
    names = list(columns)
    total = len(next(iter(columns.values()))) if names else 0
    if total == 0:
        return 0
    chunk = chunk or CHUNK
    release_free_memory()
    dialect = connection.dialect.name
    raw = connection.connection.dbapi_connection
    if dialect == "postgresql":
        with raw.cursor() as cursor:
            return _copy_postgresql(cursor, table.name, columns, names, geometry, total, chunk, progress)
    cursor = raw.cursor()
    cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
    try:
        rt = rtree_name(table.name)
        large = total >= BULK_MIN_ROWS
        last_id, stored = cursor.execute(
            f"SELECT COALESCE(MAX(id), 0), COUNT(*) FROM {table.name}"
        ).fetchone()
        counter = f"map_change_{table.name}_ins"  # one bump per row: one bump of ``total`` instead
        paused = [f"{rt}_ins", counter, *idle_triggers] if large else []
        saved = []
        for name in paused:
            found = cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ? AND tbl_name = ?",
                (name, table.name),
            ).fetchone()
            if found:
                saved.append(found[0])
                cursor.execute(f"DROP TRIGGER {name}")
        # Indexes are sorted once after the load rather than kept row by row, when the load
        # is at least as large as what is stored (a county's first import).
        indexes = []
        if large and total >= stored:
            indexes = cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table.name,),
            ).fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        packed = any(f"{rt}_ins" in statement for statement in saved)
        if packed:  # before the rows, while memory is lowest: they will take the next ids, in order
            release_free_memory()
            boxes = (np.asarray(columns[c], dtype=np.float64) for c in ("minx", "maxx", "miny", "maxy"))
            rebuild_sqlite_rtree(cursor, table.name, (last_id + 1, *boxes))
            release_free_memory()
        if not indexes:  # rows go into indexes one by one: keep their pages at hand
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        started, executing = time.perf_counter(), 0.0
        encode = functools.partial(wkb_array, dialect_name=dialect)
        for start, rows in _chunks(columns, names, geometry, encode, total, chunk):
            before = time.perf_counter()
            cursor.executemany(sql, rows)
            executing += time.perf_counter() - before
            if progress is not None:
                progress(start + len(rows), total)
        log.debug("rows: %.2f s (executemany %.2f s)", time.perf_counter() - started, executing)
        started = time.perf_counter()
        for _, statement in indexes:
            cursor.execute(statement)
        log.debug("indexes made again: %.2f s", time.perf_counter() - started)
        new_ids = cursor.execute(
            f"SELECT MIN(id), MAX(id) FROM {table.name} WHERE id > ?", (last_id,)
        ).fetchone()
        if packed and tuple(new_ids) != (last_id + 1, last_id + total):  # not the ids foreseen
            rebuild_sqlite_rtree(cursor, table.name)
        if any(f"TRIGGER {counter} " in statement for statement in saved):
            cursor.execute("UPDATE map_change SET n = n + ? WHERE name = ?", (total, table.name))
        for statement in saved:
            cursor.execute(statement)
    finally:
        cursor.execute(f"PRAGMA cache_size={cache}")
        cursor.close()
    return total


def _copy_postgresql(cursor, table_name, columns, names, geometry, total, chunk, progress) -> int:
    """PostgreSQL: ``COPY … FROM STDIN``, in the caller's transaction.

    For a large load at least as large as what is stored (a county's first import) the
    table's indexes other than its primary key (the GiST index, the B-trees, the partial
    unique index of addresses) and its foreign keys are dropped first and made again after
    the COPY: one sort per index, in memory (``maintenance_work_mem`` raised for this
    transaction only), and one join per key, instead of a million inserts into each index
    and a million key lookups. PostgreSQL's DDL is transactional: a failure, a refusal or a
    kill leaves the indexes and keys as they were. (This holds the table's exclusive lock
    until the import commits: readers of the houses wait for a first load, as they would
    see nothing of it anyway; writes to villages and streets wait too, reads do not.) Row triggers that count nothing for new rows (the
    villages' tally) have a WHEN and cost no PL/pgSQL call (migration 0022); the map's
    change counter is a statement trigger (one bump for the COPY). A large load ends with
    ``ANALYZE`` so the planner knows the table's new size."""
    large = total >= BULK_MIN_ROWS
    remake: list[str] = []
    if large:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table_name} LIMIT %s) AS stored", (total + 1,))
        if cursor.fetchone()[0] <= total:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                (table_name,),
            )
            found = cursor.fetchall()
            for name, definition in found:
                cursor.execute(f"DROP INDEX {name}")
                remake.append(definition)
            # Foreign keys too: checked row by row during the COPY (a lookup per row and key),
            # but by one join when added again.
            cursor.execute(
                "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY 1",
                (table_name,),
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {table_name} DROP CONSTRAINT {name}")
                remake.append(f"ALTER TABLE {table_name} ADD CONSTRAINT {name} {definition}")
    # Binary COPY: numbers go as fixed-width binary and the geometry as plain EWKB (no hex to
    # write, nor for the server to parse): 3.5 times faster than text rows (bench/profile_pg_copy.py).
    cursor.execute(
        "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
        (table_name,),
    )
    oids = dict(cursor.fetchall())
    if geometry is not None:
        cursor.adapters.register_dumper(_EWKB, _geometry_dumper(oids[geometry]))  # this cursor only
    copying = f"COPY {table_name} ({', '.join(names)}) FROM STDIN (FORMAT binary)"
    started = time.perf_counter()
    with cursor.copy(copying) as copy:
        copy.set_types([oids[name] for name in names])
        for start, rows in _chunks(columns, names, geometry, _ewkb, total, chunk):
            for row in rows:
                copy.write_row(row)
            if progress is not None:
                progress(start + len(rows), total)
    log.debug("rows copied: %.2f s", time.perf_counter() - started)
    started = time.perf_counter()
    if remake:
        cursor.execute("SELECT current_setting('maintenance_work_mem')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", (PG_SORT_MEMORY,))
        for definition in remake:
            cursor.execute(definition)
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", (before,))
    log.debug("indexes and keys made again: %.2f s", time.perf_counter() - started)
    started = time.perf_counter()
    if large:
        cursor.execute(f"ANALYZE {table_name}")
    log.debug("analysed: %.2f s", time.perf_counter() - started)
    return total


class _EWKB(bytes):
    """Only a key for the geometry dumper (rows carry plain bytes: COPY dumps by column oid)."""


def _geometry_dumper(oid: int):
    """A PostGIS geometry in binary COPY: its EWKB as it is (``geometry_recv`` reads it); the
    type's oid is the extension's, known once connected."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class EWKBDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj):
            return obj

    EWKBDumper.oid = oid
    return EWKBDumper


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Reading a million geometries frees as many temporaries (GEOS copies) between live
    ones; without this the process keeps about 200 MB it no longer uses through the store."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def _chunks(columns, names, geometry, encode, total, chunk):
    """(start, list of row tuples) per ``chunk`` rows: the ``geometry`` column encoded by
    ``encode`` (an array of shapely geometries → a list of values), numpy scalars made plain."""
    for start in range(0, total, chunk):
        stop = min(start + chunk, total)
        values = []
        for name in names:
            part = columns[name][start:stop]
            if name == geometry:
                values.append(encode(np.asarray(part, dtype=object)))
            elif isinstance(part, np.ndarray):
                values.append(part.tolist())  # numpy scalars -> int/float/str/None
            else:
                values.append(list(part))
        yield start, list(zip(*values, strict=True))


def _ewkb(geoms: np.ndarray) -> list[bytes]:
    """PostGIS binary COPY: EWKB with the SRID."""
    return shapely.to_wkb(shapely.set_srid(geoms, SRID), include_srid=True).tolist()


# -- a packed R*Tree ---------------------------------------------------------------------------------
#
# SQLite's R*Tree module inserts one box at a time (tens of microseconds each: most of a
# million-house import). After a bulk load the tree is instead written whole, packed by
# Sort-Tile-Recursive, straight into the module's shadow tables, in the format
# ``ext/rtree/rtree.c`` documents: ``%_node(nodeno, data)`` holds each node as a blob of
# the tree's node size (2 bytes: the depth, on the root only; 2 bytes: the number of
# cells; then per cell an 8-byte id and the box as 4-byte floats minx, maxx, miny, maxy,
# all big-endian), the root is node 1, ``%_rowid`` names each id's leaf and
# ``%_parent`` each node's parent. Boxes are rounded outwards to single precision exactly
# as the module rounds them, so the tree holds the same boxes a row-by-row load would;
# ``rtreecheck()`` verifies it (tests/store/test_bulk.py).

_RND_TOWARDS = 1.0 - 1.0 / 8388608.0
_RND_AWAY = 1.0 + 1.0 / 8388608.0
_CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])


def _down(d: np.ndarray) -> np.ndarray:
    """rtree.c's rtreeValueDown: a float32 not above ``d``."""
    f = d.astype(np.float32)
    bumped = (d * np.where(d < 0, _RND_AWAY, _RND_TOWARDS)).astype(np.float32)
    return np.where(f > d, bumped, f)


def _up(d: np.ndarray) -> np.ndarray:
    """rtree.c's rtreeValueUp: a float32 not below ``d``."""
    f = d.astype(np.float32)
    bumped = (d * np.where(d < 0, _RND_TOWARDS, _RND_AWAY)).astype(np.float32)
    return np.where(f < d, bumped, f)


def _str_groups(boxes: np.ndarray, per_node: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Sort-Tile-Recursive: (order of the entries, (start, stop) of each node in that order)."""
    n = len(boxes)
    nodes = -(-n // per_node)
    slices = int(np.ceil(np.sqrt(nodes)))
    cx = boxes[:, 0] + boxes[:, 1]  # twice the centre, in single precision: only an order
    cy = boxes[:, 2] + boxes[:, 3]
    by_x = np.argsort(cx, kind="stable")
    order = []
    step = slices * per_node
    for s in range(0, n, step):
        part = by_x[s : s + step]
        order.append(part[np.argsort(cy[part], kind="stable")])
    order_all = np.concatenate(order) if order else np.array([], dtype=np.int64)
    groups = []
    offset = 0
    for part in order:
        for g in range(0, len(part), per_node):
            groups.append((offset + g, offset + min(g + per_node, len(part))))
        offset += len(part)
    return order_all, groups


def rebuild_sqlite_rtree(cursor, table_name: str, new: tuple | None = None) -> int:
    """Write ``table_name``'s R*Tree anew from its bbox columns, packed; returns the rows indexed.

    ``cursor`` is a DB-API cursor on the SQLite connection, inside the caller's transaction.
    ``new`` = (first id, minx, maxx, miny, maxy arrays): the boxes of the rows from that id
    on, already in memory (the rest are read from the table)."""
    rt = rtree_name(table_name)
    node_size = cursor.execute(f"SELECT length(data) FROM {rt}_node WHERE nodeno = 1").fetchone()[0]
    per_node = (node_size - 4) // _CELL.itemsize
    query = f"SELECT id, minx, maxx, miny, maxy FROM {table_name}"
    rows = cursor.execute(query + (" WHERE id < ?" if new else ""), (new[0],) if new else ()).fetchall()
    stored = len(rows)
    n = stored + (len(new[1]) if new else 0)
    ids = np.empty(n, dtype=np.int64)
    ids[:stored] = [r[0] for r in rows]
    boxes = np.empty((n, 4), dtype=np.float32)  # minx, maxx, miny, maxy, rounded outwards
    for k, (column, rounding) in enumerate(((1, _down), (2, _up), (3, _down), (4, _up))):
        boxes[:stored, k] = rounding(np.array([r[column] for r in rows], dtype=np.float64))
        if new:
            boxes[stored:, k] = rounding(np.asarray(new[column], dtype=np.float64))
    del rows
    if new:
        ids[stored:] = np.arange(new[0], new[0] + n - stored, dtype=np.int64)
    for shadow in ("node", "rowid", "parent"):
        cursor.execute(f"DELETE FROM {rt}_{shadow}")
    if n == 0:
        cursor.execute(f"INSERT INTO {rt}_node VALUES (1, ?)", (bytes(node_size),))
        return 0
    level, next_no = 0, 2
    while True:
        order, groups = _str_groups(boxes, per_node)
        cells = np.empty(len(order), dtype=_CELL)
        cells["id"] = ids[order]
        cells["box"] = boxes[order]
        root = len(groups) == 1
        numbers = np.array([1]) if root else np.arange(next_no, next_no + len(groups))
        next_no += 0 if root else len(groups)
        links = []
        for g in range(0, len(groups), 1_000):  # nodes written a thousand at a time
            nodes = []
            for number, (start, stop) in zip(
                numbers[g : g + 1_000].tolist(), groups[g : g + 1_000], strict=True
            ):
                head = (level if root else 0).to_bytes(2, "big") + (stop - start).to_bytes(2, "big")
                body = cells[start:stop].tobytes()
                nodes.append((number, head + body + bytes(node_size - 4 - len(body))))
                links.append(np.full(stop - start, number, dtype=np.int32))
            cursor.executemany(f"INSERT INTO {rt}_node VALUES (?, ?)", nodes)
        children, parents = cells["id"], np.concatenate(links)
        for k in range(0, len(children), CHUNK):  # in slices: a million pairs as Python ints weigh 100 MB
            cursor.executemany(
                f"INSERT INTO {rt}_{'rowid' if level == 0 else 'parent'} VALUES (?, ?)",
                zip(children[k : k + CHUNK].tolist(), parents[k : k + CHUNK].tolist(), strict=True),
            )
        del children, parents, links
        if root:
            return n
        starts = np.array([g[0] for g in groups])
        ordered = cells["box"].astype(np.float32)
        del cells
        boxes = np.stack(
            [
                np.minimum.reduceat(ordered[:, 0], starts),
                np.maximum.reduceat(ordered[:, 1], starts),
                np.minimum.reduceat(ordered[:, 2], starts),
                np.maximum.reduceat(ordered[:, 3], starts),
            ],
            axis=1,
        )
        ids = numbers.astype(np.int64)
        level += 1
