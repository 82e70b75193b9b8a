"""Entering old records (录入, issue 10 part 7): the station uploads a register of people.

- ``GET /entry``: the upload form (officers, administrators).
- ``POST /entry``: read the uploaded Excel or CSV and show every row sorted (matched,
  ambiguous with the houses to pick from, unmatched, fields to correct, already
  registered, repeated) before anything is stored; the rows shown are charged to the
  reader's people budget. The file waits, for its uploader only, until confirmed.
- ``POST /entry/confirm``: store the matched rows and the ambiguous ones given a house,
  all or nothing, and show what was stored.
"""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request

from geoapp.domain import entry
from geoapp.domain.errors import GeoappError, InvalidInput
from geoapp.domain.fields import FIELD_LABELS
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role
from geoapp.i18n import translate
from geoapp.services.gis_io.importer import people
from geoapp.web.access import access, require_scope
from geoapp.web.context import database, settings
from geoapp.web.forms import form_value

bp = Blueprint("entry", __name__)

STATION = (Role.OFFICER, Role.ADMIN)
_CHOICE = re.compile(r"row-([0-9]{1,9})")


def _page(status: int = 200, *, plan: people.EntryPlan | None = None, **extra):
    outcomes = [(o, translate(entry.OUTCOME_LABELS[o])) for o in entry.OUTCOMES]
    labels = {**FIELD_LABELS, **entry.COLUMN_LABELS}
    page = render_template(
        "entry.html",
        title=translate(N_("Enter old records")),
        plan=plan,
        counts=plan.counts() if plan else {},
        outcomes=outcomes,
        how_labels={k: translate(v) for k, v in entry.HOW_LABELS.items()},
        columns=[(translate(labels[f]), "、".join(entry.ALIASES[f][:3])) for f in entry.ALIASES],
        render_error=lambda err: err.render(translate),
        **extra,
    )
    return page, status


@bp.get("/entry")
@access(*STATION)
def page():
    return _page()


@bp.post("/entry")
@access(*STATION)
def upload():
    scope = require_scope()
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise InvalidInput(N_("%(field)s: choose an Excel workbook (.xlsx) or a CSV file (UTF-8 or GB18030)."), field="file")  # fmt: skip
        limit = int(settings().import_max_mb * 1024 * 1024)
        data = file.read(limit + 1)
        with database().write() as s:
            plan = people.plan_entry(s, scope, settings(), data, file.filename)
        token = people.stage_upload(scope.user_id, file.filename, data)
    except GeoappError as exc:
        if exc.http_status in (401, 403):
            raise
        return _page(exc.http_status, error=exc.render(translate))
    return _page(plan=plan, token=token)


def _choices() -> dict[int, int]:
    chosen = {}
    for name in request.form:
        m = _CHOICE.fullmatch(name)
        if m and (value := form_value(name).strip()):
            if not value.isdigit():
                raise InvalidInput(N_("%(field)s must be a whole number."), field=name)
            chosen[int(m.group(1))] = int(value)
    return chosen


@bp.post("/entry/confirm")
@access(*STATION)
def confirm():
    scope = require_scope()
    token = form_value("token")
    try:
        filename, data = people.staged_upload(scope.user_id, token)
        with database().write() as s:
            plan = people.confirm_entry(s, scope, settings(), data, filename, choices=_choices())
        people.drop_upload(scope.user_id, token)
    except GeoappError as exc:
        if exc.http_status in (401, 403):
            raise
        return _page(exc.http_status, error=exc.render(translate))
    return _page(plan=plan, stored=True)
