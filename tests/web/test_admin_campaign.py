"""/admin/campaign: administrators change the campaign settings; every change is checked as a
whole, audited with before and after, and read by the coverage figures (both backends)."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from geoapp.services.campaign.settings import load_campaign
from geoapp.store.models import AuditEvent, CampaignSetting


@pytest.fixture
def admin(clients):
    client, headers = clients("admin"), clients.csrf("admin")
    client.post_form = lambda data: client.post("/admin/campaign", data=data, headers=headers)
    return client


def settings_events(db) -> list[dict]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEvent.actor, AuditEvent.changes).where(AuditEvent.action == "campaign.set")
        )
        return [{"actor": actor, **orjson.loads(changes)} for actor, changes in rows]


def test_the_page_shows_every_setting_with_its_default(admin):
    r = admin.get("/admin/campaign")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "第一阶段截止日期" in html and 'value="2016-05-25"' in html and 'value="60%"' in html
    assert 'name="csrf_token"' in html and 'href="/admin/campaign"' in html  # in the admin menu
    assert "分阶段" in html and "余坪派出所" in html


def test_a_change_is_stored_audited_and_used(admin, demo_db):
    r = admin.post_form({"stage1_target": "65%", "stage1_end": "2016-05-25", "penalty_points": "40"})
    assert r.status_code == 302
    assert "已保存" in admin.get(r.location).get_data(as_text=True)
    with demo_db.session() as s:
        campaign = load_campaign(s)
        stored = {row.key: (row.value, row.updated_by) for row in s.scalars(select(CampaignSetting))}
    assert (campaign.stage1_target, campaign.penalty_points) == (0.65, 40)
    assert stored == {
        "stage1_target": ("0.65", "admin"),
        "penalty_points": ("40", "admin"),
    }  # unchanged: not stored
    assert settings_events(demo_db) == [
        {"actor": "admin", "stage1_target": ["0.6", "0.65"], "penalty_points": ["50", "40"]}
    ]
    body = admin.get("/api/coverage?as_of=2016-07-01").get_json()
    assert body["stages"][0]["target"] == 0.65
    r = admin.post_form({"stage1_target": "0.65"})
    assert r.status_code == 302 and "没有修改" in admin.get(r.location).get_data(as_text=True)
    assert len(settings_events(demo_db)) == 1


@pytest.mark.parametrize(
    "form, field, label",
    [
        ({"stage1_end": "2016-07-25"}, "stage1_end", "第一阶段截止日期"),  # after the stage 2 deadline
        ({"stage2_target": "160%"}, "stage2_target", "第二阶段目标"),
        ({"penalty_points": "五十"}, "penalty_points", "扣分（分）"),
        ({"deadline_rule": "whenever"}, "deadline_rule", "截止规则"),
    ],
)
def test_a_refused_change_names_the_field_and_keeps_what_was_typed(admin, demo_db, form, field, label):
    r = admin.post_form(form)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'class="error"' in html and label in html
    if field != "deadline_rule":
        assert f'value="{form[field]}"' in html
    with demo_db.session() as s:
        assert s.scalars(select(CampaignSetting)).all() == [] and settings_events(demo_db) == []


def test_several_errors_are_listed_together(admin, demo_db):
    r = admin.post_form({"stage1_target": "2", "penalty_points": "-1"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "第一阶段目标" in html and "扣分（分）" in html and "有 2 处需要更正" in html


def test_only_administrators_and_only_with_a_csrf_token(clients, demo_db):
    assert clients("officer").get("/admin/campaign").status_code == 403
    r = clients("officer").post(
        "/admin/campaign", data={"penalty_points": "1"}, headers=clients.csrf("officer")
    )
    assert r.status_code == 403
    r = clients("admin").post("/admin/campaign", data={"penalty_points": "1"})  # no CSRF token
    assert r.status_code == 400
    assert settings_events(demo_db) == []
