"""``geoapp campaign show|set``: the settings from the command line, checked like the page and
audited with the actor "cli" (both backends)."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from geoapp.cli import main
from geoapp.services.campaign.settings import load_campaign
from geoapp.store.models import AuditEvent


@pytest.fixture
def run(db_url):
    def invoke(*args: str, locale: str = "en"):
        env = {"GEOAPP_DATABASE_URL": db_url, "GEOAPP_LOCALE": locale}
        return CliRunner().invoke(main, list(args), env=env)

    return invoke


def events(db) -> list[tuple[str, dict]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEvent.actor, AuditEvent.changes).where(AuditEvent.action == "campaign.set")
        )
        return [(actor, orjson.loads(changes)) for actor, changes in rows]


def test_show_lists_every_setting_with_the_work_plans_default(run, db):
    result = run("campaign", "show")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2 + 16
    stage1 = next(line for line in lines if line.startswith("stage1_end "))
    assert stage1.split()[-3:] == ["2016-05-25", "2016-05-25", "—"]


def test_set_changes_one_setting_and_is_audited(run, db):
    result = run("campaign", "set", "stage1_target", "65%")
    assert result.exit_code == 0, result.output
    assert "stage1_target: 0.6 → 0.65." in result.output
    assert events(db) == [("cli", {"stage1_target": ["0.6", "0.65"]})]
    with db.session() as s:
        assert load_campaign(s).stage1_target == 0.65
    line = next(x for x in run("campaign", "show").output.splitlines() if x.startswith("stage1_target"))
    assert " 0.65 " in line and line.endswith("UTC cli")
    again = run("campaign", "set", "stage1_target", "0.65")
    assert again.exit_code == 0 and "nothing changed" in again.output and len(events(db)) == 1


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("stage1_target", "160%", "Stage 1 target must be a share between 0 and 1"),
        ("stage2_end", "2016-05-01", "Stage 2 deadline (2016-05-01) must not be before 2016-05-26"),
        ("deadline", "staged", "deadline is not a campaign setting"),
    ],
)
def test_set_refuses_with_a_message_and_changes_nothing(run, db, key, value, message):
    result = run("campaign", "set", key, value)
    assert result.exit_code == 1 and message in result.output
    assert events(db) == []


def test_messages_are_chinese_by_default(run, db):
    result = run("campaign", "set", "stage1_target", "160%", locale="zh_CN")
    assert result.exit_code == 1 and "第一阶段目标 须为 0 到 1 之间的比例" in result.output
