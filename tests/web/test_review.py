"""An officer verifies a collected house or returns it with a reason, through the API."""

from __future__ import annotations

import re

import orjson
import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, Building, Unit
from tests.web.test_collect import _house, _member, _payload


def _collected(demo_db, clients, collector_client, headers, *, far=False, person=0):
    """A house the collector has just submitted (flagged when submitted far away)."""
    house = _house(demo_db, clients)
    payload = _payload(house, [_member(person, "户主")])
    if far:
        payload["visit"]["lat"] += 0.01  # about 1.1 km away
    r = collector_client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _state(demo_db, building_id):
    with demo_db.session() as s:
        b = s.get(Building, building_id)
        events = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == str(building_id))
        )
        return b.status, b.return_reason, b.visit_flag, b.version, events


@pytest.fixture
def officer(clients):
    return clients("officer"), clients.csrf("officer")


@pytest.fixture
def collector(clients):
    return clients("collector"), clients.csrf("collector")


def test_an_officer_verifies_a_collected_house_and_it_is_audited(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector)
    client, headers = officer
    before = client.get("/api/progress").get_json()["houses"]["verified"]
    r = client.post(
        f"/api/buildings/{answer['building_id']}/review",
        json={"action": "verify", "version": answer["version"]},
        headers=headers,
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "verified" and r.get_json()["version"] > answer["version"]
    assert client.get("/api/progress").get_json()["houses"]["verified"] == before + 1
    with demo_db.session() as s:
        event = s.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "house.verify", AuditEvent.object_id == str(answer["building_id"])
            )
        )
        assert event.actor == "officer"
        assert orjson.loads(event.changes)["status"] == ["collected", "verified"]


def test_returning_needs_a_reason_and_the_collector_sees_it(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector)
    client, headers = officer
    url = f"/api/buildings/{answer['building_id']}/review"
    before = _state(demo_db, answer["building_id"])
    r = client.post(
        url, json={"action": "return", "reason": "  ", "version": answer["version"]}, headers=headers
    )
    assert r.status_code == 400
    assert r.get_json()["field"] == "reason" and "退回" in r.get_json()["message"]
    assert _state(demo_db, answer["building_id"]) == before  # nothing stored, nothing audited

    reason = "户主身份证号与户口簿不符 <img src=x onerror=alert(1)>"
    r = client.post(
        url, json={"action": "return", "reason": reason, "version": answer["version"]}, headers=headers
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "returned"
    returned = collector[0].get("/api/returned").get_json()["items"]
    mine = [item for item in returned if item["id"] == answer["building_id"]]
    assert mine and mine[0]["reason"] == reason  # JSON carries text; pages draw it with textContent

    # The collector fixes it and resubmits: collected again, the reason cleared.
    with demo_db.session() as s:
        house = s.get(Building, answer["building_id"])
    r = collector[0].post(
        f"/api/buildings/{house.id}/submission",
        json=_payload(house, [_member(0, "户主")]),
        headers=collector[1],
    )
    assert r.status_code == 201, r.get_json()
    status, reason_now, *_ = _state(demo_db, house.id)
    assert (status, reason_now) == ("collected", None)


def test_a_stale_version_is_a_conflict_and_changes_nothing(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector)
    client, headers = officer
    before = _state(demo_db, answer["building_id"])
    r = client.post(
        f"/api/buildings/{answer['building_id']}/review",
        json={"action": "verify", "version": answer["version"] - 1},
        headers=headers,
    )
    assert r.status_code == 409
    assert _state(demo_db, answer["building_id"]) == before


def test_a_flagged_visit_is_verified_only_once_checked(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector, far=True)
    assert answer["visit_flag"] == "far"
    client, headers = officer
    url = f"/api/buildings/{answer['building_id']}/review"
    before = _state(demo_db, answer["building_id"])
    r = client.post(url, json={"action": "verify", "version": answer["version"]}, headers=headers)
    assert r.status_code == 400 and r.get_json()["field"] == "visit_checked"
    assert _state(demo_db, answer["building_id"]) == before
    r = client.post(
        url, json={"action": "verify", "version": answer["version"], "visit_checked": True}, headers=headers
    )
    assert r.status_code == 200, r.get_json()
    status, _, flag, _, _ = _state(demo_db, answer["building_id"])
    assert (status, flag) == ("verified", None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "approve"}, "action"),
        ({"action": "verify"}, "version"),
        ({"action": "verify", "version": "2"}, "version"),
    ],
)
def test_bad_review_requests_name_the_field(clients, demo_db, officer, collector, body, field):
    answer = _collected(demo_db, clients, *collector)
    client, headers = officer
    r = client.post(f"/api/buildings/{answer['building_id']}/review", json=body, headers=headers)
    assert r.status_code == 400 and r.get_json()["field"] == field


