"""The station's units: the shop and factory map layers, the units register (page, JSON,
export) and registering, editing and placing units."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy import select

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.layers import UNIT_KIND_WORDS
from geoapp.domain.roles import ALL_ROLES, Role
from geoapp.domain.status import STATUS_COLOURS, STATUS_LABELS, Status
from geoapp.domain.units import PlaceIn, UnitFilter, UnitIn, UnitPatchIn
from geoapp.domain.uses import UNIT_KIND_LABELS
from geoapp.i18n import translate
from geoapp.maps.town import status_style
from geoapp.maps.units import unit_options
from geoapp.services.campaign import units as units_service
from geoapp.services.campaign.review import village_choices
from geoapp.services.gis_io import layers, register_export
from geoapp.store.models import Street
from geoapp.web.access import access, require_scope
from geoapp.web.api import cached_geojson, charge_people
from geoapp.web.context import database, read_session, settings
from geoapp.web.parsing import body, parse_bbox, parse_choice, parse_int

bp = Blueprint("units", __name__)

REGISTRARS = (Role.OFFICER, Role.ADMIN)
STATUSES = tuple(s.value for s in Status)


def _flag(name: str) -> bool:
    value = request.args.get(name, "")
    if value not in ("", "0", "1"):
        raise InvalidInput(N_("%(field)s must be 0 or 1."), field=name)
    return value == "1"


def parse_filter() -> UnitFilter:
    kind = request.args.get("kind") or None
    if kind is not None:
        if kind not in UNIT_KIND_WORDS:
            parse_choice("kind", tuple(UNIT_KIND_WORDS), "")  # names the field and the choices
        kind = UNIT_KIND_WORDS[kind][0]  # "factory" and the layers' names are unit kinds too
    return UnitFilter(
        q=(request.args.get("q") or "").strip()[:50] or None,
        kind=kind,
        status=parse_choice("status", STATUSES, "") or None,
        village_id=parse_int("village"),
        street_id=parse_int("street"),
        no_uscc=_flag("no_uscc"),
        no_staff=_flag("no_staff"),
        unplaced=_flag("unplaced"),
        unit_id=parse_int("unit"),
    )


@bp.get("/api/units.geojson")
@access(*ALL_ROLES)
def layer():
    """Units as map points, scoped like houses: ``kind=shop|factory|office|other`` (several
    separated by commas), ``village=``, ``bbox=``."""
    kinds: list[str] = []
    for word in filter(None, (request.args.get("kind") or "").split(",")):
        if word not in UNIT_KIND_WORDS:
            parse_choice("kind", tuple(UNIT_KIND_WORDS), "")  # names the field and the choices
        kinds.extend(UNIT_KIND_WORDS[word])
    village_id, bbox = parse_int("village"), parse_bbox(request.args.get("bbox"))
    return cached_geojson(
        ("unit", "building"),
        lambda: layers.units_geojson(
            read_session(), require_scope(), kinds=kinds or None, village_id=village_id, bbox=bbox
        ),
    )


def _labels() -> dict:
    return {
        "kinds": {k.value: gettext(label) for k, label in UNIT_KIND_LABELS.items()},
        "statuses": {s.value: gettext(label) for s, label in STATUS_LABELS.items()},
        "colours": {s.value: c for s, c in STATUS_COLOURS.items()},
    }


@bp.get("/units")
@access(*REGISTRARS)
def page():
    scope = require_scope()
    flt = parse_filter()
    s = read_session()
    result = units_service.list_units(s, scope, flt, page=parse_int("page", 1, high=1_000_000))
    streets = s.execute(select(Street.id, Street.name).order_by(Street.name, Street.id))
    return render_template(
        "units.html",
        page=result,
        pages=max(1, -(-result.total // result.per_page)),
        flt=flt,
        query=flt.query(),
        villages=village_choices(s),
        streets=[(r.id, r.name) for r in streets],
        labels=_labels(),
        options=unit_options(kinds=_labels()["kinds"], status=status_style()),
        title=gettext("Units register"),
    )


@bp.get("/units/export.<any(xlsx, csv):fmt>")
@access(*REGISTRARS)
def export(fmt: str) -> Response:
    file = register_export.export_register(
        database(), require_scope(), parse_filter(), fmt, translate=translate, remote_addr=request.remote_addr
    )
    return Response(
        file.body,
        content_type=file.content_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


@bp.get("/api/units")
@access(*REGISTRARS)
def items():
    result = units_service.list_units(
        read_session(),
        require_scope(),
        parse_filter(),
        page=parse_int("page", 1, high=1_000_000),
        per_page=parse_int("per_page", 50, high=units_service.MAX_PAGE),
    )
    return jsonify(
        {"items": result.items, "total": result.total, "page": result.page, "per_page": result.per_page,
         "counts": result.counts}
    )  # fmt: skip


@bp.post("/api/units")
@access(*REGISTRARS)
def create():
    data = body(UnitIn)
    with database().write() as s:
        answer = units_service.create_unit(s, require_scope(), data, remote_addr=request.remote_addr)
    return jsonify(answer), 201


@bp.patch("/api/units/<int:unit_id>")
@access(*REGISTRARS)
def update(unit_id: int):
    patch = body(UnitPatchIn)
    with database().write() as s:
        answer = units_service.update_unit(
            s, require_scope(), unit_id, patch, remote_addr=request.remote_addr
        )
    return jsonify(answer)


@bp.post("/api/units/<int:unit_id>/place")
@access(*REGISTRARS)
def place(unit_id: int):
    where = body(PlaceIn)
    with database().write() as s:
        answer = units_service.place_unit(
            s,
            require_scope(),
            unit_id,
            where,
            fronting_distance_m=settings().fronting_distance_m,
            remote_addr=request.remote_addr,
        )
    return jsonify(answer)


def unit_answer(unit_id: int) -> dict:
    """``GET /api/units/<id>``: the unit with its labels; its staff (masked) are charged to the
    reader's people budget."""
    scope = require_scope()
    detail = units_service.unit_detail(read_session(), scope, unit_id)
    charge_people(scope, detail.pop("people_count"))
    labels = _labels()
    detail["kind_label"] = labels["kinds"].get(detail["kind"], detail["kind"])
    detail["status_label"] = labels["statuses"].get(detail["status"], detail["status"])
    return detail
