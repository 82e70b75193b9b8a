"""``geoapp report coverage``: the command writes the workbook from the coverage function.

The coverage function lands on another branch: a stand-in module takes its place here, so this
checks the command's own work (dates, kinds, the file) without a database.
"""

from __future__ import annotations

import sys
import types
from dataclasses import replace
from datetime import date
from io import BytesIO

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from geoapp.cli.reports import report
from geoapp.domain.calendar import Campaign
from geoapp.domain.roles import Role
from tests.services.test_workbook import HOUSEHOLDS, HOUSES, PEOPLE

UNITS = replace(HOUSES, kind="units")
BY_KIND = {t.kind: t for t in (PEOPLE, HOUSES, UNITS, HOUSEHOLDS)}


@pytest.fixture
def calls(monkeypatch):
    made = []

    def coverage(session, scope, campaign, *, kind, as_of):
        made.append((scope.role, type(campaign), kind, as_of))
        return replace(BY_KIND[kind], as_of=as_of)

    module = types.ModuleType("geoapp.services.reports.coverage")
    module.coverage = coverage
    monkeypatch.setitem(sys.modules, "geoapp.services.reports.coverage", module)
    return made


def run(tmp_path, *args):
    url = f"sqlite:///{tmp_path / 'unused.sqlite'}"
    return CliRunner().invoke(
        report, [str(a) for a in args], env={"GEOAPP_DATABASE_URL": url, "GEOAPP_LOCALE": "zh_CN"}
    )


def test_writes_the_chosen_kinds_as_of_the_date(tmp_path, calls):
    path = tmp_path / "out" / "coverage.xlsx"
    result = run(tmp_path, "coverage", "--as-of", "2016-05-25", "--kind", "households", "--kind", "people",
                 "--xlsx", path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert calls == [
        (Role.ADMIN, Campaign, "households", date(2016, 5, 25)),
        (Role.ADMIN, Campaign, "people", date(2016, 5, 25)),
    ]
    book = load_workbook(BytesIO(path.read_bytes()))
    assert book.sheetnames == ["实有人口", "户"]  # the work plan's order, whatever the options' order
    assert book["户"]["A1"].value == "余坪镇“三实”信息采集进度表·户（截至2016年5月25日）"
    assert f"已写入 {path}：截至 2016-05-25 的采集进度（households, people）。" in result.output
    assert [p.name for p in path.parent.iterdir()] == ["coverage.xlsx"]  # no temporary file left


def test_every_kind_by_default_and_a_bad_date_is_refused(tmp_path, calls):
    result = run(tmp_path, "coverage", "--as-of", "2016-13-01", "--xlsx", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "--as-of" in result.output
    assert calls == [] and not (tmp_path / "x.xlsx").exists()
    result = run(tmp_path, "coverage", "--xlsx", tmp_path / "all.xlsx")
    assert result.exit_code == 0, result.output
    assert [kind for _, _, kind, _ in calls] == ["people", "houses", "units", "households"]
    assert {day for *_, day in calls} == {date.today()}
    assert load_workbook(tmp_path / "all.xlsx").sheetnames == ["实有人口", "实有房屋", "实有单位", "户"]
