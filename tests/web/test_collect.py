"""Submitting a house through the API: proof, idempotency, conflicts, moves, bad input."""

from __future__ import annotations

import uuid
from datetime import date

import orjson
import pytest
from sqlalchemy import func, select

from geoapp.domain.identifiers import make_resident_id
from geoapp.store.models import AuditEvent, Building, Household, Person, PersonMove, Street, Visit

ONE_METRE_LAT = 1 / 111_320


def _house(demo_db, clients, status="uncollected"):
    with demo_db.session() as s:
        return s.scalar(
            select(Building)
            .where(
                Building.village_id == clients.village_a,
                Building.status == status,
                Building.street_id.is_not(None),
            )
            .order_by(Building.id)
            .limit(1)
        )


def _member(n: int, relation="子女", **extra):
    number = make_resident_id("430101", date(1985, 1, 1 + n), 20 + 2 * n)
    return {
        "name": f"王{n}",
        "id_number": number,
        "relation": relation,
        "residence_type": "registered",
        **extra,
    }


def _payload(house, members, **extra):
    return {
        "client_id": uuid.uuid4().hex,
        "version": house.version,
        "building": {"use": "dwelling", "floors": 2},
        "households": [{"members": members}],
        "visit": {
            "lat": house.lat + 20 * ONE_METRE_LAT,
            "lon": house.lon,
            "accuracy": 8,
            "time": "2016-05-02T09:00:00Z",
        },
        **extra,
    }


def _counts(demo_db):
    with demo_db.session() as s:
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m))
            for m in (Person, Household, Visit, AuditEvent)
        }


@pytest.fixture
def collector(clients):
    client = clients("collector")
    return client, clients.csrf("collector")


def test_a_house_with_six_people_is_collected_with_its_proof(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    members = [_member(0, "户主")] + [_member(i) for i in range(1, 6)]
    r = client.post(f"/api/buildings/{house.id}/submission", json=_payload(house, members), headers=headers)
    assert r.status_code == 201, r.get_json()
    answer = r.get_json()
    assert answer["status"] == "collected" and answer["people"] == 6 and answer["visit_flag"] is None
    assert 0 <= answer["distance_m"] <= 20.5  # 20 m north of its anchor; 0 inside a footprint
    with demo_db.session() as s:
        b = s.get(Building, house.id)
        assert b.status == "collected" and b.version == house.version + 1
        people = s.scalars(select(Person).where(Person.building_id == house.id)).all()
        assert len(people) == 6 and {p.sex for p in people} <= {"male", "female"}
        visit = s.scalar(select(Visit).where(Visit.building_id == house.id))
        assert visit.accuracy_m == 8 and visit.user_id == clients.users["collector"]
        event = s.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "house.submit", AuditEvent.object_id == str(house.id)
            )
        )
        changes = orjson.loads(event.changes)
        assert changes["status"] == ["uncollected", "collected"] and len(changes["created"]) == 6
        assert all("*" in c["id_number"] for c in changes["created"])


