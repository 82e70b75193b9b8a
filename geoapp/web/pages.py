"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, session
from flask_babel import get_locale, gettext

from geoapp.domain.clock import MINUTES, SECONDS, beijing_text
from geoapp.domain.roles import ALL_ROLES, PERSONAL_DATA_ROLES, REVIEW_ROLES, Role
from geoapp.domain.roles import EDITOR_ROLES as EDITORS
from geoapp.domain.status import STATUS_LABELS
from geoapp.domain.visits import FLAG_LABELS
from geoapp.i18n import LOCALES
from geoapp.maps.render import map_cache
from geoapp.maps.review import review_options
from geoapp.maps.town import town_map_page
from geoapp.services.accounts import budget
from geoapp.services.campaign import blocks as blocks_service
from geoapp.services.campaign import moves as moves_service
from geoapp.services.campaign import people as people_service
from geoapp.services.campaign import progress as progress_service
from geoapp.services.campaign import review as review_service
from geoapp.services.campaign import revisits as revisit_service
from geoapp.services.gis_io.layers import map_bounds
from geoapp.web.access import access, require_scope
from geoapp.web.context import database, read_session, settings
from geoapp.web.parsing import parse_int
from geoapp.web.review import queue_args
from geoapp.web.security import csp_nonce

bp = Blueprint("pages", __name__)


@bp.before_app_request
def _remember_language():
    lang = request.args.get("lang")
    if lang in LOCALES:
        session["lang"] = lang


@bp.get("/")
@access(*ALL_ROLES)
def town():
    scope = require_scope()
    bounds = map_bounds(read_session(), scope)
    officers = blocks_service.officers(read_session()) if scope.role == Role.ADMIN else None
    # The user's name, id and CSRF token are not in the map (map.html): one page per role,
    # scope and language, kept by the app.
    parts = town_map_page(
        map_cache(current_app),
        bounds,
        csp_nonce(),
        context=(settings(), str(get_locale()), request.script_root),
        village_id=scope.village_id,
        collect=scope.role in EDITORS,
        history=scope.may_reveal,  # officers and administrators read the audit log
        review=scope.role in REVIEW_ROLES,
        role=scope.role.value,
        unit_id=scope.unit_id,
        decide_moves=scope.role in (Role.COLLECTOR, Role.OFFICER, Role.ADMIN),
        block_editor=scope.role in (Role.OFFICER, Role.ADMIN),
        block_officers=officers,
    )
    title = gettext("Village map") if scope.role == Role.COLLECTOR else gettext("Town map")
    if scope.role == Role.COLLECTOR and (name := progress_service.village_name(read_session(), scope)):
        title = name
    return render_template("map.html", parts=parts, title=title, user_id=scope.user_id)


@bp.get("/people")
@access(*PERSONAL_DATA_ROLES)
def people():
    scope = require_scope()
    query = request.args.get("q", "")[:50]
    page = people_service.list_people(
        read_session(), scope, query=query, page=parse_int("page", 1, high=1_000_000)
    )
    with database().write() as s:
        budget.charge_people(s, scope, settings(), len(page.items))
    pages = max(1, -(-page.total // page.per_page))
    return render_template(
        "people.html",
        page=page,
        pages=pages,
        query=query,
        may_reveal=scope.may_reveal,
        title=gettext("People"),
    )


@bp.app_template_filter("beijing")
def beijing(moment, seconds: bool = False) -> str:
    """A stored (UTC) time in Beijing time: ``{{ event.at | beijing }}``."""
    return beijing_text(moment, SECONDS if seconds else MINUTES)


@bp.get("/review")
@access(*REVIEW_ROLES)
def review():
    scope = require_scope()
    args = queue_args()
    s = read_session()
    page = review_service.review_queue(s, scope, **args)
    pending = moves_service.list_moves(s, scope, limit=50)
    with database().write() as w:
        budget.charge_people(w, scope, settings(), len(pending))
    kept = {
        k: request.args.get(k, "").strip()
        for k in ("q", "village", "collector", "status", "flagged", "unflagged")
    }
    return render_template(
        "review.html",
        page=page,
        moves=pending,
        pages=max(1, -(-page.total // page.per_page)),
        villages=review_service.village_choices(s),
        collectors=review_service.collector_choices(s),
        filters=args,
        query_args={k: v for k, v in kept.items() if v},
        flags={f.value: gettext(label) for f, label in FLAG_LABELS.items()},
        statuses={s.value: gettext(label) for s, label in STATUS_LABELS.items()},
        bulk=args["collector"] is not None and args["unflagged_only"] and args["status"] == "collected",
        samples=revisit_service.list_samples(s, scope),
        revisits=revisit_service.list_revisits(s, scope, status="pending", limit=100),
        panel=review_options(),
        title=gettext("Awaiting verification"),
    )
