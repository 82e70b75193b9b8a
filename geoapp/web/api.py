"""JSON and GeoJSON endpoints (maps, programs such as QGIS with a Bearer token)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import ALL_ROLES, PERSONAL_DATA_ROLES, REVEAL_ROLES, REVIEW_ROLES, Role, mask_phone
from geoapp.services.accounts.scoping import visible_unit
from geoapp.services.campaign import buildings as buildings_service
from geoapp.services.campaign import collect, navigation, people
from geoapp.services.campaign import progress as progress_service
from geoapp.services.campaign import review as review_service
from geoapp.services.gis_io import layers
from geoapp.web.access import access, require_scope
from geoapp.web.context import database, read_session, settings

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"
EDITORS = (Role.COLLECTOR, Role.REPORTER, Role.OFFICER, Role.ADMIN)


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


def parse_int(name: str, default: int | None = None) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(N_("%(field)s must be a whole number."), field=name) from None


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(N_("%(field)s: send a JSON object."), field="body")
    return data


def geojson_response(body: bytes) -> Response:
    return Response(body, mimetype=GEOJSON)


@bp.get("/villages.geojson")
@access(*ALL_ROLES)
def villages():
    return geojson_response(layers.villages_geojson(read_session()))


@bp.get("/streets.geojson")
@access(*ALL_ROLES)
def streets():
    body = layers.streets_geojson(read_session(), require_scope(), bbox=parse_bbox(request.args.get("bbox")))
    return geojson_response(body)


@bp.get("/buildings.geojson")
@access(*ALL_ROLES)
def buildings():
    body = layers.buildings_geojson(
        read_session(),
        require_scope(),
        village_id=parse_int("village"),
        bbox=parse_bbox(request.args.get("bbox")),
        limit=settings().max_features,
    )
    return geojson_response(body)


@bp.get("/buildings/<int:building_id>")
@access(*ALL_ROLES)
def building(building_id: int):
    return jsonify(layers.building_detail(read_session(), require_scope(), building_id))


@bp.patch("/buildings/<int:building_id>")
@access(*EDITORS)
def update_building(building_id: int):
    with database().write() as s:
        result = buildings_service.update_building(
            s, require_scope(), building_id, json_body(), remote_addr=request.remote_addr
        )
    return jsonify(result)


@bp.post("/buildings/<int:building_id>/submission")
@access(*EDITORS)
def submit_house(building_id: int):
    with database().write() as s:
        answer = collect.submit_house(s, require_scope(), settings(), building_id, json_body())
    return jsonify(answer), 200 if answer["replayed"] else 201


@bp.post("/buildings/<int:building_id>/review")
@access(*REVIEW_ROLES)
def review_house(building_id: int):
    with database().write() as s:
        answer = review_service.review_house(s, require_scope(), building_id, json_body())
    return jsonify(answer)


@bp.get("/progress")
@access(*ALL_ROLES)
def progress():
    return jsonify(progress_service.progress(read_session(), require_scope()))


@bp.get("/returned")
@access(*EDITORS)
def returned():
    return jsonify({"items": progress_service.returned_houses(read_session(), require_scope())})


@bp.get("/next")
@access(*EDITORS)
def next_houses():
    try:
        lon, lat = float(request.args["lon"]), float(request.args["lat"])
    except (KeyError, ValueError):
        raise InvalidInput(N_("%(field)s: send lon and lat of where you stand."), field="position") from None
    answer = navigation.next_houses(
        read_session(),
        require_scope(),
        lon,
        lat,
        limit=parse_int("limit", 10),
        bbox=parse_bbox(request.args.get("bbox")),
        street_id=parse_int("street"),
    )
    return jsonify(answer)


@bp.get("/people")
@access(*PERSONAL_DATA_ROLES)
def people_list():
    scope = require_scope()
    page = people.list_people(
        read_session(),
        scope,
        settings(),
        village_id=parse_int("village"),
        query=request.args.get("q"),
        page=parse_int("page", 1),
        per_page=parse_int("per_page", 50),
    )
    with database().write() as s:
        people.count_read(s, scope, len(page.items))
    return jsonify({"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page})


@bp.get("/people/<int:person_id>")
@access(*PERSONAL_DATA_ROLES)
def person(person_id: int):
    return jsonify(people.person_detail(read_session(), require_scope(), person_id))


@bp.post("/people/<int:person_id>/reveal")
@access(*REVEAL_ROLES)
def reveal(person_id: int):
    field = json_body().get("field", "")
    with database().write() as s:
        value = people.reveal(s, require_scope(), person_id, field, request.remote_addr)
    return jsonify({"id": person_id, "field": field, "value": value})


@bp.get("/units/<int:unit_id>")
@access(*ALL_ROLES)
def unit(unit_id: int):
    u = visible_unit(read_session(), require_scope(), unit_id)
    return jsonify(
        {
            "id": u.id,
            "name": u.name,
            "uscc": u.uscc,
            "kind": u.kind,
            "legal_rep": u.legal_rep,
            "phone": mask_phone(u.phone),
            "status": u.status,
            "building_id": u.building_id,
            "version": u.version,
        }
    )