def test_a_retried_submission_is_stored_once(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    payload = _payload(house, [_member(0, "户主")])
    first = client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    before = _counts(demo_db)
    again = client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == {**first.get_json(), "replayed": True}
    assert _counts(demo_db) == before


def test_two_collectors_editing_one_house_get_a_conflict(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    officer = clients("officer")
    ok = officer.post(
        f"/api/buildings/{house.id}/submission",
        json=_payload(house, [_member(0, "户主")]),
        headers=clients.csrf("officer"),
    )
    assert ok.status_code == 201
    stale = client.post(
        f"/api/buildings/{house.id}/submission", json=_payload(house, [_member(1, "户主")]), headers=headers
    )
    assert stale.status_code == 409
    with demo_db.session() as s:
        names = s.scalars(select(Person.name).where(Person.building_id == house.id)).all()
    assert names == ["王0"]


@pytest.mark.parametrize(
    "visit, flag",
    [
        (None, "no_position"),
        ({"lat": 0.0, "lon": 0.0, "accuracy": 5}, "far"),
        ("far", "far"),
        ("vague", "vague"),
    ],
)
def test_submissions_far_away_or_without_a_position_are_flagged(clients, demo_db, collector, visit, flag):
    client, headers = collector
    house = _house(demo_db, clients)
    payload = _payload(house, [_member(0, "户主")])
    if visit == "far":
        payload["visit"] = {"lat": house.lat + 150 * ONE_METRE_LAT, "lon": house.lon, "accuracy": 5}
    elif visit == "vague":
        payload["visit"]["accuracy"] = 500
    else:
        payload["visit"] = visit
    answer = client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers).get_json()
    assert answer["visit_flag"] == flag
    progress = client.get("/api/progress").get_json()
    assert progress["houses"]["flagged"] >= 1
    detail = clients("officer").get(f"/api/buildings/{house.id}").get_json()
    assert detail["visit_flag"] == flag and detail["status"] == "collected"  # never verified by submitting


def test_an_empty_house_is_a_result(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    payload = _payload(house, [])
    payload["households"] = []
    payload["empty"] = True
    r = client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    assert r.status_code == 201 and r.get_json()["empty"] is True
    with demo_db.session() as s:
        assert s.get(Building, house.id).use == "empty" and s.get(Building, house.id).status == "collected"
    nothing = _payload(house, [])
    nothing["households"], nothing["version"] = [], house.version + 1
    r = client.post(f"/api/buildings/{house.id}/submission", json=nothing, headers=headers)
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "households"


def test_the_same_person_cannot_live_in_two_places_but_can_be_moved(clients, demo_db, collector):
    """Inside the collector's village the move is made at once, recorded on both houses and the person."""
    client, headers = collector
    house = _house(demo_db, clients)
    with demo_db.session() as s:
        elsewhere = s.scalar(
            select(Person).join(Building, Building.id == Person.building_id)
            .where(Person.id_type == "resident_id", Building.village_id == clients.village_a,
                   Building.id != house.id, Building.status == "collected")
            .order_by(Person.id).limit(1)
        )  # fmt: skip
        old_house = s.get(Building, elsewhere.building_id)
        old_household = elsewhere.household_id
        alone = s.scalar(select(func.count()).where(Person.household_id == old_household)) == 1
    member = _member(0, "户主", id_number=elsewhere.id_number, name=elsewhere.name)
    refused = client.post(
        f"/api/buildings/{house.id}/submission", json=_payload(house, [member]), headers=headers
    )
    assert refused.status_code == 400
    error = refused.get_json()["errors"][0]
    assert error["field"] == "households[0].members[0].id_number" and old_house.address in error["message"]
    assert error["move"] == "direct" and "person_id" not in error
    moved = client.post(
        f"/api/buildings/{house.id}/submission",
        json=_payload(house, [member], moves=[elsewhere.id_number]),
        headers=headers,
    )
    assert moved.status_code == 201, moved.get_json()
    with demo_db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Person).where(Person.id_number == elsewhere.id_number))
            == 1
        )
        person = s.get(Person, elsewhere.id)
        assert person.building_id == house.id
        move = s.scalar(select(PersonMove).where(PersonMove.person_id == elsewhere.id))
        assert (move.from_building_id, move.to_building_id, move.status) == (old_house.id, house.id, "done")
        # The old house has a new version (an editor holding the old one gets a conflict), and no
        # household left without members.
        assert s.get(Building, old_house.id).version > old_house.version
        if alone:
            assert s.get(Household, old_household) is None
        events = s.execute(
            select(AuditEvent.object_type, AuditEvent.object_id).where(AuditEvent.action == "person.move")
        ).all()
        assert set(events) == {("building", str(old_house.id)), ("building", str(house.id)),
                               ("person", str(elsewhere.id))}  # fmt: skip


BAD_INPUTS = [
    (
        "wrong check digit",
        {"id_number": make_resident_id("430101", date(1985, 1, 1), 20)[:-1] + "0"},
        "id_number",
    ),
    ("impossible date", {"id_number": "43010119990230123X"}, "id_number"),
    ("future birth", {"id_number": make_resident_id("430101", date(2030, 1, 1), 11)}, "id_number"),
    ("17 characters", {"id_number": "43010119850101020"}, "id_number"),
    ("phone with letters", {"phone": "1381234abcd"}, "phone"),
    ("10,000-character name", {"name": "名" * 10_000}, "name"),
    ("no head of household", {"relation": "子女"}, "members"),
]


