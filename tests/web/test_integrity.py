"""Issue 8, items 3–8: the people budget counts every answer carrying people, reveals have
their own budget, leaders see no names, nobody verifies their own submission, a change
to a verified house is verified again, the version is required, a unit reporter changes
only their unit. Each test failed on the code before the fix."""

from __future__ import annotations

import uuid

import orjson
import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, Building, Household, Person, Unit, Village
from tests.conftest import Clients, make_settings
from tests.web.test_collect import _house, _member, _payload


@pytest.fixture
def tight(demo_url, demo_db):
    """The demo town with a small people budget (60 an hour) and reveal budget (3)."""
    from geoapp import create_app

    app = create_app(
        make_settings(demo_url, person_read_limit=60, person_read_village_margin=0, reveal_limit=3)
    )
    yield Clients(app, demo_db)
    app.extensions["geoapp.db"].dispose()


def _houses_with_people(demo_db, village_id: int, n: int) -> list[tuple[int, int]]:
    with demo_db.session() as s:
        return s.execute(
            select(Person.building_id, func.count())
            .join(Building, Building.id == Person.building_id)
            .where(Building.village_id == village_id)
            .group_by(Person.building_id)
            .order_by(Person.building_id)
            .limit(n)
        ).all()


# -- 3. the people budget ---------------------------------------------------------------------------


def test_house_details_are_charged_to_the_people_budget(tight, demo_db):
    client = tight("officer")
    read, answers = 0, []
    for building_id, people in _houses_with_people(demo_db, tight.village_a, 40):
        r = client.get(f"/api/buildings/{building_id}")
        answers.append(r.status_code)
        if r.status_code == 200:
            assert r.get_json()["people_count"] == people
            read += people
    assert 429 in answers, "reading house after house must meet the budget"
    assert read <= 60
    refused = client.get(f"/api/buildings/{_houses_with_people(demo_db, tight.village_a, 40)[-1][0]}")
    assert refused.status_code == 429 and "households" not in refused.get_json()


def test_person_records_are_charged_one_by_one(tight, demo_db):
    client = tight("officer")
    with demo_db.session() as s:
        ids = list(s.scalars(select(Person.id).order_by(Person.id).limit(70)))
    codes = [client.get(f"/api/people/{pid}").status_code for pid in ids]
    assert codes[:60] == [200] * 60 and set(codes[60:]) == {429}


