"""Personal data: masking in every response, audited reveals, mass assignment refused,
every write audited with before/after."""

from __future__ import annotations

import re

import numpy as np
import orjson
import pandas as pd
import pytest
from sqlalchemy import func, select

from geoapp.domain.roles import mask_id_number, mask_phone
from geoapp.store.models import AuditEvent, Building, Person

FULL_ID = re.compile(r"(?<![0-9*])\d{17}[\dX](?![0-9*])")
FULL_MOBILE = re.compile(r"(?<![0-9*])1[3-9]\d{9}(?![0-9*])")
# folium names each map element by a random uuid4 hex ("map_19915927548ab…"), which can hold
# a run of digits shaped like a mobile number: those names are not data, so they are cut first.
FOLIUM_NAME = re.compile(r"[a-z_]+_[0-9a-f]{32}(?![0-9a-f])")


def _person(demo_db, person_id):
    with demo_db.session() as s:
        return s.get(Person, person_id)


def _audit_count(demo_db, **where):
    with demo_db.session() as s:
        stmt = select(func.count()).select_from(AuditEvent)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return s.scalar(stmt)


def test_masks():
    assert mask_id_number("430101199001011234") == "4301**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number(None) is None and mask_phone("") == ""
    assert mask_id_number("E1234567") == "E1****67"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_masks_take_a_frames_missing_values_for_missing(missing):
    """pandas holds a missing phone as NaN or NA: masked, it stays missing (was a TypeError)."""
    assert mask_phone(missing) is None and mask_id_number(missing) is None


def test_masks_never_pass_a_number_through_in_clear():
    assert mask_phone(13812345678) == mask_phone(13812345678.0) == "138****5678"


@pytest.mark.parametrize("who", ["collector", "reporter", "officer", "admin"])
def test_no_response_carries_a_full_id_or_phone(clients, demo_db, who):
    own = clients.own
    client = clients(who)
    person = _person(demo_db, own["person"])
    urls = [
        f"/api/buildings/{own['building']}",
        f"/api/people?village={own['village']}&per_page=200",
        f"/api/people/{own['person']}",
        f"/api/units/{own['unit']}",
        "/people",
        f"/people?q={person.name}",
        "/api/buildings.geojson",
        "/",
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        body = FOLIUM_NAME.sub("", r.get_data(as_text=True))
        assert person.id_number not in body, url
        assert person.phone not in body, url
        assert not FULL_ID.search(body), (url, FULL_ID.search(body))
        assert not FULL_MOBILE.search(body), (url, FULL_MOBILE.search(body))
    detail = client.get(f"/api/people/{own['person']}").get_json()
    assert detail["id_number"] == mask_id_number(person.id_number)
    assert detail["phone"] == mask_phone(person.phone)


def test_leaders_see_counts_not_people(clients):
    leader = clients("leader")
    house = leader.get(f"/api/buildings/{clients.own['building']}").get_json()
    assert "households" not in house and "owner_name" not in house
    assert leader.get(f"/api/people/{clients.own['person']}").status_code == 403
    assert leader.get("/people").status_code == 403
    villages = orjson.loads(leader.get("/api/villages.geojson").data)
    assert all("collected" in f["properties"] for f in villages["features"])


def test_an_officer_reveals_one_value_and_it_is_audited(clients, demo_db):
    person = _person(demo_db, clients.own["person"])
    before = _audit_count(demo_db, action="reveal")
    r = clients("officer").post(
        f"/api/people/{person.id}/reveal", json={"field": "id_number"}, headers=clients.csrf("officer")
    )
    assert r.status_code == 200 and r.get_json()["value"] == person.id_number
    assert _audit_count(demo_db, action="reveal") == before + 1
    with demo_db.session() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "reveal").order_by(AuditEvent.id.desc())
        ).first()
    assert event.object_id == str(person.id) and event.actor == "officer"
    assert person.id_number not in event.changes and mask_id_number(person.id_number) in event.changes
    bad = clients("officer").post(
        f"/api/people/{person.id}/reveal", json={"field": "name"}, headers=clients.csrf("officer")
    )
    assert bad.status_code == 400 and bad.get_json()["field"] == "field"


def test_collectors_cannot_reveal(clients):
    r = clients("collector").post(
        f"/api/people/{clients.own['person']}/reveal",
        json={"field": "phone"},
        headers=clients.csrf("collector"),
    )
    assert r.status_code == 403


def _version(demo_db, building_id):
    with demo_db.session() as s:
        return s.get(Building, building_id)


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "verified"),
        ("village_id", 2),
        ("id", 1),
        ("collected_by", 1),
        ("author", "x"),
        ("geom", "POINT(0 0)"),
    ],
)
def test_fields_a_role_may_not_set_are_refused_and_nothing_changes(clients, demo_db, field, value):
    building = _version(demo_db, clients.own["building"])
    headers = clients.csrf("collector")
    events = _audit_count(demo_db)
    r = clients("collector").patch(
        f"/api/buildings/{building.id}",
        json={field: value, "floors": 9, "version": building.version},
        headers=headers,
    )
    assert r.status_code == 400
    assert field in r.get_json()["field"]
    after = _version(demo_db, building.id)
    assert (after.status, after.village_id, after.floors, after.version) == (
        building.status,
        building.village_id,
        building.floors,
        building.version,
    )
    assert _audit_count(demo_db) == events


def test_an_edit_leaves_exactly_one_event_with_before_and_after(clients, demo_db):
    building = _version(demo_db, clients.own["building"])
    new_floors = (building.floors or 1) + 1
    headers = clients.csrf("collector")  # logs in first: the login is an event of its own
    events = _audit_count(demo_db)
    r = clients("collector").patch(
        f"/api/buildings/{building.id}",
        json={"floors": new_floors, "structure": "框架", "version": building.version},
        headers=headers,
    )
    assert r.status_code == 200, r.get_json()
    assert _audit_count(demo_db) == events + 1
    with demo_db.session() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.object_type, event.object_id, event.actor) == (
        "building.update",
        "building",
        str(building.id),
        "collector_a",
    )
    changes = orjson.loads(event.changes)
    assert changes["floors"] == [building.floors, new_floors]
    # The same version again is a conflict, not a silent overwrite.
    stale = clients("officer").patch(
        f"/api/buildings/{building.id}",
        json={"floors": 1, "version": building.version},
        headers=clients.csrf("officer"),
    )
    assert stale.status_code == 409
    assert _version(demo_db, building.id).floors == new_floors


def test_a_collector_cannot_edit_another_villages_house_by_guessing_its_id(clients, demo_db):
    other = _version(demo_db, clients.other["building"])
    r = clients("collector").patch(
        f"/api/buildings/{other.id}",
        json={"floors": 7, "version": other.version},
        headers=clients.csrf("collector"),
    )
    assert r.status_code == 404
    assert _version(demo_db, other.id).floors == other.floors


def test_permission_refusals_are_audited(clients, demo_db):
    clients("leader")
    before = _audit_count(demo_db, action="permission.refused")
    assert clients("leader").get("/people").status_code == 403
    assert _audit_count(demo_db, action="permission.refused") == before + 1


def test_personal_responses_are_not_cached(clients):
    for url in ("/api/people", f"/api/buildings/{clients.own['building']}", "/people", "/"):
        assert clients("officer").get(url).headers["Cache-Control"] == "no-store"
