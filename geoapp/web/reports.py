"""Reports: coverage by village against the work plan (issue 9).

``GET /api/coverage?kind=houses|people|units|households&as_of=YYYY-MM-DD``: the rows
of ``services.reports.coverage`` with the figures' definitions (translated) and the
plan's stages. ``as_of`` defaults to today in Beijing and is capped to the campaign's
end. Leaders, officers and administrators see every village, the station and the
total; a village collector only their own village's row (no station or total row,
which would reveal the other villages' figures); unit reporters have no village.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from geoapp.domain.calendar import DEADLINE_RULE_LABELS
from geoapp.domain.metrics import KINDS, beijing_today
from geoapp.domain.roles import Role
from geoapp.i18n import translate
from geoapp.services.campaign.settings import load_campaign
from geoapp.services.reports.coverage import coverage
from geoapp.web.access import access, require_scope
from geoapp.web.context import read_session
from geoapp.web.parsing import parse_choice, parse_date

bp = Blueprint("reports", __name__)

COVERAGE_ROLES = (Role.LEADER, Role.OFFICER, Role.ADMIN, Role.COLLECTOR)


@bp.get("/api/coverage")
@access(*COVERAGE_ROLES)
def coverage_api():
    scope = require_scope()
    kind = parse_choice("kind", KINDS, "houses")
    today = beijing_today()
    as_of = parse_date("as_of") or today
    session = read_session()
    campaign = load_campaign(session)
    result = coverage(session, scope, campaign, kind=kind, as_of=as_of, today=today)
    body = result.to_dict()
    body["definitions"] = {key: translate(text) for key, text in result.definitions.items()}
    body["total"]["name"] = translate(result.total.name)
    body["stages"] = [
        {
            "name": stage.name,
            "start": stage.start.isoformat(),
            "end": stage.end.isoformat(),
            "target": stage.target,
        }
        for stage in campaign.collection_stages
    ]
    body["deadline_rule"] = {
        "value": campaign.deadline_rule.value,
        "label": translate(DEADLINE_RULE_LABELS[campaign.deadline_rule]),
    }
    if scope.role == Role.COLLECTOR:  # their own village's row only
        del body["station"], body["total"]
    return jsonify(body)