@pytest.mark.parametrize("label, change, field", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_names_the_field_and_stores_nothing(clients, demo_db, collector, label, change, field):
    client, headers = collector
    house = _house(demo_db, clients)
    before = _counts(demo_db)
    member = {**_member(0, "户主"), **change}
    r = client.post(
        f"/api/buildings/{house.id}/submission", json=_payload(house, [member, _member(1)]), headers=headers
    )
    assert r.status_code == 400
    errors = r.get_json()["errors"]
    assert any(e["field"].endswith(field) for e in errors), errors
    assert all(e["message"] for e in errors)
    assert _counts(demo_db) == before
    with demo_db.session() as s:
        assert s.get(Building, house.id).status == "uncollected"


def test_lowercase_x_and_fullwidth_digits_are_converted(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    number = make_resident_id("110105", date(1949, 12, 31), 2)
    typed = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " x"
    r = client.post(
        f"/api/buildings/{house.id}/submission",
        json=_payload(house, [_member(0, "户主", id_number=typed)]),
        headers=headers,
    )
    assert r.status_code == 201
    with demo_db.session() as s:
        assert s.scalar(select(Person.id_number).where(Person.building_id == house.id)) == number


def test_messages_are_chinese_and_name_the_field(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    bad = {**_member(0, "户主"), "phone": "12"}
    r = client.post(f"/api/buildings/{house.id}/submission", json=_payload(house, [bad]), headers=headers)
    message = r.get_json()["errors"][0]["message"]
    assert message.startswith("电话") and "11" in message


def test_a_submission_for_another_village_is_refused(clients, demo_db, collector):
    client, headers = collector
    with demo_db.session() as s:
        other = s.scalar(select(Building).where(Building.village_id == clients.village_b).limit(1))
    r = client.post(
        f"/api/buildings/{other.id}/submission", json=_payload(other, [_member(0, "户主")]), headers=headers
    )
    assert r.status_code == 404


def test_returned_records_come_back_with_their_reason_and_can_be_fixed(clients, demo_db, collector):
    client, headers = collector
    returned = client.get("/api/returned").get_json()["items"]
    assert returned and all(item["reason"] for item in returned)
    with demo_db.session() as s:
        house = s.get(Building, returned[0]["id"])
        assert house.village_id == clients.village_a
    r = client.post(
        f"/api/buildings/{house.id}/submission", json=_payload(house, [_member(3, "户主")]), headers=headers
    )
    assert r.status_code == 201
    with demo_db.session() as s:
        fixed = s.get(Building, house.id)
        assert fixed.status == "collected" and fixed.return_reason is None


def test_streets_count_what_is_left_and_the_count_drops(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)

    def left():
        streets = orjson.loads(client.get("/api/streets.geojson").data)["features"]
        return next(f["properties"]["left"] for f in streets if f["id"] == house.street_id)

    before = left()
    with demo_db.session() as s:
        expected = s.scalar(
            select(func.count()).select_from(Building).where(
                Building.street_id == house.street_id, Building.status == "uncollected",
                Building.village_id == clients.village_a,
            )
        )  # fmt: skip
        assert s.get(Street, house.street_id) is not None
    assert before == expected > 0
    client.post(
        f"/api/buildings/{house.id}/submission", json=_payload(house, [_member(0, "户主")]), headers=headers
    )
    assert left() == before - 1


def test_next_houses_are_ordered_by_walking_distance_with_a_tour(clients, demo_db, collector):
    client, _ = collector
    house = _house(demo_db, clients)
    answer = client.get(f"/api/next?lon={house.lon}&lat={house.lat}&limit=8").get_json()
    distances = [i["distance_m"] for i in answer["items"]]
    assert distances == sorted(distances) and len(distances) == 8
    assert answer["items"][0]["id"] == house.id and distances[0] < 1
    assert sorted(answer["tour"]["order"]) == sorted(i["id"] for i in answer["items"])
    assert answer["tour"]["length_m"] <= answer["tour"]["naive_length_m"]
    with demo_db.session() as s:
        villages = set(
            s.scalars(select(Building.village_id).where(Building.id.in_([i["id"] for i in answer["items"]])))
        )
    assert villages == {clients.village_a}
    street = client.get(f"/api/next?lon={house.lon}&lat={house.lat}&street={house.street_id}").get_json()
    assert street["tour"]["order"] and street["tour"]["length_m"] <= street["tour"]["naive_length_m"]


def test_a_person_can_work_for_a_registered_unit(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    worker = _member(0, "户主", employer_unit_id=clients.unit_id)
    r = client.post(f"/api/buildings/{house.id}/submission", json=_payload(house, [worker]), headers=headers)
    assert r.status_code == 201
    with demo_db.session() as s:
        assert (
            s.scalar(select(Person.employer_unit_id).where(Person.building_id == house.id)) == clients.unit_id
        )
    nobody = _member(1, "户主", employer_unit_id=999_999)
    payload = _payload(house, [nobody])
    payload["version"] = house.version + 1
    r = client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    assert r.status_code == 400
    assert r.get_json()["errors"][0]["field"] == "households[0].members[0].employer_unit_id"


def test_officers_popups_link_to_the_record_history(clients):
    officer_page = clients("officer").get("/").get_data(as_text=True)
    collector_page = clients("collector").get("/").get_data(as_text=True)
    assert '"historyUrl": "/audit"' in officer_page
    assert '"historyUrl": null' in collector_page


def test_a_submission_cannot_set_status_village_or_author(clients, demo_db, collector):
    client, headers = collector
    house = _house(demo_db, clients)
    payload = _payload(house, [_member(0, "户主")], status="verified", user_id=clients.users["officer"])
    payload["building"].update(status="verified", village_id=clients.village_b, verified_at="2016-05-01")
    r = client.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    assert r.status_code == 201, r.get_json()
    with demo_db.session() as s:
        b = s.get(Building, house.id)
        visit = s.scalar(select(Visit).where(Visit.building_id == house.id))
        assert (b.status, b.village_id, b.verified_at) == ("collected", house.village_id, None)
        assert visit.user_id == clients.users["collector"]
