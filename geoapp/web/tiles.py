"""The offline basemap's tiles (``GEOAPP_BASEMAP=mbtiles:PATH``), read from the MBTiles file
by the app itself so that maps show a basemap with no internet. Logged-in users only (the
tiles show the town). A tile the file does not hold answers 204 (the map leaves it blank)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from geoapp.domain.basemaps import tile_file
from geoapp.domain.roles import ALL_ROLES
from geoapp.spatial.mbtiles import configured_tile_file, read_tile
from geoapp.web.access import access
from geoapp.web.context import settings

bp = Blueprint("tiles", __name__)

MAX_AGE = 86400  # a day: the file changes only when rebuilt, and the ETag says when


@bp.get("/tiles/base/<int:z>/<int:x>/<int:y>")
@access(*ALL_ROLES)
def base_tile(z: int, x: int, y: int):
    basemap = tile_file(settings().basemaps)
    info = configured_tile_file(basemap and basemap.path, current_app.extensions["geoapp.root"])
    data = read_tile(info.path, z, x, y) if info else None
    if data is None:
        return Response(status=204, headers={"Cache-Control": f"private, max-age={MAX_AGE}"})
    response = Response(data, mimetype=info.media_type)
    if info.format == "pbf" and data[:2] == b"\x1f\x8b":
        response.headers["Content-Encoding"] = "gzip"
    response.set_etag(f"{info.version}-{z}-{x}-{y}")
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    return response.make_conditional(request)
