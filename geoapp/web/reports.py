"""Coverage reports over the web (issue 9, part 5): the meeting's workbook and the printable page.

Not registered yet: the routes (``GET /reports/coverage.xlsx?as_of=…`` and its printable page, for
leaders, officers and administrators) are connected once the coverage function
(``geoapp.services.reports.coverage``) lands. Each view then parses ``as_of``, calls that function for
each kind (houses, people, units, households) and hands the tables to one of these two helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Response, render_template

from geoapp.domain.address import TOWN_NAME
from geoapp.i18n import translate
from geoapp.services.reports.layout import ordered, report_title, sheets
from geoapp.services.reports.workbook import coverage_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def coverage_print_page(tables: Sequence[Any], *, town: str = TOWN_NAME, made_on: date | None = None) -> str:
    """The printable A4 page (``templates/coverage_print.html``) in the request's language."""
    return render_template(
        "coverage_print.html",
        title=report_title(tables, town=town, gettext=translate),
        sheets=sheets(tables, town=town, gettext=translate, made_on=made_on or date.today()),
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
