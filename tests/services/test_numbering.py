"""Numbering a street's houses (preview, confirm, clashes) and the unique standard address,
on both backends."""

from __future__ import annotations

import json

import orjson
import pytest
from sqlalchemy import func, insert, select, update

from geoapp.domain.errors import Conflict, Forbidden, InvalidInput
from geoapp.domain.requests import BuildingPatchIn
from geoapp.domain.roles import Role, Scope
from geoapp.services.addresses.numbering import apply_numbering, plan_numbering
from geoapp.services.campaign.buildings import update_building
from geoapp.store.models import AuditEvent, Building, Street
from tests.services.addresses_town import build_town

ADMIN = Scope(1, "admin", Role.ADMIN)
OFFICER = Scope(2, "officer", Role.OFFICER)

# 新街 runs east: north (y > 0) is its left side (odd numbers), south its right side (even).
HOUSES = [
    ("n1", "新街", -150, 15, "1号"),
    ("n2", "新街", -100, 14, None),
    ("n3", "新街", 40, 16, None),
    ("s1", "新街", -160, -15, "2号"),
    ("s2", "新街", 120, -15, None),
    ("s3", "新街", -20, -18, None),
    ("r1", "人民路", 315, 0, "1号"),
    # Fronts 人民路 but its address is on 新街: 新街 already has number 5.
    ("odd", "人民路", 320, 60, "5号", "余坪镇上新村新街5号"),
]


@pytest.fixture
def town(db):
    return build_town(db, HOUSES)


def state(db):
    with db.session() as s:
        rows = s.execute(select(Building.id, Building.door_no, Building.address, Building.version)).all()
        return sorted(map(tuple, rows)), s.scalar(select(func.count()).select_from(AuditEvent))


def test_the_preview_orders_each_side_continues_its_numbers_and_changes_nothing(db, town):
    before = state(db)
    with db.session() as s:
        plan = plan_numbering(s, town.streets["新街"])
    h = town.houses
    assert [r.building_id for r in plan.rows] == [h["s1"], h["n1"], h["n2"], h["s3"], h["n3"], h["s2"]]
    got = {r.building_id: (r.side, r.new_door, r.new_address) for r in plan.changes}
    assert got == {
        h["n2"]: ("left", "7号", "余坪镇上新村新街7号"),  # after 1 and the 5 of a house on 人民路
        h["n3"]: ("left", "9号", "余坪镇上新村新街9号"),
        h["s3"]: ("right", "4号", "余坪镇上新村新街4号"),
        h["s2"]: ("right", "6号", "余坪镇上新村新街6号"),
    }
    assert (plan.start_odd, plan.start_even, plan.clashes) == (7, 4, [])
    assert plan.side_range("left") == ("7号", "9号")
    assert state(db) == before


def test_confirming_stores_the_previewed_run_and_audits_each_house(db, town):
    street = town.streets["新街"]
    with db.session() as s:
        plan = plan_numbering(s, street)
    with db.write() as s:
        result = apply_numbering(s, ADMIN, street, fingerprint=plan.fingerprint)
    assert (result.count, result.odd, result.even) == (4, ("7号", "9号"), ("4号", "6号"))
    with db.session() as s:
        n2 = s.get(Building, town.houses["n2"])
        assert (n2.door_no, n2.address, n2.version) == ("7号", "余坪镇上新村新街7号", 2)
        events = s.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.changes, AuditEvent.actor)
            .order_by(AuditEvent.id)
        ).all()  # fmt: skip
        assert s.scalar(select(func.count()).where(Building.door_no.is_(None))) == 0
    assert [e.action for e in events] == ["address.number"] * 4 + ["street.number"]
    first = next(e for e in events if e.object_id == str(town.houses["n2"]))
    assert json.loads(first.changes) == {
        "door_no": [None, "7号"],
        "address": ["余坪镇上新村新街（未编门牌）", "余坪镇上新村新街7号"],
    }
    assert events[-1].actor == "admin" and orjson.loads(events[-1].changes)["numbered"] == 4
    with db.session() as s:  # numbered: nothing left to do, and it says so
        assert plan_numbering(s, street).changes == []
    with pytest.raises(InvalidInput) as nothing, db.write() as s:
        apply_numbering(s, ADMIN, street, fingerprint=plan.fingerprint)
    assert "新街" in nothing.value.render()


def test_a_run_repeating_a_number_is_refused_naming_the_clash(db, town):
    street = town.streets["新街"]
    before = state(db)
    with db.session() as s:
        plan = plan_numbering(s, street, start_odd=3)
    assert [(r.new_door, r.clash_with) for r in plan.clashes] == [("5号", town.houses["odd"])]
    with pytest.raises(Conflict) as refused, db.write() as s:
        apply_numbering(s, ADMIN, street, fingerprint=plan.fingerprint, start_odd=3)
    message = refused.value.render()
    assert "5号" in message and "新街" in message and str(town.houses["odd"]) in message
    assert "余坪镇上新村新街5号" in message
    assert state(db) == before


def test_chosen_first_numbers_are_used(db, town):
    street = town.streets["新街"]
    with db.session() as s:
        plan = plan_numbering(s, street, start_odd=101, start_even=200)
    assert sorted(r.new_door for r in plan.changes) == ["101号", "103号", "200号", "202号"]
    with db.write() as s:
        apply_numbering(s, ADMIN, street, fingerprint=plan.fingerprint, start_odd=101, start_even=200)
    with db.session() as s:
        assert s.get(Building, town.houses["s2"]).address == "余坪镇上新村新街202号"


