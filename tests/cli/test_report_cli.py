"""``geoapp report coverage`` on the demo town: the meeting's workbook from the same figures
as ``GET /api/coverage`` (both backends)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from click.testing import CliRunner
from openpyxl import load_workbook

from geoapp.cli import main
from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign.settings import load_campaign
from geoapp.services.reports.coverage import coverage
from geoapp.store.db import Database


def run(url, *args):
    return CliRunner().invoke(
        main, [str(a) for a in args], env={"GEOAPP_DATABASE_URL": url, "GEOAPP_LOCALE": "zh_CN"}
    )


def test_writes_the_chosen_kinds_as_of_the_date(demo_url, tmp_path):
    path = tmp_path / "out" / "coverage.xlsx"
    result = run(demo_url, "report", "coverage", "--as-of", "2016-05-25", "--kind", "households",
                 "--kind", "people", "--xlsx", path)  # fmt: skip
    assert result.exit_code == 0, result.output
    book = load_workbook(BytesIO(path.read_bytes()))
    assert book.sheetnames == ["实有人口", "户"]  # the work plan's order, whatever the options' order
    assert book["户"]["A1"].value == "余坪镇“三实”信息采集进度表·户（截至2016年5月25日）"
    db = Database(demo_url)
    with db.session() as s:
        expected = coverage(s, Scope(None, "cli", Role.ADMIN), load_campaign(s), kind="people",
                            as_of=date(2016, 5, 25))  # fmt: skip
    db.dispose()
    total = next(row for row in book["实有人口"].iter_rows(values_only=True) if row and row[0] == "合计")
    assert expected.total.collected in total and expected.total.task in total
    assert list(tmp_path.joinpath("out").iterdir()) == [path]  # no temporary file left behind


def test_a_bad_date_is_refused(demo_url, tmp_path):
    result = run(demo_url, "report", "coverage", "--as-of", "2016-13-01", "--xlsx", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and not (tmp_path / "x.xlsx").exists()