def test_reveals_have_their_own_smaller_budget(tight):
    client, headers = tight("officer"), tight.csrf("officer")
    url = f"/api/people/{tight.own['person']}/reveal"
    codes = [client.post(url, json={"field": "phone"}, headers=headers).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_the_default_budget_lets_a_village_be_exported_but_not_the_town(clients, demo_db):
    """A collector exports their village; an administrator the largest village; the town is refused."""
    with demo_db.session() as s:
        largest = s.scalar(
            select(Building.village_id)
            .join(Person, Person.building_id == Building.id)
            .group_by(Building.village_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        in_largest = s.scalar(
            select(func.count()).select_from(Person).join(Building, Building.id == Person.building_id)
            .where(Building.village_id == largest)
        )  # fmt: skip
        town = s.scalar(select(func.count()).select_from(Person))
    assert in_largest > 2000  # the demo's biggest village: the export the old budget refused
    assert clients("collector").get("/export/people.csv").status_code == 200
    admin = clients("admin")
    assert admin.get(f"/export/people.csv?village={largest}").status_code == 200
    assert town > 15_000
    assert admin.get("/export/people.csv").status_code == 429  # the whole town at once
    # Village after village: the daily cap stops the scrape well before the town is read.
    with demo_db.session() as s:
        villages = list(s.scalars(select(Village.id).where(Village.id != largest)))
    codes = [admin.get(f"/export/people.csv?village={v}").status_code for v in villages]
    assert 429 in codes


# -- 4. leaders ---------------------------------------------------------------------------------------


def test_leaders_get_no_names_of_people(clients):
    leader = clients("leader")
    house = leader.get(f"/api/buildings/{clients.own['building']}").get_json()
    assert "households" not in house and "owner_name" not in house and "pending_moves" not in house
    assert all(u["phone"] is None for u in house["unit_details"])
    unit = leader.get(f"/api/units/{clients.unit_id}").get_json()
    assert unit["legal_rep"] is None and unit["phone"] is None
    body = leader.get("/export/units.csv").get_data(as_text=True)
    assert "法定代表人" not in body.splitlines()[0] and "联系电话" not in body.splitlines()[0]
    assert leader.get("/export/people.csv").status_code == 403


# -- 5. nobody verifies their own submission ----------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "admin"])
def test_nobody_verifies_what_they_submitted(clients, demo_db, who):
    client, headers = clients(who), clients.csrf(who)
    house = _house(demo_db, clients)
    payload = _payload(house, [_member(0, "户主")])
    payload["visit"]["lat"] += 0.003  # about 300 m away: flagged
    answer = client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers).get_json()
    assert answer["visit_flag"] == "far"
    review = {"action": "verify", "version": answer["version"], "visit_checked": True}
    own = client.post(f"/api/buildings/{house.id}/review", json=review, headers=headers)
    assert own.status_code == 403
    other = "admin" if who == "officer" else "officer"
    ok = clients(other).post(f"/api/buildings/{house.id}/review", json=review, headers=clients.csrf(other))
    assert ok.status_code == 200 and ok.get_json()["status"] == "verified"


# -- 6. a change to a verified house ------------------------------------------------------------------


def _verified(demo_db, clients) -> Building:
    house = _house(demo_db, clients)
    with demo_db.write() as s:
        b = s.get(Building, house.id)
        b.status = "verified"
    with demo_db.session() as s:
        return s.get(Building, house.id)


def test_a_collector_cannot_change_a_verified_house(clients, demo_db):
    house = _verified(demo_db, clients)
    r = clients("collector").patch(f"/api/buildings/{house.id}", json={"floors": 9, "version": house.version},
                                   headers=clients.csrf("collector"))  # fmt: skip
    assert r.status_code == 409
    with demo_db.session() as s:
        assert (s.get(Building, house.id).status, s.get(Building, house.id).floors) == (
            "verified",
            house.floors,
        )


def test_a_station_change_to_a_verified_house_awaits_verification_again(clients, demo_db):
    house = _verified(demo_db, clients)
    officer = clients("officer")
    r = officer.patch(f"/api/buildings/{house.id}", json={"floors": 9, "version": house.version},
                      headers=clients.csrf("officer"))  # fmt: skip
    assert r.status_code == 200 and r.get_json()["status"] == "collected"
    with demo_db.session() as s:
        b = s.get(Building, house.id)
        assert (b.status, b.floors, b.submitted_by) == ("collected", 9, clients.users["officer"])
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "building.update")
                          .order_by(AuditEvent.id.desc())).first()  # fmt: skip
        changes = orjson.loads(event.changes)
        assert changes["status"] == ["verified", "collected"] and changes["floors"] == [house.floors, 9]
    # The officer who changed it may not verify it.
    review = {"action": "verify", "version": r.get_json()["version"]}
    assert officer.post(f"/api/buildings/{house.id}/review", json=review,
                        headers=clients.csrf("officer")).status_code == 403  # fmt: skip


# -- 7. the version is required once a house was submitted ------------------------------------------


def test_a_submission_without_version_cannot_overwrite(clients, demo_db):
    client, headers = clients("collector"), clients.csrf("collector")
    house = _house(demo_db, clients)
    first = client.post(f"/api/buildings/{house.id}/submission", json=_payload(house, [_member(0, "户主")]),
                        headers=headers)  # fmt: skip
    assert first.status_code == 201
    blind = _payload(house, [_member(5, "户主")])
    del blind["version"]
    r = client.post(f"/api/buildings/{house.id}/submission", json=blind, headers=headers)
    assert r.status_code == 400 and r.get_json()["field"] == "version"
    with demo_db.session() as s:
        names = set(s.scalars(select(Person.name).where(Person.building_id == house.id)))
    assert names == {"王0"}


