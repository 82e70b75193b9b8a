"""People registered in another village (issue 8, items 1 and 2): the ID check reveals
nothing outside the caller's scope, and a move across villages is a request that the
other side confirms; every step is audited on both houses and on the person."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, Building, Household, Person, PersonMove, RateEvent, Village
from tests.conftest import Clients, login, make_settings

ONE_METRE_LAT = 1 / 111_320


def _uncollected(s, village_id: int) -> Building:
    return s.scalar(
        select(Building)
        .where(Building.village_id == village_id, Building.status == "uncollected")
        .order_by(Building.id)
        .limit(1)
    )


def _resident_of(s, village_id: int) -> Person:
    """A person living in ``village_id``, with an ID number, in a collected house."""
    return s.scalar(
        select(Person)
        .join(Building, Building.id == Person.building_id)
        .where(Building.village_id == village_id, Person.id_type == "resident_id",
               Building.status == "collected")
        .order_by(Person.id)
        .limit(1)
    )  # fmt: skip


def _submission(house: Building, member: dict, **extra) -> dict:
    return {
        "client_id": uuid.uuid4().hex,
        "version": house.version,
        "households": [{"members": [member]}],
        "visit": {"lat": house.lat, "lon": house.lon, "accuracy": 5},
        **extra,
    }


@pytest.fixture
def story(clients, demo_db):
    """Collector A's uncollected house, and a resident of village B."""
    with demo_db.session() as s:
        house = _uncollected(s, clients.village_a)
        person = _resident_of(s, clients.village_b)
        source = s.get(Building, person.building_id)
        village_b = s.get(Village, clients.village_b)
        s.expunge_all()
    member = {"name": "外村人", "id_number": person.id_number, "relation": "户主"}
    return house, person, source, village_b, member


def _events(demo_db, action: str) -> list[tuple[str, str]]:
    with demo_db.session() as s:
        return sorted(
            s.execute(
                select(AuditEvent.object_type, AuditEvent.object_id).where(AuditEvent.action == action)
            ).all()
        )


def test_an_id_registered_in_another_village_reveals_nothing(clients, demo_db, story):
    house, person, source, village_b, member = story
    client = clients("collector")
    r = client.post(f"/api/buildings/{house.id}/submission", json=_submission(house, member),
                    headers=clients.csrf("collector"))  # fmt: skip
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    for secret in (source.address, village_b.name, person.name, str(person.id), str(source.id)):
        assert secret not in text
    error = r.get_json()["errors"][0]
    assert error["field"] == "households[0].members[0].id_number"
    assert error["move"] == "request" and "person_id" not in error
    assert "派出所" in error["message"]
    # The attempt is audited on the submitting house (number masked) and charged to the people budget.
    with demo_db.session() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "person.registered_elsewhere"))
        assert event.object_id == str(house.id) and event.user_id == clients.users["collector"]
        assert person.id_number not in event.changes and person.id_number[-4:] in event.changes
        charged = s.scalar(
            select(func.sum(RateEvent.weight)).where(
                RateEvent.key == f"read:people:{clients.users['collector']}"
            )
        )
        assert charged == 1
        assert s.get(Building, house.id).status == "uncollected"  # nothing else stored


def test_repeated_hits_count_against_the_people_budget(demo_url, demo_db):
    from geoapp import create_app

    app = create_app(make_settings(demo_url, person_read_limit=3, person_read_village_margin=0))
    try:
        clients = Clients(app, demo_db)
        with demo_db.session() as s:
            house = _uncollected(s, clients.village_a)
            numbers = list(
                s.scalars(
                    select(Person.id_number)
                    .join(Building, Building.id == Person.building_id)
                    .where(Building.village_id == clients.village_b, Person.id_type == "resident_id")
                    .limit(5)
                )
            )
        client, headers = clients("collector"), clients.csrf("collector")
        codes = [
            client.post(f"/api/buildings/{house.id}/submission",
                        json=_submission(house, {"name": "试", "id_number": n, "relation": "户主"}),
                        headers=headers).status_code
            for n in numbers
        ]  # fmt: skip
        assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]
        # Refused or not, every hit is audited.
        assert len(_events(demo_db, "person.registered_elsewhere")) == 5
    finally:
        app.extensions["geoapp.db"].dispose()


