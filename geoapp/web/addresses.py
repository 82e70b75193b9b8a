"""Standard addresses and door plates (issue 10, part 6).

- ``GET /h/<id>``: what a plate's QR code opens. Through login (the login page returns
  here) to the house on the map; a village collector lands in the house's form.
- ``GET /addresses``: streets and villages with their door-number counts and plate sheets
  (officers, administrators; a collector their own village).
- ``GET /addresses/streets/<id>/numbering``: the preview of numbering a street's houses
  that have no door number; ``POST`` stores exactly that run (administrators).
  The same as JSON: ``GET|POST /api/streets/<id>/numbering``.
- ``GET /plates/street/<id>.pdf``, ``GET /plates/village/<id>.pdf``: A4 sheets of QR door
  plates (officers, administrators; a collector the houses of their own village).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from geoapp.domain.address import LEFT, MAX_DOOR, SIDE_LABELS, TOWN_NAME, UNNAMED_ROAD
from geoapp.domain.errors import GeoappError
from geoapp.domain.i18n import N_
from geoapp.domain.inputs import parse_whole_number
from geoapp.domain.requests import NumberingIn
from geoapp.domain.roles import ALL_ROLES, Role
from geoapp.i18n import translate
from geoapp.services.addresses.numbering import apply_numbering, clash_error, plan_numbering
from geoapp.services.addresses.plates import PlateSet, house_link, plates_for_street, plates_for_village
from geoapp.services.addresses.sheet import plate_sheet
from geoapp.services.addresses.standard import address_overview
from geoapp.web.access import access, require_scope
from geoapp.web.context import database, read_session, settings
from geoapp.web.forms import form_value
from geoapp.web.parsing import body, parse_int

bp = Blueprint("addresses", __name__)

PLATE_ROLES = (Role.OFFICER, Role.ADMIN, Role.COLLECTOR)


def base_url() -> str:
    """The address printed in the QR codes: GEOAPP_PUBLIC_URL, else the one this request came to."""
    return settings().public_url or request.host_url


@bp.get("/h/<int:building_id>")
@access(*ALL_ROLES)
def house(building_id: int):
    link = house_link(read_session(), require_scope(), building_id)
    return redirect(url_for("pages.town") + "#" + link.fragment())


@bp.get("/addresses")
@access(*PLATE_ROLES)
def page():
    scope = require_scope()
    overview = address_overview(read_session(), scope)
    numbered = parse_int("numbered")
    return render_template(
        "addresses.html",
        overview=overview,
        may_number=scope.role == Role.ADMIN,
        numbered=numbered,
        numbered_count=parse_int("count", 0, low=0),
        numbered_street=next((s.name for s in overview.streets if s.id == numbered), None),
        title=translate(N_("Door plates")),
    )


def _starts(read) -> tuple[int | None, int | None]:
    return tuple(parse_whole_number(read(name) or None, field=name) for name in ("start_odd", "start_even"))  # type: ignore[return-value]


def _numbering_page(
    street_id: int,
    start_odd,
    start_even,
    *,
    error: str | None = None,
    status: int = 200,
    confirmable: bool = True,
):
    plan, plan_error = None, None
    try:
        plan = plan_numbering(read_session(), street_id, start_odd=start_odd, start_even=start_even)
    except GeoappError as exc:
        if exc.http_status == 404:
            raise
        plan_error, confirmable = exc.render(translate), False
    if plan is not None and plan.clashes and error is None:
        error = clash_error(plan).render(translate)
    page = render_template(
        "addresses_numbering.html",
        plan=plan,
        street_id=street_id,
        start_odd=start_odd,
        start_even=start_even,
        max_door=MAX_DOOR,
        error=error or plan_error,
        confirmable=confirmable and plan is not None and bool(plan.changes) and not plan.clashes,
        side_labels={side: translate(label) for side, label in SIDE_LABELS.items()},
        left=LEFT,
        title=translate(N_("Number the houses of a street")),
    )
    return page, status


@bp.get("/addresses/streets/<int:street_id>/numbering")
@access(Role.ADMIN)
def numbering_page(street_id: int):
    try:
        start_odd, start_even = _starts(request.args.get)
    except GeoappError as exc:
        return _numbering_page(
            street_id, None, None, error=exc.render(translate), status=400, confirmable=False
        )
    return _numbering_page(street_id, start_odd, start_even)


@bp.post("/addresses/streets/<int:street_id>/numbering")
@access(Role.ADMIN)
def confirm_numbering(street_id: int):
    scope = require_scope()
    start_odd, start_even = _starts(form_value)
    try:
        with database().write() as s:
            result = apply_numbering(
                s, scope, street_id, fingerprint=form_value("fingerprint")[:64], start_odd=start_odd,
                start_even=start_even, remote_addr=request.remote_addr,
            )  # fmt: skip
    except GeoappError as exc:
        if exc.http_status == 404:
            raise
        return _numbering_page(
            street_id, start_odd, start_even, error=exc.render(translate), status=exc.http_status
        )
    return redirect(
        url_for("addresses.page", numbered=street_id, count=result.count) + f"#street-{street_id}"
    )


@bp.get("/api/streets/<int:street_id>/numbering")
@access(Role.ADMIN)
def numbering_preview(street_id: int):
    start_odd = parse_int("start_odd", high=MAX_DOOR)
    start_even = parse_int("start_even", high=MAX_DOOR)
    plan = plan_numbering(read_session(), street_id, start_odd=start_odd, start_even=start_even)
    answer = plan.to_dict()
    if plan.clashes:
        answer["message"] = clash_error(plan).render(translate)
    return jsonify(answer)


@bp.post("/api/streets/<int:street_id>/numbering")
@access(Role.ADMIN)
def numbering_confirm(street_id: int):
    scope = require_scope()
    sent = body(NumberingIn)
    with database().write() as s:
        result = apply_numbering(
            s, scope, street_id, fingerprint=sent.fingerprint, start_odd=sent.start_odd,
            start_even=sent.start_even, remote_addr=request.remote_addr,
        )  # fmt: skip
    return jsonify(result.to_dict())


def _pdf(plate_set: PlateSet, filename: str) -> Response:
    pdf = plate_sheet(plate_set, gettext=translate, town=TOWN_NAME)
    shown = f"{translate(N_('Door plates'))}-{plate_set.title}.pdf"
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(shown)}"
    headers = {"Content-Disposition": disposition, "X-Plates": str(len(plate_set.plates)),
               "X-Unnumbered-Houses": str(plate_set.unnumbered)}  # fmt: skip
    return Response(pdf, content_type="application/pdf", headers=headers)


@bp.get("/plates/street/<int:street_id>.pdf")
@access(*PLATE_ROLES)
def street_plates(street_id: int):
    found = plates_for_street(read_session(), require_scope(), street_id, base_url=base_url())
    if not found.title:  # an unnamed road
        found = replace(found, title=translate(UNNAMED_ROAD))
    return _pdf(found, f"plates-street-{street_id}.pdf")


@bp.get("/plates/village/<int:village_id>.pdf")
@access(*PLATE_ROLES)
def village_plates(village_id: int):
    found = plates_for_village(read_session(), require_scope(), village_id, base_url=base_url())
    return _pdf(found, f"plates-village-{village_id}.pdf")
