"""The review panel's API, the review list (search, a collector's submissions, bulk verify),
re-visit samples through the API, and Beijing time on every page that shows a time."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, Building, CampaignSetting, RateEvent, User
from tests.web.test_review import _collected


@pytest.fixture
def officer(clients):
    return clients("officer"), clients.csrf("officer")


@pytest.fixture
def collector(clients):
    return clients("collector"), clients.csrf("collector")


def _charged(demo_db, user_id) -> int:
    with demo_db.session() as s:
        return int(
            s.scalar(
                select(func.coalesce(func.sum(RateEvent.weight), 0)).where(
                    RateEvent.key == f"read:people:{user_id}"
                )
            )
        )


def test_the_panel_data_shows_the_house_its_proof_and_what_changed(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector, far=True)
    client, _ = officer
    house = answer["building_id"]
    charged = _charged(demo_db, clients.users["officer"])
    r = client.get(f"/api/buildings/{house}/review")
    assert r.status_code == 200, r.get_json()
    info = r.get_json()
    assert info["house"]["status"] == "collected" and info["house"]["visit_flag"] == "far"
    assert info["visit"]["collector"] == "collector_a" and info["visit"]["distance_m"] > 1000
    assert info["visit"]["device_time"] == "2016-05-02T09:00:00Z" and info["visit"]["submitted_at"].endswith(
        "Z"
    )
    assert info["changes"]["last_check"] is None and [p["name"] for p in info["changes"]["added"]] == ["王0"]
    assert info["self_submitted"] is False and info["submitted_by"] == "collector_a"
    assert _charged(demo_db, clients.users["officer"]) == charged + 1  # the people named are charged
    for who in ("collector", "reporter", "leader"):
        assert clients(who).get(f"/api/buildings/{house}/review").status_code == 403


def test_a_common_reason_reaches_the_collector_in_chinese(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector)
    client, headers = officer
    client.get("/review?lang=en")  # the officer reads English; the collector reads the station's language
    r = client.post(
        f"/api/buildings/{answer['building_id']}/review",
        json={
            "action": "return",
            "version": answer["version"],
            "reason_code": "door_number",
            "reason": "应为12号",
        },
        headers=headers,
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["return_reason"] == "地址或门牌号与实地不符：应为12号"
    bad = client.post(
        f"/api/buildings/{answer['building_id']}/review",
        json={"action": "return", "version": r.get_json()["version"], "reason_code": "whatever"},
        headers=headers,
    )
    assert bad.status_code == 400 and bad.get_json()["field"] == "reason_code"
    with demo_db.session() as s:
        event = s.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "house.return")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
    assert '"reason_code":"door_number"' in event.changes


def test_the_list_searches_addresses_and_a_collectors_submissions(clients, demo_db, officer, collector):
    plain = _collected(demo_db, clients, *collector)
    far = _collected(demo_db, clients, *collector, far=True, person=1)
    client, _ = officer
    with demo_db.session() as s:
        address = s.get(Building, plain["building_id"]).address
    r = client.get("/api/review/queue", query_string={"q": address})
    assert [i["id"] for i in r.get_json()["items"]] == [plain["building_id"]]
    assert r.get_json()["items"][0]["collected_at"].endswith("Z")
    mine = client.get("/api/review/queue?collector=collector_a").get_json()
    assert sorted(i["id"] for i in mine["items"]) == sorted([plain["building_id"], far["building_id"]])
    unflagged = client.get("/api/review/queue?collector=collector_a&unflagged=1").get_json()
    assert [i["id"] for i in unflagged["items"]] == [plain["building_id"]]
    assert client.get("/api/review/queue?q=%25").get_json()["total"] == 0  # % is a character, not a wildcard
    everything = client.get("/api/review/queue?status=all&q=" + address[:3]).get_json()["total"]
    assert everything >= client.get("/api/review/queue?q=" + address[:3]).get_json()["total"]
    for query, field in (
        ("status=done", "status"),
        ("collector=nobody", "collector"),
        ("village=x", "village"),
    ):
        bad = client.get(f"/api/review/queue?{query}")
        assert bad.status_code == 400 and bad.get_json()["field"] == field, query
    page = client.get("/review", query_string={"q": address}).get_data(as_text=True)
    queue = page.split('id="review-queue"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<tr data-building="(\d+)"', queue) == [str(plain["building_id"])]
    bulk = client.get("/review?collector=collector_a&unflagged=1").get_data(as_text=True)
    assert 'id="bulk-verify"' in bulk and 'data-collector="collector_a"' in bulk


def test_bulk_verify_through_the_api(clients, demo_db, officer, collector):
    one = _collected(demo_db, clients, *collector)
    two = _collected(demo_db, clients, *collector, person=1)
    flagged = _collected(demo_db, clients, *collector, far=True, person=2)
    client, headers = officer
    items = [{"id": a["building_id"], "version": a["version"]} for a in (one, two, flagged)]
    r = client.post("/api/review/bulk", json={"collector": "collector_a", "items": items}, headers=headers)
    assert r.status_code == 409 and "标记" in r.get_json()["message"]
    with demo_db.session() as s:
        assert {s.get(Building, a["building_id"]).status for a in (one, two)} == {"collected"}
    for body, field in (
        ({"collector": "collector_a", "items": []}, "items"),
        ({"collector": "collector_a", "items": [{"id": 1, "version": 1}] * 201}, "items"),
        ({"collector": "collector_a", "items": [{"id": "1", "version": 1}]}, "id"),
        ({"items": items[:2]}, "collector"),
    ):
        bad = client.post("/api/review/bulk", json=body, headers=headers)
        assert bad.status_code == 400 and field in bad.get_json()["field"], body
    r = client.post(
        "/api/review/bulk", json={"collector": "collector_a", "items": items[:2]}, headers=headers
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["verified"] == 2
    denied = clients("collector").post(
        "/api/review/bulk",
        json={"collector": "collector_a", "items": items[2:]},
        headers=clients.csrf("collector"),
    )
    assert denied.status_code == 403


def test_samples_and_revisits_through_the_api(clients, demo_db, officer):
    client, headers = officer
    r = client.post(
        "/api/revisits/samples", json={"village": clients.village_a, "size": 3, "seed": 9}, headers=headers
    )
    assert r.status_code == 201, r.get_json()
    sample = r.get_json()
    again = client.post(
        "/api/revisits/samples", json={"village": clients.village_a, "size": 3, "seed": 9}, headers=headers
    ).get_json()
    assert again["houses"] == sample["houses"] and len(sample["houses"]) == 3
    listed = client.get(f"/api/revisits?sample={sample['id']}").get_json()
    assert sorted(i["building_id"] for i in listed["items"]) == sample["houses"]
    assert listed["samples"][0]["drawn_at"].endswith("Z")
    task = listed["items"][0]
    r = client.post(
        f"/api/revisits/{task['id']}/result", json={"result": "maybe", "version": 1}, headers=headers
    )
    assert r.status_code == 400 and r.get_json()["field"] == "result"
    r = client.post(
        f"/api/revisits/{task['id']}/result", json={"result": "confirmed", "version": 1}, headers=headers
    )
    assert r.status_code == 200 and r.get_json()["status"] == "confirmed"
    again = client.post(
        f"/api/revisits/{task['id']}/result", json={"result": "confirmed", "version": 2}, headers=headers
    )
    assert again.status_code == 409
    missing = client.post(
        "/api/revisits/999999/result", json={"result": "confirmed", "version": 1}, headers=headers
    )
    assert missing.status_code == 404
    for body, field in (
        ({"size": 3}, "village"),
        ({"village": clients.village_a, "size": 0}, "size"),
        ({"village": clients.village_a, "size": 3, "seed": -1}, "seed"),
    ):
        bad = client.post("/api/revisits/samples", json=body, headers=headers)
        assert bad.status_code == 400 and bad.get_json()["field"] == field, body
    html = client.get("/review").get_data(as_text=True)
    assert (
        'id="samples"' in html
        and f'<tr data-sample="{sample["id"]}">' in html
        and 'id="pending-revisits"' in html
    )


# -- Beijing time on the pages --------------------------------------------------------------------


def test_the_review_list_shows_beijing_time(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector)
    with demo_db.write() as s:
        s.get(Building, answer["building_id"]).collected_at = datetime(2016, 5, 2, 16, 30)  # UTC
    with demo_db.session() as s:
        address = s.get(Building, answer["building_id"]).address
    html = officer[0].get("/review", query_string={"q": address}).get_data(as_text=True)
    assert "提交时间（北京时间）" in html
    assert re.search(r'<td class="time"[^>]*>2016-05-03 00:30</td>', html)  # +8 h: the next day in Beijing
    assert "2016-05-02 16:30" not in html


def test_account_pages_show_beijing_time(clients, demo_db):
    with demo_db.write() as s:
        user = s.get(User, clients.users["leader"])
        user.last_login_at = datetime(2016, 6, 30, 17, 5)
        s.add(
            CampaignSetting(
                key="penalty_points", value="40", updated_at=datetime(2016, 4, 1, 20, 0), updated_by="admin"
            )
        )
    admin = clients("admin")
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "最近登录（北京时间）" in users and "2016-07-01 01:05" in users
    one = admin.get(f"/admin/users/{clients.users['leader']}").get_data(as_text=True)
    assert "2016-07-01 01:05" in one and "2016-06-30 17:05" not in one
    campaign = admin.get("/admin/campaign").get_data(as_text=True)
    assert "2016-04-02 04:00 北京时间" in campaign and "UTC" not in campaign
    tokens = admin.get("/account/tokens").get_data(as_text=True)
    assert "时间为北京时间" in tokens


def test_a_conflict_names_the_record_in_chinese(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector)
    client, headers = officer
    stale = {"action": "verify", "version": answer["version"] - 1}
    r = client.post(f"/api/buildings/{answer['building_id']}/review", json=stale, headers=headers)
    assert r.status_code == 409 and "他人已修改此房屋" in r.get_json()["message"]
    assert "house" not in r.get_json()["message"]
