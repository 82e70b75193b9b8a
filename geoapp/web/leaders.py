"""The leaders' page (issue 9, part 4) and the data it draws, besides ``GET /api/coverage``.

- ``GET /leaders?as_of=&kind=&rate=&village=``: the page (leaders land on it after
  login; officers and administrators reach it from the menu). It embeds no town data:
  its scripts fetch the endpoints below, ``/api/coverage`` and ``/api/villages.geojson``.
- ``GET /api/coverage?kind=&as_of=&forecast=1`` (``web/reports.py``): the table's rows,
  each with the day the stage 2 target is reached at the pace of the last 7 days.
- ``GET /api/coverage/progress?kind=&village=&as_of=``: collected records per day up
  to ``as_of`` for the town and one village, with the tasks and the plan's stages.
- ``GET /api/heat?status=uncollected&as_of=``: ``[lat, lon]`` of every house not counted
  as collected at the end of ``as_of``, for the heatmap.

The endpoints answer leaders, officers and administrators for the whole town, and a
village collector for their own village only (no town series, no station or total
row); unit reporters have no village and are refused.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_babel import gettext

from geoapp.domain.metrics import KIND_LABELS, KINDS, beijing_today
from geoapp.domain.roles import Role
from geoapp.maps.leaders import RATE_LABELS, RATES, first_requests, leaders_map, page_options
from geoapp.maps.render import render_map
from geoapp.services.campaign.settings import load_campaign
from geoapp.services.gis_io.layers import map_bounds
from geoapp.services.reports.heat import uncollected_points
from geoapp.services.reports.progress import progress
from geoapp.web.access import access, require_scope
from geoapp.web.context import read_session
from geoapp.web.parsing import parse_choice, parse_date, parse_int
from geoapp.web.security import csp_nonce

bp = Blueprint("leaders", __name__)

PAGE_ROLES = (Role.LEADER, Role.OFFICER, Role.ADMIN)
DATA_ROLES = (*PAGE_ROLES, Role.COLLECTOR)  # a collector: their own village only


@bp.get("/leaders")
@access(*PAGE_ROLES)
def page():
    scope = require_scope()
    session = read_session()
    campaign = load_campaign(session)
    as_of = campaign.cap(parse_date("as_of") or beijing_today())
    state = {
        "as_of": as_of.isoformat(),
        "kind": parse_choice("kind", KINDS, "houses"),
        "rate": parse_choice("rate", RATES, "collection_rate"),
        "village": parse_int("village"),
    }
    m = leaders_map(map_bounds(session, scope), page_options(campaign, state))
    return render_template(
        "leaders.html",
        parts=render_map(m, csp_nonce()),
        title=gettext("Coverage by village"),
        state=state,
        campaign=campaign,
        preload=first_requests(state),
        kinds=[(k, gettext(KIND_LABELS[k])) for k in KINDS],
        rates=[(r, gettext(RATE_LABELS[r])) for r in RATES],
    )


@bp.get("/api/coverage/progress")
@access(*DATA_ROLES)
def progress_api():
    scope = require_scope()
    kind = parse_choice("kind", KINDS, "houses")
    as_of = parse_date("as_of") or beijing_today()
    village_id = parse_int("village")
    session = read_session()
    result = progress(session, scope, load_campaign(session), kind=kind, village_id=village_id, as_of=as_of)
    body = result.to_dict()
    if body["town"] is not None:
        body["town"]["name"] = gettext(body["town"]["name"])
    return jsonify(body)


@bp.get("/api/heat")
@access(*DATA_ROLES)
def heat_api():
    scope = require_scope()
    parse_choice("status", ("uncollected",), "uncollected")
    as_of = parse_date("as_of") or beijing_today()
    session = read_session()
    return jsonify(uncollected_points(session, scope, load_campaign(session), as_of=as_of).to_dict())