def test_a_move_across_villages_is_a_request_the_other_village_confirms(clients, demo_db, story):
    house, person, source, _village_b, member = story
    a, b = clients("collector"), clients("collector_b")
    r = a.post(f"/api/buildings/{house.id}/submission",
               json=_submission(house, member, moves=[person.id_number]), headers=clients.csrf("collector"))  # fmt: skip
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["pending_moves"] == 1
    with demo_db.session() as s:
        stays = s.get(Person, person.id)
        assert (stays.building_id, stays.household_id, stays.name) == (
            source.id,
            person.household_id,
            person.name,
        )
        move = s.scalar(select(PersonMove).where(PersonMove.person_id == person.id))
        assert (move.status, move.from_building_id, move.to_building_id) == ("pending", source.id, house.id)
        assert s.get(Household, move.to_household_id).building_id == house.id
    expected = sorted([("building", str(source.id)), ("building", str(house.id)), ("person", str(person.id))])
    assert _events(demo_db, "person.move_request") == expected

    # Both houses show the pending move; the asking side does not learn where the person lives.
    mine = a.get(f"/api/buildings/{house.id}").get_json()["pending_moves"]
    assert len(mine) == 1 and mine[0]["from_address"] is None and mine[0]["name"] is None
    assert mine[0]["may_decide"] is False and source.address not in str(mine)
    theirs = b.get(f"/api/buildings/{source.id}").get_json()["pending_moves"]
    assert theirs[0]["name"] == person.name and theirs[0]["to_address"] == house.address
    assert theirs[0]["may_decide"] is True
    listed = b.get("/api/moves").get_json()["items"]
    assert [m["id"] for m in listed] == [move.id]

    # The asking collector cannot confirm their own request; village B's collector can.
    refused = a.post(f"/api/moves/{move.id}/decision", json={"action": "confirm"},
                     headers=clients.csrf("collector"))  # fmt: skip
    assert refused.status_code == 403
    ok = b.post(
        f"/api/moves/{move.id}/decision", json={"action": "confirm"}, headers=clients.csrf("collector_b")
    )
    assert ok.status_code == 200 and ok.get_json()["status"] == "confirmed"
    with demo_db.session() as s:
        moved = s.get(Person, person.id)
        assert moved.building_id == house.id and moved.relation == "户主"
        assert s.get(Household, moved.household_id).building_id == house.id
        assert (
            s.scalar(select(func.count()).select_from(Person).where(Person.id_number == person.id_number))
            == 1
        )
        if person.household_id is not None:  # left behind alone: the household goes too
            others = s.scalar(select(func.count()).where(Person.household_id == person.household_id))
            assert others > 0 or s.get(Household, person.household_id) is None
    assert _events(demo_db, "person.move_confirm") == expected
    again = b.post(
        f"/api/moves/{move.id}/decision", json={"action": "confirm"}, headers=clients.csrf("collector_b")
    )
    assert again.status_code == 409


def test_a_rejected_move_leaves_the_person_where_they_are(clients, demo_db, story):
    house, person, source, _village_b, member = story
    a = clients("collector")
    a.post(f"/api/buildings/{house.id}/submission", json=_submission(house, member, moves=[person.id_number]),
           headers=clients.csrf("collector"))  # fmt: skip
    with demo_db.session() as s:
        move = s.scalar(select(PersonMove).where(PersonMove.person_id == person.id))
    officer = clients("officer")
    no_reason = officer.post(f"/api/moves/{move.id}/decision", json={"action": "reject"},
                             headers=clients.csrf("officer"))  # fmt: skip
    assert no_reason.status_code == 400 and no_reason.get_json()["field"] == "reason"
    r = officer.post(f"/api/moves/{move.id}/decision", json={"action": "reject", "reason": "查无此人"},
                     headers=clients.csrf("officer"))  # fmt: skip
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    with demo_db.session() as s:
        assert s.get(Person, person.id).building_id == source.id
        assert s.get(PersonMove, move.id).reason == "查无此人"
    assert len(_events(demo_db, "person.move_reject")) == 3
    assert a.get(f"/api/buildings/{house.id}").get_json()["pending_moves"] == []


def test_a_collector_of_a_third_village_sees_no_move(clients, demo_db, story):
    house, person, _source, _village_b, member = story
    clients("collector").post(f"/api/buildings/{house.id}/submission",
                              json=_submission(house, member, moves=[person.id_number]),
                              headers=clients.csrf("collector"))  # fmt: skip
    with demo_db.session() as s:
        move_id = s.scalar(select(PersonMove.id).where(PersonMove.person_id == person.id))
        third = s.scalar(
            select(Village.id).where(Village.id.not_in([clients.village_a, clients.village_b])).limit(1)
        )
    from tests.conftest import add_user

    add_user(demo_db, "collector_c", "collector", village_id=third)
    client = clients.app.test_client()
    assert login(client, "collector_c").status_code == 302
    assert client.get("/api/moves").get_json()["items"] == []
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/account/password").text).group(1)
    r = client.post(
        f"/api/moves/{move_id}/decision", json={"action": "confirm"}, headers={"X-CSRFToken": token}
    )
    assert r.status_code == 404
