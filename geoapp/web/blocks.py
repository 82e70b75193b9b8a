"""Street-front blocks: the map layer, generation, editing on the map, assignment to
officers (one or many), the officer's "我的街区" page and the blocks list; villages
assigned to collectors the same way."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy import select

from geoapp.domain.blocks import AssignIn, BlockShapeIn, GenerateIn, MergeIn, SplitIn, VillageAssignIn
from geoapp.domain.errors import GeoappError, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import REVIEW_ROLES, Role
from geoapp.i18n import translate
from geoapp.maps.render import render_map
from geoapp.maps.town import town_map
from geoapp.services.addresses.plates import plates_for_buildings
from geoapp.services.campaign import blocks as blocks_service
from geoapp.services.gis_io.block_layer import blocks_geojson
from geoapp.services.gis_io.layers import map_bounds
from geoapp.store.models import Block
from geoapp.web.access import access, require_scope
from geoapp.web.addresses import _pdf as plate_pdf
from geoapp.web.addresses import base_url
from geoapp.web.api import cached_geojson
from geoapp.web.context import database, read_session
from geoapp.web.parsing import body, parse_bbox
from geoapp.web.security import csp_nonce

bp = Blueprint("blocks", __name__)

STATION = (Role.OFFICER, Role.ADMIN)


@bp.get("/api/blocks.geojson")
@access(*STATION)
def layer():
    """Every block (``mine=1``: the caller's) with its buildings, units, progress and assignee."""
    scope = require_scope()
    mine = request.args.get("mine", "")
    if mine not in ("", "0", "1"):
        raise InvalidInput(N_("%(field)s must be 0 or 1."), field="mine")
    bbox = parse_bbox(request.args.get("bbox"))
    return cached_geojson(
        ("block", "block_building", "block_assignment", "building", "unit", "street", "user_account"),
        lambda: blocks_geojson(
            read_session(), scope, officer_id=scope.user_id if mine == "1" else None, bbox=bbox
        ),
        blocks_service.beijing_today().isoformat(),  # "days left" changes at midnight
    )


@bp.post("/api/blocks/generate")
@access(Role.ADMIN)
def generate():
    data = body(GenerateIn)
    with database().write() as s:
        result = blocks_service.generate_blocks(
            s, require_scope(), list(data.streets) or None,
            max_buildings=data.max_buildings, max_metres=data.max_metres,
        )  # fmt: skip
    return jsonify(result.__dict__)


@bp.post("/api/blocks")
@access(*STATION)
def create():
    data = body(BlockShapeIn)
    with database().write() as s:
        answer = blocks_service.create_block(s, require_scope(), data.geometry, data.name)
    return jsonify(answer), 201


@bp.put("/api/blocks/<int:block_id>/shape")
@access(*STATION)
def reshape(block_id: int):
    data = body(BlockShapeIn)
    with database().write() as s:
        answer = blocks_service.reshape_block(s, require_scope(), block_id, data.geometry)
    return jsonify(answer)


@bp.post("/api/blocks/<int:block_id>/split")
@access(*STATION)
def split(block_id: int):
    data = body(SplitIn)
    with database().write() as s:
        answer = blocks_service.split_block(s, require_scope(), block_id, data.line)
    return jsonify(answer)


@bp.post("/api/blocks/<int:block_id>/merge")
@access(*STATION)
def merge(block_id: int):
    data = body(MergeIn)
    with database().write() as s:
        answer = blocks_service.merge_blocks(s, require_scope(), block_id, data.other)
    return jsonify(answer)


@bp.post("/api/blocks/<int:block_id>/assignment")
@access(Role.ADMIN)
def assign(block_id: int):
    data = body(AssignIn)
    with database().write() as s:
        answer = blocks_service.assign_blocks(s, require_scope(), [block_id], data.officer, data.due)
    return jsonify(answer)


@bp.post("/api/blocks/assignment")
@access(Role.ADMIN)
def assign_many():
    data = body(AssignIn)
    with database().write() as s:
        answer = blocks_service.assign_blocks(s, require_scope(), list(data.blocks), data.officer, data.due)
    return jsonify(answer)


@bp.get("/api/blocks/<int:block_id>/assignments")
@access(*STATION)
def history(block_id: int):
    rows = blocks_service.block_history(read_session(), block_id)
    return jsonify([{**r, "assigned_at": r["assigned_at"].isoformat(timespec="seconds") + "Z"} for r in rows])


@bp.post("/api/villages/<int:village_id>/assignment")
@access(Role.ADMIN)
def assign_village(village_id: int):
    data = body(VillageAssignIn)
    with database().write() as s:
        answer = blocks_service.assign_village(s, require_scope(), village_id, data.collector, data.due)
    return jsonify(answer)


@bp.get("/plates/block/<int:block_id>.pdf")
@access(*STATION)
def plates(block_id: int):
    """The block's door plates: A4 sheets of QR plates, like a street's or a village's."""
    s = read_session()
    name, ids = blocks_service.block_buildings(s, block_id)
    found = plates_for_buildings(s, require_scope(), ids, base_url=base_url(), title=name)
    return plate_pdf(found, f"plates-block-{block_id}.pdf")


# -- pages -----------------------------------------------------------------------------------


def _blocks_page(status: int = 200, **extra):
    with database().session() as s:  # a fresh read: after a change made in this request
        rows = s.execute(select(Block.id).order_by(Block.street_id, Block.side, Block.at_m, Block.id)).all()
        progress = blocks_service.block_progress(s)
        listing = blocks_service.block_list(s, [r[0] for r in rows], progress)
        officers = blocks_service.officers(s)
        streets = blocks_service.street_choices(s)
    return render_template(
        "blocks.html",
        blocks=listing,
        officers=officers,
        streets=streets,
        today=blocks_service.beijing_today(),
        title=gettext("Street-front blocks"),
        **extra,
    ), status


@bp.get("/blocks")
@access(*STATION)
def page():
    return _blocks_page()


def _form_ids(name: str) -> list[int]:
    out = []
    for value in request.form.getlist(name):
        if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**31:
            raise InvalidInput(N_("%(field)s must be a whole number from 1; got %(value)s."), field=name,
                               value=value[:20])  # fmt: skip
        out.append(int(value))
    return out


@bp.post("/blocks/assign")
@access(Role.ADMIN)
def assign_form():
    try:
        data = AssignIn.model_validate(
            {"officer": request.form.get("officer", ""), "due": request.form.get("due") or None,
             "blocks": _form_ids("block")}
        )  # fmt: skip
        with database().write() as s:
            answer = blocks_service.assign_blocks(
                s, require_scope(), list(data.blocks), data.officer, data.due
            )
    except GeoappError as exc:
        return _blocks_page(exc.http_status, error=exc.render(translate))
    except ValueError as exc:  # pydantic
        return _blocks_page(400, error=str(exc).splitlines()[0])
    return _blocks_page(notice=gettext("%(n)d blocks assigned to %(officer)s.", n=len(answer["blocks"]),
                                       officer=answer["officer"]))  # fmt: skip


@bp.post("/blocks/generate")
@access(Role.ADMIN)
def generate_form():
    try:
        with database().write() as s:
            result = blocks_service.generate_blocks(s, require_scope(), _form_ids("street") or None)
    except GeoappError as exc:
        return _blocks_page(exc.http_status, error=exc.render(translate))
    return _blocks_page(
        notice=gettext(
            "%(blocks)d blocks on %(streets)d streets hold %(buildings)d buildings (largest: %(largest)d); "
            "%(kept)d assigned or drawn blocks kept, %(removed)d replaced.",
            **result.__dict__,
        )
    )


@bp.get("/my-blocks")
@access(Role.OFFICER)
def mine():
    scope = require_scope()
    s = read_session()
    listing = blocks_service.my_blocks(s, scope)
    bounds = blocks_service.blocks_bounds(s, scope.user_id) or map_bounds(s, scope)
    m = town_map(
        bounds,
        history=True,
        review=scope.role in REVIEW_ROLES,
        role=scope.role.value,
        decide_moves=True,
        layer_query={"blocks": {"mine": "1"}},
        block_editor=True,
    )
    return render_template(
        "my_blocks.html",
        blocks=listing,
        parts=render_map(m, csp_nonce()),
        title=gettext("My blocks"),
    )
