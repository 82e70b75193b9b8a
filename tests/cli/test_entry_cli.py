"""``geoapp import people FILE``: the dry run reports every row and stores nothing; without it
the matched rows are stored, ``--choose`` settles an ambiguous one, and a second run stores
nothing new (both backends)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from geoapp.cli.imports import import_cmd
from geoapp.store.models import Person
from tests.services.test_entry import register, town


@pytest.fixture
def run(demo_url):
    def invoke(*args: str, locale: str = "en"):
        env = {"GEOAPP_DATABASE_URL": demo_url, "GEOAPP_LOCALE": locale}
        return CliRunner().invoke(import_cmd, ["people", *[str(a) for a in args]], env=env)

    return invoke


def people_count(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count(Person.id)))


def test_dry_run_then_store_then_nothing_new(run, demo_db, tmp_path):
    t = town(demo_db)
    path = tmp_path / "旧档案.csv"
    path.write_bytes(register(t))
    before = people_count(demo_db)
    dry = run(path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    out = dry.stdout
    assert "7 rows: 2 matched to a house, 1 fit several houses, 1 with no house found" in out
    assert "Row 4 (王三): several houses fit 测试街5号" in out and "--choose 4=HOUSE" in out
    assert "Row 5 (赵四): no house has the address 余坪镇余坪村不存在路99号" in out
    assert "Row 6 (钱五): " in out and "GB 11643 check character" in out and "11-digit mobile" in out
    assert f"Row 7 (孙六): already registered at {t['registered_at']}" in out
    assert "Row 8 (周七): the same ID number as row 2" in out
    assert "Dry run: nothing was stored" in out
    assert people_count(demo_db) == before
    stored = run(path, "--choose", f"4={t['twins'][0]}")
    assert stored.exit_code == 0, stored.output
    assert "Stored 3 people in 2 new households at 2 houses" in stored.stdout
    assert people_count(demo_db) == before + 3
    again = run(path)
    assert again.exit_code == 0 and "Stored 0 people" in again.stdout
    assert people_count(demo_db) == before + 3


def test_chinese_report_and_refusals(run, demo_db, tmp_path):
    t = town(demo_db)
    path = tmp_path / "旧档案.csv"
    path.write_bytes(register(t))
    zh = run(path, "--dry-run", locale="zh_CN")
    assert zh.exit_code == 0 and "试运行" in zh.stdout and "Row" not in zh.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,电话\n张三,13812345678\n", encoding="utf-8")
    refused = run(bad)
    assert refused.exit_code == 1 and "bad.csv" in refused.output and "address" in refused.output
    wrong = run(path, "--choose", f"4={t['free']}")
    assert wrong.exit_code == 1 and "is not one of the houses" in wrong.output
    assert run(path, "--choose", "x").exit_code == 2