def test_a_stale_preview_is_refused(db, town):
    street = town.streets["新街"]
    with db.session() as s:
        plan = plan_numbering(s, street)
    with db.write() as s:  # meanwhile someone numbers one of the houses
        s.execute(update(Building).where(Building.id == town.houses["n2"]).values(door_no="11号"))
    before = state(db)
    with pytest.raises(Conflict) as stale, db.write() as s:
        apply_numbering(s, ADMIN, street, fingerprint=plan.fingerprint)
    assert "preview" in stale.value.render()
    assert state(db) == before


def test_only_administrators_number_and_unknown_streets_are_not_found(db, town):
    with db.session() as s:
        plan = plan_numbering(s, town.streets["新街"])
    with pytest.raises(Forbidden), db.write() as s:
        apply_numbering(s, OFFICER, town.streets["新街"], fingerprint=plan.fingerprint)
    with db.session() as s, pytest.raises(Exception) as missing:
        plan_numbering(s, 999_999)
    assert missing.value.http_status == 404


def test_the_database_refuses_a_second_house_with_one_address(db, town):
    """Whoever writes (an import, a script): the unique index answers with the domain's Conflict."""
    with pytest.raises(Conflict) as twice, db.write() as s:
        s.execute(
            update(Building).where(Building.id == town.houses["s1"]).values(address="余坪镇上新村新街1号")
        )
    assert "余坪镇上新村新街1号" in twice.value.render()
    with db.session() as s:
        template = s.get(Building, town.houses["n1"])
        row = {c: getattr(template, c) for c in ("village_id", "street_id", "geom", "minx", "miny", "maxx",
                                                 "maxy", "lon", "lat", "use", "status")}  # fmt: skip
    rows = [row | {"door_no": "31号", "address": "余坪镇上新村新街31号"}] * 2  # repeated within one insert
    with pytest.raises(Conflict) as batch, db.write() as s:
        s.execute(insert(Building.__table__), [r | {"version": 1} for r in rows])
    assert "余坪镇上新村新街31号" in batch.value.render()
    # Houses without a door number may share their street's "not yet numbered" address.
    with db.write() as s:
        s.execute(insert(Building.__table__), [row | {"version": 1, "door_no": None, "address": "余坪镇上新村新街（未编门牌）"}])  # fmt: skip


def test_editing_a_door_number_moves_the_address_and_refuses_a_taken_one(db, town):
    with db.session() as s:
        version = s.get(Building, town.houses["s1"]).version
    with db.write() as s:
        answer = update_building(
            s, OFFICER, town.houses["s1"], BuildingPatchIn(version=version, door_no="12")
        )
    assert "address" in answer["changed"]
    with db.session() as s:
        s1 = s.get(Building, town.houses["s1"])
        assert (s1.door_no, s1.address) == ("12", "余坪镇上新村新街12号")
    before = state(db)
    with pytest.raises(Conflict) as taken, db.write() as s:
        update_building(s, OFFICER, town.houses["s1"], BuildingPatchIn(version=s1.version, door_no="1号"))
    assert "余坪镇上新村新街1号" in taken.value.render() and str(town.houses["n1"]) in taken.value.render()
    assert state(db) == before


def test_the_demo_town_has_one_address_per_house_and_numbers_a_street(demo_db):
    with demo_db.session() as s:
        houses, addresses = s.execute(select(func.count(), func.count(func.distinct(Building.address)))).one()
        street = s.scalar(select(Street.id).where(Street.name == "老街"))
        ids = s.scalars(select(Building.id).where(Building.street_id == street).order_by(Building.id)).all()
    assert houses == addresses == 10_831
    with demo_db.write() as s:  # three houses lose their numbers (as new imports arrive without)
        s.execute(update(Building).where(Building.id.in_(ids[:3])).values(door_no=None, address="余坪镇余坪村老街（未编门牌）"))  # fmt: skip
    with demo_db.session() as s:
        plan = plan_numbering(s, street)
    assert sorted(r.building_id for r in plan.changes) == ids[:3] and plan.clashes == []
    with demo_db.write() as s:
        apply_numbering(s, ADMIN, street, fingerprint=plan.fingerprint)
    with demo_db.session() as s:
        assert s.scalar(select(func.count(func.distinct(Building.address)))) == 10_831


def test_an_import_repeating_an_address_is_refused_and_stores_nothing(db, town, tmp_path):
    from geoapp.services.gis_io.importer import import_layer
    from tests.services.addresses_town import lonlat

    def feature(x, door, address):
        point = lonlat(__import__("shapely").Point(x, 40))
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                "properties": {"门牌号": door, "标准地址": address}}  # fmt: skip

    path = tmp_path / "buildings.geojson"
    for features, clash in (
        (
            [feature(0, "40号", "余坪镇上新村新街40号"), feature(30, "40号", "余坪镇上新村新街40号")],
            "新街40号",
        ),
        ([feature(0, "1号", "余坪镇上新村新街1号")], "新街1号"),  # already a stored house's
    ):
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
        before = state(db)
        with pytest.raises(Conflict) as refused:
            import_layer(db, "buildings", path)
        assert clash in refused.value.render()
        assert state(db) == before