def test_an_uncollected_house_cannot_be_verified(clients, demo_db, officer):
    house = _house(demo_db, clients)
    client, headers = officer
    r = client.post(
        f"/api/buildings/{house.id}/review",
        json={"action": "verify", "version": house.version},
        headers=headers,
    )
    assert r.status_code == 409
    assert _state(demo_db, house.id)[0] == "uncollected"


def test_a_collector_cannot_verify_even_their_own_village(clients, demo_db, collector):
    answer = _collected(demo_db, clients, *collector)
    client, headers = collector
    r = client.post(
        f"/api/buildings/{answer['building_id']}/review",
        json={"action": "verify", "version": answer["version"]},
        headers=headers,
    )
    assert r.status_code == 403
    assert _state(demo_db, answer["building_id"])[0] == "collected"


def test_units_in_the_house_follow_its_review(clients, demo_db, officer):
    with demo_db.write() as s:
        unit = s.scalar(select(Unit).order_by(Unit.id).limit(1))
        house = s.get(Building, unit.building_id)
        house.status, house.visit_flag, unit.status = "collected", None, "collected"
    with demo_db.session() as s:
        house = s.get(Building, unit.building_id)
    client, headers = officer
    r = client.post(
        f"/api/buildings/{house.id}/review",
        json={"action": "return", "reason": "营业执照号缺失", "version": house.version},
        headers=headers,
    )
    assert r.status_code == 200, r.get_json()
    with demo_db.session() as s:
        assert s.get(Unit, unit.id).status == "returned"


def _queue(client, query: str) -> tuple[list[int], list[int], str]:
    """(ids in order, flagged ids, html) of one page of the queue."""
    html = client.get("/review?" + query).get_data(as_text=True)
    queue = html.split('id="review-queue"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-building="(\d+)"([^>]*)>', queue)
    ids = [int(i) for i, _ in rows]
    flagged = [int(i) for i, tag in rows if tag.endswith('class="flagged"')]
    return ids, flagged, html


def test_the_queue_lists_flagged_visits_first_and_filters(clients, demo_db, officer, collector):
    plain = _collected(demo_db, clients, *collector)
    far = _collected(demo_db, clients, *collector, far=True, person=1)
    with demo_db.write() as s:  # an address typed with markup stays text in the list
        s.get(Building, far["building_id"]).address = "余坪镇<img src=x onerror=alert(1)>1号"
    client, _ = officer
    village = f"village={clients.village_a}"
    ids, flagged, whole = _queue(client, village)
    assert "待核对" in whole and ids
    assert ids[: len(flagged)] == flagged  # flagged visits come first

    ids, flagged, html = _queue(client, village + "&flagged=1")
    assert far["building_id"] in flagged and ids == flagged and plain["building_id"] not in ids
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert f"#house={far['building_id']}&amp;lat=" in html

    # The plain submission is the newest one: last on the last page.
    with demo_db.session() as s:
        total = s.scalar(
            select(func.count())
            .select_from(Building)
            .where(Building.village_id == clients.village_a, Building.status == "collected")
        )
    assert f"共找到 {total} 处房屋" in whole
    last = -(-total // 50)
    ids, _, _ = _queue(client, f"{village}&page={last}")
    assert ids[-1] == plain["building_id"]
    other, _, _ = _queue(client, f"village={clients.village_b}")
    assert plain["building_id"] not in other and far["building_id"] not in other


def test_a_verified_house_leaves_the_queue(clients, demo_db, officer, collector):
    answer = _collected(demo_db, clients, *collector, far=True)
    client, headers = officer
    query = f"village={clients.village_a}&flagged=1"
    assert answer["building_id"] in _queue(client, query)[0]
    r = client.post(
        f"/api/buildings/{answer['building_id']}/review",
        json={"action": "verify", "version": answer["version"], "visit_checked": True},
        headers=headers,
    )
    assert r.status_code == 200
    assert answer["building_id"] not in _queue(client, query)[0]


def test_a_bad_village_filter_names_the_field(clients, officer):
    r = officer[0].get("/review?village=abc")
    assert r.status_code == 400 and "村 必须是整数" in r.get_data(as_text=True)
