"""JSON and GeoJSON endpoints (maps, programs such as QGIS with a Bearer token)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, request

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.requests import BuildingPatchIn, MoveDecisionIn, RevealIn, ReviewIn
from geoapp.domain.roles import ALL_ROLES, PERSONAL_DATA_ROLES, REVEAL_ROLES, REVIEW_ROLES, Role
from geoapp.domain.submission import SubmissionIn
from geoapp.services.accounts import budget
from geoapp.services.campaign import buildings as buildings_service
from geoapp.services.campaign import collect, moves, navigation, people
from geoapp.services.campaign import progress as progress_service
from geoapp.services.campaign import review as review_service
from geoapp.services.gis_io import aggregates, layers
from geoapp.web.access import access, require_scope
from geoapp.web.context import database, read_session, settings
from geoapp.web.labels import reason_labels, use_label
from geoapp.web.parsing import body, parse_bbox, parse_float, parse_int

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"
EDITORS = (Role.COLLECTOR, Role.REPORTER, Role.OFFICER, Role.ADMIN)
BUILDING_EDITORS = (Role.COLLECTOR, Role.OFFICER, Role.ADMIN)  # a reporter changes their unit only


def charge_people(scope, rows: int) -> None:
    """Every answer carrying people is charged to the reader's people budget first."""
    if rows:
        with database().write() as s:
            budget.charge_people(s, scope, settings(), rows)


def geojson_response(payload: bytes) -> Response:
    return Response(payload, mimetype=GEOJSON)


def cached_geojson(tables: tuple[str, ...], build: Callable[[], bytes], *parts: object) -> Response:
    """A map layer with an ETag keyed on the change counters of ``tables``, the caller's scope
    and the query: a browser holding the same tag gets ``304`` and nothing is built."""
    tag = layers.layer_etag(read_session(), require_scope(), tables, request.query_string, *parts)
    response = Response(status=304) if request.if_none_match.contains(tag) else geojson_response(build())
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"  # kept, but asked again each time
    return response


@bp.get("/villages.geojson")
@access(*ALL_ROLES)
def villages():
    return cached_geojson(("village", "building"), lambda: layers.villages_geojson(read_session()))


@bp.get("/streets.geojson")
@access(*ALL_ROLES)
def streets():
    bbox = parse_bbox(request.args.get("bbox"))
    return cached_geojson(
        ("street", "building"), lambda: layers.streets_geojson(read_session(), require_scope(), bbox=bbox)
    )


@bp.get("/buildings.geojson")
@access(*ALL_ROLES)
def buildings():
    """Houses as GeoJSON, or with ``compact=1`` as columns (the town map's one canvas layer)."""
    village_id, bbox = parse_int("village"), parse_bbox(request.args.get("bbox"))
    build = layers.buildings_columns if request.args.get("compact") == "1" else layers.buildings_geojson
    response = cached_geojson(
        ("building",),
        lambda: build(
            read_session(), require_scope(), village_id=village_id, bbox=bbox, limit=settings().max_features
        ),
        settings().max_features,
    )
    if build is layers.buildings_columns:
        response.mimetype = "application/json"
    return response


@bp.get("/buildings/bins.geojson")
@access(*ALL_ROLES)
def building_bins():
    """Houses counted per square cell and status (``zoom=``, ``bbox=``): the map at low zoom."""
    zoom, bbox = parse_int("zoom", 12, low=0, high=aggregates.MAX_ZOOM), parse_bbox(request.args.get("bbox"))
    return cached_geojson(
        ("building",), lambda: aggregates.house_bins(read_session(), require_scope(), bbox=bbox, zoom=zoom)
    )


@bp.record_once
def _keep_outlines(state) -> None:
    """The villages' outlines kept by each app this API is part of (never shared between apps)."""
    state.app.extensions["geoapp.village_outlines"] = aggregates.KeptOutlines()


@bp.get("/villages/progress.geojson")
@access(*ALL_ROLES)
def village_progress():
    """Villages in ``bbox`` with their houses by status (kept tallies): the map at county zoom."""
    bbox = parse_bbox(request.args.get("bbox"))
    return cached_geojson(
        ("village", "building"),  # the tally changes only with the houses
        lambda: aggregates.village_progress(
            read_session(), require_scope(), bbox=bbox, kept=current_app.extensions["geoapp.village_outlines"]
        ),
    )


@bp.get("/buildings/<int:building_id>")
@access(*ALL_ROLES)
def building(building_id: int):
    scope = require_scope()
    detail = layers.building_detail(read_session(), scope, building_id)
    charge_people(scope, detail.get("people_count", 0))
    detail["use_label"] = use_label(detail["use"])
    return jsonify(detail)


@bp.patch("/buildings/<int:building_id>")
@access(*BUILDING_EDITORS)
def update_building(building_id: int):
    patch = body(BuildingPatchIn)
    with database().write() as s:
        result = buildings_service.update_building(
            s, require_scope(), building_id, patch, remote_addr=request.remote_addr
        )
    return jsonify(result)


@bp.post("/buildings/<int:building_id>/submission")
@access(*EDITORS)
def submit_house(building_id: int):
    answer = collect.submit(database(), require_scope(), settings(), building_id, body(SubmissionIn))
    return jsonify(answer), 200 if answer["replayed"] else 201


@bp.post("/buildings/<int:building_id>/review")
@access(*REVIEW_ROLES)
def review_house(building_id: int):
    review = body(ReviewIn)
    with database().write() as s:
        answer = review_service.review_house(
            s, require_scope(), building_id, review, reason_labels=reason_labels()
        )
    return jsonify(answer)


@bp.get("/moves")
@access(*EDITORS)
def moves_list():
    scope = require_scope()
    items = moves.list_moves(read_session(), scope, status=request.args.get("status", "pending"))
    charge_people(scope, sum(1 for m in items if m["name"]))
    return jsonify({"items": items})


@bp.post("/moves/<int:move_id>/decision")
@access(Role.COLLECTOR, Role.OFFICER, Role.ADMIN)
def move_decision(move_id: int):
    decision = body(MoveDecisionIn)
    with database().write() as s:
        answer = moves.decide(s, require_scope(), move_id, decision)
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
    lon, lat = parse_float("lon", low=-180, high=180), parse_float("lat", low=-90, high=90)
    if lon is None or lat is None:
        raise InvalidInput(N_("%(field)s: send lon and lat of where you stand."), field="position")
    answer = navigation.next_houses(
        read_session(),
        require_scope(),
        lon,
        lat,
        limit=parse_int("limit", 10, high=100),
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
        village_id=parse_int("village"),
        query=request.args.get("q"),
        page=parse_int("page", 1),
        per_page=parse_int("per_page", 50),
    )
    charge_people(scope, len(page.items))
    return jsonify({"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page})


@bp.get("/people/<int:person_id>")
@access(*PERSONAL_DATA_ROLES)
def person(person_id: int):
    scope = require_scope()
    detail = people.person_detail(read_session(), scope, person_id)
    charge_people(scope, 1)
    return jsonify(detail)


@bp.post("/people/<int:person_id>/reveal")
@access(*REVEAL_ROLES, Role.COLLECTOR)
def reveal(person_id: int):
    field = body(RevealIn).field
    with database().write() as s:
        value = people.reveal(s, require_scope(), settings(), person_id, field, request.remote_addr)
    return jsonify({"id": person_id, "field": field, "value": value})


@bp.get("/units/<int:unit_id>")
@access(*ALL_ROLES)
def unit(unit_id: int):
    from geoapp.web.units import unit_answer  # the units' own blueprint describes a unit

    return jsonify(unit_answer(unit_id))
