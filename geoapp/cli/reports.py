"""``geoapp report coverage [--as-of DATE] [--kind …] --xlsx PATH``: the assessment meeting's workbook.

The figures come from the same function as ``GET /api/coverage`` and the leaders' page
(``geoapp.services.reports.coverage``), judged against the stored campaign settings. The
workbook holds aggregates only (no personal data).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import click

from geoapp.cli import with_app
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope
from geoapp.services.reports.layout import KINDS

# The command line reads as the station office does: the whole town.
CLI_ACTOR = Scope(None, "cli", Role.ADMIN)


@click.group("report", help="Reports for leaders and the assessment meeting.")
def report() -> None:
    pass


@report.command("coverage", help="Write the coverage workbook (.xlsx): one sheet per kind, A4 landscape.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Figures as they stood at the end of this day (YYYY-MM-DD; default today).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    help="Kinds to include, repeatable (default all: people, houses, units, households).",
)
@click.option("--xlsx", "path", required=True, type=click.Path(dir_okay=False, path_type=Path))
def coverage_cmd(as_of: datetime | None, kinds: tuple[str, ...], path: Path) -> None:
    from geoapp.domain.metrics import beijing_today

    _run(as_of.date() if as_of else beijing_today(), kinds or KINDS, path)


@with_app
def _run(app, as_of: date, kinds: tuple[str, ...], path: Path) -> None:
    from geoapp.domain.address import TOWN_NAME
    from geoapp.i18n import translate
    from geoapp.services.campaign.settings import load_campaign
    from geoapp.services.reports.coverage import coverage_kinds
    from geoapp.services.reports.workbook import coverage_workbook

    db = app.extensions["geoapp.db"]
    with db.session() as session:
        by_kind = coverage_kinds(session, CLI_ACTOR, load_campaign(session), kinds=kinds, as_of=as_of)
        tables = list(by_kind.values())
    body = coverage_workbook(tables, town=TOWN_NAME, gettext=translate)
    _write_atomically(path, body)
    click.echo(
        translate(N_("Wrote %(path)s: coverage as of %(date)s (%(kinds)s)."))
        % {"path": path, "date": as_of.isoformat(), "kinds": ", ".join(kinds)}
    )


def _write_atomically(path: Path, body: bytes) -> None:
    """A failed write never leaves half a workbook behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
