"""Reports: coverage by village against the work plan (issue 9).

- ``GET /api/coverage?kind=houses|people|units|households&as_of=YYYY-MM-DD[&forecast=1]``:
  the rows of ``services.reports.coverage`` with the figures' definitions (translated)
  and the plan's stages; with ``forecast=1`` (the leaders' page) each row also carries
  its ``forecast`` at the last 7 days' pace (``services.reports.progress.forecasts``). ``as_of`` defaults to today in Beijing and is capped to the campaign's
  end. Leaders, officers and administrators see every village, the station and the
  total; a village collector only their own village's row (no station or total row,
  which would reveal the other villages' figures); unit reporters have no village.
- ``GET /reports/coverage.xlsx?as_of=…``: the assessment meeting's workbook (one sheet
  per kind) and ``GET /reports/coverage?as_of=…``, the same tables as a printable A4
  page; for leaders, officers and administrators. Both call the same function as the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, render_template

from geoapp.domain.address import TOWN_NAME
from geoapp.domain.calendar import DEADLINE_RULE_LABELS
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import KINDS, beijing_today
from geoapp.domain.roles import Role
from geoapp.i18n import translate
from geoapp.maps.leaders import STAGE_NAMES
from geoapp.maps.print_map import choropleth_svg, legend_svg
from geoapp.services.campaign.settings import load_campaign
from geoapp.services.reports.coverage import coverage, coverage_kinds
from geoapp.services.reports.layout import KIND_LABELS as REPORT_KIND_LABELS
from geoapp.services.reports.layout import KINDS as REPORT_KINDS
from geoapp.services.reports.layout import day_text, ordered, report_title, sheets
from geoapp.services.reports.outlines import village_outlines
from geoapp.services.reports.progress import forecasts
from geoapp.services.reports.workbook import coverage_workbook
from geoapp.web.access import access, require_scope
from geoapp.web.context import read_session
from geoapp.web.parsing import parse_choice, parse_date

bp = Blueprint("reports", __name__)

COVERAGE_ROLES = (Role.LEADER, Role.OFFICER, Role.ADMIN, Role.COLLECTOR)
REPORT_ROLES = (Role.LEADER, Role.OFFICER, Role.ADMIN)


@bp.get("/api/coverage")
@access(*COVERAGE_ROLES)
def coverage_api():
    scope = require_scope()
    kind = parse_choice("kind", KINDS, "houses")
    today = beijing_today()
    as_of = parse_date("as_of") or today
    with_forecast = parse_choice("forecast", ("0", "1"), "0") == "1"
    session = read_session()
    campaign = load_campaign(session)
    result = coverage(session, scope, campaign, kind=kind, as_of=as_of, today=today)
    body = result.to_dict()
    if with_forecast:  # the leaders' page: each row's forecast at the last 7 days' pace
        outlook = forecasts(session, scope, campaign, kind=kind, as_of=as_of, today=today, now=result)
        rows = [*body["villages"], body["station"], body["total"]]
        for row, f in zip(rows, [*outlook.villages, outlook.station, outlook.total], strict=True):
            row["forecast"] = {"collected_before": f.collected_before, **f.forecast.to_dict()}
        body["forecast_window"] = {"start": outlook.window_start.isoformat(), "days": outlook.window_days}
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


def _report_tables() -> list[Any]:
    """The four kinds' coverage at ``as_of`` (default today in Beijing), for the workbook and the page."""
    scope = require_scope()
    as_of = parse_date("as_of") or beijing_today()
    session = read_session()
    tables = coverage_kinds(session, scope, load_campaign(session), kinds=REPORT_KINDS, as_of=as_of)
    return list(tables.values())


@bp.get("/reports/coverage.xlsx")
@access(*REPORT_ROLES)
def coverage_xlsx():
    return coverage_xlsx_response(_report_tables(), made_on=beijing_today())


@bp.get("/reports/coverage")
@access(*REPORT_ROLES)
def coverage_print():
    tables = _report_tables()
    return coverage_print_page(tables, made_on=beijing_today(), maps=_print_maps(tables))


MAP_KINDS = ("people", "houses")  # the villages' two tasks


def _print_maps(tables: Sequence[Any]) -> dict[str, Any]:
    """The villages coloured by their collection rate of people and of houses, for the page."""
    session = read_session()
    outlines = village_outlines(session)
    campaign = load_campaign(session)
    as_of = ordered(tables)[0].as_of
    stage = next((s for s in campaign.collection_stages if as_of <= s.end), campaign.collection_stages[-1])
    stage_name = STAGE_NAMES[campaign.collection_stages.index(stage)]
    maps = []
    for table in ordered(tables):
        if table.kind in MAP_KINDS:
            rates = {r.village_id: r.collection_rate for r in table.villages}
            title = translate(MAP_TITLE) % {"kind": translate(REPORT_KIND_LABELS[table.kind])}
            maps.append({"title": title, "svg": choropleth_svg(outlines, rates, label=title)})
    target_text = translate(STAGE_TARGET) % {
        "stage": translate(stage_name),
        "share": f"{stage.target:.0%}",
        "date": stage.end.strftime("%m-%d"),
    }
    return {
        "maps": maps,
        "map_title": translate(MAP_PAGE_TITLE) % {"town": TOWN_NAME, "date": day_text(as_of, translate)},
        "legend": legend_svg(target=stage.target, target_text=target_text, no_data_text=translate(NO_DATA)),
    }


MAP_PAGE_TITLE = N_("%(town)s 三实 information collection by village (as of %(date)s)")
MAP_TITLE = N_("%(kind)s: collection rate")
STAGE_TARGET = N_("%(stage)s target %(share)s by %(date)s")
NO_DATA = N_("No task or nothing to measure")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def coverage_print_page(
    tables: Sequence[Any], *, town: str = TOWN_NAME, made_on: date | None = None, maps: dict | None = None
) -> str:
    """The printable A4 page (``templates/coverage_print.html``) in the request's language;
    with ``maps`` (``_print_maps``), the villages' map on its own page first."""
    return render_template(
        "coverage_print_map.html" if maps else "coverage_print.html",
        title=report_title(tables, town=town, gettext=translate),
        sheets=sheets(tables, town=town, gettext=translate, made_on=made_on or date.today()),
        **(maps or {}),
    )


def coverage_xlsx_response(
    tables: Sequence[Any], *, town: str = TOWN_NAME, made_on: date | None = None
) -> Response:
    """The workbook as a download named after its date: ``coverage-2016-05-25.xlsx``."""
    body = coverage_workbook(tables, town=town, gettext=translate, made_on=made_on)
    filename = f"coverage-{ordered(tables)[0].as_of.isoformat()}.xlsx"
    return Response(
        body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
