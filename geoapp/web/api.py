"""JSON and GeoJSON endpoints the maps fetch."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.services import layers
from geoapp.web.context import read_session, settings

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"


def parse_bbox(value: str | None):
    if not value:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidInput(
            N_("%(field)s must be four numbers minx,miny,maxx,maxy in longitude/latitude."), field="bbox"
        ) from None
    if not (minx <= maxx and miny <= maxy):
        raise InvalidInput(N_("%(field)s must have minx ≤ maxx and miny ≤ maxy."), field="bbox")
    return minx, miny, maxx, maxy


def parse_int(name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(N_("%(field)s must be a whole number."), field=name) from None


def geojson_response(body: bytes) -> Response:
    return Response(body, mimetype=GEOJSON)


@bp.get("/villages.geojson")
def villages():
    return geojson_response(layers.villages_geojson(read_session()))


@bp.get("/streets.geojson")
def streets():
    return geojson_response(layers.streets_geojson(read_session(), bbox=parse_bbox(request.args.get("bbox"))))


@bp.get("/buildings.geojson")
def buildings():
    body = layers.buildings_geojson(
        read_session(),
        village_id=parse_int("village"),
        bbox=parse_bbox(request.args.get("bbox")),
        limit=settings().max_features,
    )
    return geojson_response(body)


@bp.get("/buildings/<int:building_id>")
def building(building_id: int):
    return jsonify(layers.building_detail(read_session(), building_id))
