"""Issue 8, item 13: hostile values in paths, query strings and JSON bodies are a 400
that names the field, never a 500, and change nothing."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, Building, Person

HUGE = 2**64 + 1


def _house(demo_db, clients):
    with demo_db.session() as s:
        return s.scalar(
            select(Building)
            .where(Building.village_id == clients.village_a, Building.status == "uncollected")
            .order_by(Building.id)
            .limit(1)
        )


def _member(**extra):
    return {"name": "王五", "id_number": "11010519491231002X", "relation": "户主", **extra}


def _submission(house, **extra):
    return {"client_id": uuid.uuid4().hex, "version": house.version, "households": [{"members": [_member()]}],
            **extra}  # fmt: skip


PATH_AND_QUERY = [
    f"/api/buildings/{HUGE}",
    f"/api/buildings/{2**31}",  # past PostgreSQL's INTEGER
    f"/api/people?village={2**31}",
    f"/api/people/{HUGE}",
    f"/api/units/{HUGE}",
    f"/api/buildings.geojson?village={HUGE}",
    f"/api/next?lon=113.35&lat=27.1&street={HUGE}",
    f"/api/next?lon=113.35&lat=27.1&limit={HUGE}",
    "/api/next?lon=nan&lat=27.1",
    "/api/next?lon=1e999&lat=27.1",
    f"/api/people?page={HUGE}",
    f"/api/people?per_page={HUGE}",
    f"/api/people?village={HUGE}",
    "/api/people?page=²",
    f"/people?page={HUGE}",
    f"/review?page={HUGE}",
    f"/review?village={HUGE}",
    "/api/buildings.geojson?bbox=nan,nan,nan,nan",
    f"/export/people.csv?village={HUGE}",
    "/api/moves?status=everything",
]


@pytest.mark.parametrize("url", PATH_AND_QUERY)
def test_hostile_paths_and_queries_are_named_400s(clients, url):
    r = clients("officer").get(url)
    assert r.status_code == 400, (url, r.status_code, r.get_data(as_text=True)[:300])


def test_an_id_beyond_64_bits_in_the_path_names_the_field(clients):
    r = clients("officer").get(f"/api/buildings/{HUGE}")
    assert r.get_json()["field"] == "id" and "记录编号" in r.get_json()["message"]


BODIES = [
    ("version as text", {"version": "1"}, "version"),
    ("version as a list", {"version": [1]}, "version"),
    ("version beyond 64 bits", {"version": HUGE}, "version"),
    ("households as a number", {"households": 5}, "households"),
    ("units as a number", {"units": 5}, "units"),
    ("moves as a number", {"moves": 5}, "moves"),
    ("household id as a list", {"households": [{"id": [1], "members": [_member()]}]}, "households[0].id"),
    ("household id as an object", {"households": [{"id": {"a": 1}, "members": [_member()]}]}, "households[0].id"),
    ("person id beyond 64 bits", {"households": [{"members": [_member(id=HUGE)]}]}, "households[0].members[0].id"),
    ("employer beyond INTEGER", {"households": [{"members": [_member(employer_unit_id=2**31)]}]},
     "households[0].members[0].employer_unit_id"),
    ("floors as a superscript", {"building": {"floors": "²"}}, "building.floors"),
    ("staff as a superscript", {"units": [{"name": "店", "staff": "²"}]}, "units[0].staff"),
    ("ID number as a JSON number", {"households": [{"members": [_member(id_number=110105194912310020)]}]},
     "households[0].members[0].id_number"),
    ("accuracy NaN", {"visit": {"lat": 27.1, "lon": 113.3, "accuracy": float("nan")}}, "visit.accuracy"),
    ("employer as text", {"households": [{"members": [_member(employer_unit_id="abc")]}]},
     "households[0].members[0].employer_unit_id"),
    ("separated as text", {"households": [{"members": [_member(separated="yes")]}]},
     "households[0].members[0].separated"),
    ("building as a list", {"building": [1, 2]}, "building"),
]  # fmt: skip


def _state(demo_db):
    with demo_db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Person)),
            s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "house.submit")),
        )


@pytest.mark.parametrize("label, change, field", BODIES, ids=[b[0] for b in BODIES])
def test_hostile_submission_bodies_are_named_400s(clients, demo_db, label, change, field):
    house = _house(demo_db, clients)
    before = _state(demo_db)
    body = {**_submission(house), **change}
    raw = json.dumps(body).encode()  # Python's json writes NaN as NaN, which the server's parser reads
    r = clients("collector").post(
        f"/api/buildings/{house.id}/submission",
        data=raw,
        content_type="application/json",
        headers=clients.csrf("collector"),
    )
    assert r.status_code == 400, (label, r.status_code, r.get_data(as_text=True)[:300])
    fields = [e["field"] for e in r.get_json().get("errors", [])] or [r.get_json().get("field")]
    assert field in fields, (label, r.get_json())
    assert _state(demo_db) == before


def test_json_nested_50000_levels_is_a_400(clients, demo_db):
    house = _house(demo_db, clients)
    deep = b'{"client_id": "abcdefgh1", "households": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    r = clients("collector").post(f"/api/buildings/{house.id}/submission", data=deep,
                                  content_type="application/json", headers=clients.csrf("collector"))  # fmt: skip
    assert r.status_code == 400 and r.get_json()["field"] == "body"


@pytest.mark.parametrize(
    "body, field",
    [({"action": ["verify"], "version": 1}, "action"), ({"action": "verify", "version": "1"}, "version"),
     ({"action": "verify"}, "version"), ({"action": "verify", "version": 1, "visit_checked": "yes"}, "visit_checked")],
)  # fmt: skip
def test_hostile_review_bodies_are_named_400s(clients, demo_db, body, field):
    house = _house(demo_db, clients)
    r = clients("officer").post(
        f"/api/buildings/{house.id}/review", json=body, headers=clients.csrf("officer")
    )
    assert r.status_code == 400, r.get_data(as_text=True)
    fields = [e["field"] for e in r.get_json().get("errors", [])] or [r.get_json().get("field")]
    assert field in fields


@pytest.mark.parametrize(
    "body, field",
    [({"floors": "²"}, "floors"), ({"floors": HUGE}, "floors"), ({"status": "verified"}, "status"),
     ({"door_no": ["1"]}, "door_no"), ({"floors": 3, "version": "x"}, "version")],
)  # fmt: skip
def test_hostile_edits_are_named_400s(clients, demo_db, body, field):
    house = _house(demo_db, clients)
    payload = {"version": house.version, **body}
    r = clients("collector").patch(
        f"/api/buildings/{house.id}", json=payload, headers=clients.csrf("collector")
    )
    assert r.status_code == 400, r.get_data(as_text=True)
    fields = [e["field"] for e in r.get_json().get("errors", [])] or [r.get_json().get("field")]
    assert field in fields
    with demo_db.session() as s:
        assert s.get(Building, house.id).version == house.version


@pytest.mark.parametrize("body", [{"field": ["phone"]}, {"field": 1}, {}, {"field": "name"}])
def test_hostile_reveal_bodies_are_400s(clients, body):
    r = clients("officer").post(f"/api/people/{clients.own['person']}/reveal", json=body,
                                headers=clients.csrf("officer"))  # fmt: skip
    assert r.status_code == 400
