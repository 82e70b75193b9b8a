"""The offline basemap's tiles (``GEOAPP_BASEMAP=mbtiles:PATH``), read from the MBTiles file
by the app itself so that maps show a basemap with no internet. Logged-in users only (the
tiles show the town). A tile the file does not hold answers 204 (the map leaves it blank)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from flask import Blueprint, Response, request

from geoapp.config import ROOT
from geoapp.domain.basemaps import tile_file
from geoapp.domain.roles import ALL_ROLES
from geoapp.spatial.mbtiles import TileFile, open_tile_file, read_tile
from geoapp.web.access import access
from geoapp.web.context import settings

bp = Blueprint("tiles", __name__)
log = logging.getLogger(__name__)

MAX_AGE = 86400  # a day: the file changes only when rebuilt, and the ETag says when


def tile_file_path() -> Path | None:
    basemap = tile_file(settings().basemaps)
    if basemap is None:
        return None
    path = Path(basemap.path)
    return path if path.is_absolute() else ROOT / path


def current_tile_file() -> TileFile | None:
    path = tile_file_path()
    if path is None:
        return None
    try:
        return open_tile_file(path)
    except (OSError, sqlite3.DatabaseError) as exc:
        log.warning("basemap tile file %s unreadable: %s", path, exc)
        return None


@bp.get("/tiles/base/<int:z>/<int:x>/<int:y>")
@access(*ALL_ROLES)
def base_tile(z: int, x: int, y: int):
    info = current_tile_file()
    data = read_tile(info.path, z, x, y) if info else None
    if data is None:
        return Response(status=204, headers={"Cache-Control": f"private, max-age={MAX_AGE}"})
    response = Response(data, mimetype=info.media_type)
    if info.format == "pbf" and data[:2] == b"\x1f\x8b":
        response.headers["Content-Encoding"] = "gzip"
    response.set_etag(f"{info.version}-{z}-{x}-{y}")
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    return response.make_conditional(request)