# -- 8. a unit reporter changes only their unit -------------------------------------------------------


def test_a_reporter_cannot_touch_the_households_of_their_building(clients, demo_db):
    client, headers = clients("reporter"), clients.csrf("reporter")
    building_id = clients.own["building"]
    with demo_db.session() as s:
        house = s.get(Building, building_id)
        people = set(s.scalars(select(Person.id).where(Person.building_id == building_id)))
        households = set(s.scalars(select(Household.id).where(Household.building_id == building_id)))
        units = set(s.scalars(select(Unit.id).where(Unit.building_id == building_id)))
    assert people and households
    # The attack: the building "with only their unit", households emptied.
    attack = {"client_id": uuid.uuid4().hex, "version": house.version, "households": [], "empty": False,
              "units": [{"id": clients.unit_id, "name": "改名后的单位", "staff": 7}]}  # fmt: skip
    r = client.post(f"/api/buildings/{building_id}/submission", json=attack, headers=headers)
    assert r.status_code == 201, r.get_json()
    with demo_db.session() as s:
        assert set(s.scalars(select(Person.id).where(Person.building_id == building_id))) == people
        assert set(s.scalars(select(Household.id).where(Household.building_id == building_id))) == households
        assert set(s.scalars(select(Unit.id).where(Unit.building_id == building_id))) == units  # none removed
        unit = s.get(Unit, clients.unit_id)
        assert (unit.name, unit.staff, unit.status) == ("改名后的单位", 7, "collected")
        version = s.get(Building, building_id).version
    # Households, an empty house, another unit, or the building's fields: refused, nothing changes.
    member = _member(3, "户主")
    for bad, field in (
        ({"households": [{"members": [member]}]}, "households"),
        ({"empty": True}, "households"),
        ({"units": [{"name": "别的单位"}]}, "units[0].id"),
        ({"building": {"floors": 99}}, "building.floors"),
    ):
        body = {"client_id": uuid.uuid4().hex, "version": version,
                "units": [{"id": clients.unit_id, "name": "改名后的单位"}], **bad}  # fmt: skip
        r = client.post(f"/api/buildings/{building_id}/submission", json=body, headers=headers)
        assert r.status_code == 400, (bad, r.get_json())
        assert field in [e["field"] for e in r.get_json()["errors"]], (bad, r.get_json())
    with demo_db.session() as s:
        assert set(s.scalars(select(Person.id).where(Person.building_id == building_id))) == people
    # Nor may a reporter edit the building itself.
    r = client.patch(f"/api/buildings/{building_id}", json={"floors": 3, "version": version}, headers=headers)
    assert r.status_code == 403


# -- seen from the collector's side ------------------------------------------------------------------


def test_a_collector_sees_the_full_id_of_a_returned_house_in_their_village(clients, demo_db):
    client, headers = clients("collector"), clients.csrf("collector")
    person_id = clients.own["person"]
    url = f"/api/people/{person_id}/reveal"
    assert client.post(url, json={"field": "id_number"}, headers=headers).status_code == 403  # not returned
    with demo_db.write() as s:
        person = s.get(Person, person_id)
        s.get(Building, person.building_id).status = "returned"
        full = person.id_number
    detail = client.get(f"/api/buildings/{clients.own['building']}").get_json()
    assert detail["may_reveal_ids"] is True
    r = client.post(url, json={"field": "id_number"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["value"] == full
    assert client.post(url, json={"field": "phone"}, headers=headers).status_code == 403
    with demo_db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "reveal").order_by(AuditEvent.id.desc())).first()  # fmt: skip
        assert event.user_id == clients.users["collector"] and full not in event.changes
    # Another village's returned house: not found.
    other = clients.other["person"]
    with demo_db.write() as s:
        s.get(Building, s.get(Person, other).building_id).status = "returned"
    assert (
        client.post(f"/api/people/{other}/reveal", json={"field": "id_number"}, headers=headers).status_code
        == 404
    )
