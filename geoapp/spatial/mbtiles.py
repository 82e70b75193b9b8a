"""MBTiles files (SQLite, the MBTiles 1.3 spec): read one tile, write a tile set.

Rows are stored in TMS order (row 0 at the south); web maps ask in XYZ order (row 0
at the north), so ``row = 2**z - 1 - y`` both ways.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/x-protobuf",
}


def tms_row(z: int, y: int) -> int:
    """The MBTiles (TMS) row of XYZ tile row ``y`` at zoom ``z`` (the flip is its own inverse)."""
    return (1 << z) - 1 - y


@dataclass(frozen=True)
class TileFile:
    path: Path
    format: str  # png, jpg, webp, pbf
    media_type: str
    minzoom: int | None
    maxzoom: int | None
    bounds: tuple[float, float, float, float] | None
    version: str  # changes when the file does: the tiles' ETag prefix


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only and immutable-free: the file may be rebuilt while the app runs.
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def open_tile_file(path: Path) -> TileFile:
    """The file's metadata (raises FileNotFoundError / sqlite3.DatabaseError)."""
    if not path.is_file():
        raise FileNotFoundError(path)
    with _connect(path) as con:
        meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
    con.close()
    fmt = (meta.get("format") or "png").lower()
    bounds = None
    if meta.get("bounds"):
        try:
            minx, miny, maxx, maxy = (float(v) for v in meta["bounds"].split(","))
            bounds = (minx, miny, maxx, maxy)
        except ValueError:
            bounds = None
    stat = path.stat()
    return TileFile(
        path=path,
        format=fmt,
        media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
        minzoom=int(meta["minzoom"]) if meta.get("minzoom", "").isdigit() else None,
        maxzoom=int(meta["maxzoom"]) if meta.get("maxzoom", "").isdigit() else None,
        bounds=bounds,
        version=f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
    )


def read_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """Tile z/x/y (XYZ numbering) or None when the file has none there."""
    if z < 0 or z > 30 or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
        return None
    con = _connect(path)
    try:
        row = con.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, tms_row(z, y)),
        ).fetchone()
    finally:
        con.close()
    return bytes(row[0]) if row else None


def write_tile_file(
    path: Path, tiles: Iterable[tuple[int, int, int, bytes]], metadata: dict[str, str]
) -> int:
    """Write an MBTiles file (replacing ``path`` atomically) from (z, x, y XYZ, data); the tile count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    count = 0
    try:
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)"
        )
        con.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        con.executemany("INSERT INTO metadata VALUES (?, ?)", sorted(metadata.items()))
        for z, x, y, data in tiles:
            con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, tms_row(z, y), sqlite3.Binary(data)))
            count += 1
        con.commit()
    finally:
        con.close()
    tmp.replace(path)
    return count


def configured_tile_file(path: str | None, root: Path) -> TileFile | None:
    """The tile file GEOAPP_BASEMAP names (relative to ``root``), or None if unset or unreadable."""
    if not path:
        return None
    full = Path(path) if Path(path).is_absolute() else root / path
    try:
        stat = full.stat()
        return _open_once(full, stat.st_mtime_ns, stat.st_size)  # read again only once rebuilt
    except (OSError, sqlite3.DatabaseError) as exc:
        log.warning("basemap tile file %s unreadable: %s", full, exc)
        return None


@functools.lru_cache(maxsize=8)
def _open_once(path: Path, _mtime_ns: int, _size: int) -> TileFile:
    return open_tile_file(path)
