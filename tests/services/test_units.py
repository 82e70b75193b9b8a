"""The units register service on both backends: listing with counts, registering, editing
with versions, staff linked to people, placing a unit; every write audited."""

import pytest
from sqlalchemy import func, select

from geoapp.domain.errors import Conflict, Forbidden, InvalidInput
from geoapp.domain.roles import Role, Scope
from geoapp.domain.units import PlaceIn, UnitFilter, UnitIn, UnitPatchIn
from geoapp.domain.validators import FormErrors
from geoapp.services.campaign import units
from geoapp.store.models import AuditEvent, Building, Person, Unit, Village

OFFICER = Scope(1, "officer", Role.OFFICER)
LEADER = Scope(2, "leader", Role.LEADER)


def test_list_counts_and_filters(demo_db):
    with demo_db.session() as s:
        every = units.list_units(s, OFFICER, UnitFilter(), per_page=10)
        assert every.total == 400 and len(every.items) == 10
        assert every.counts["kind"] == {"shop": 280, "enterprise": 120, "office": 0, "other": 0}
        assert sum(every.counts["status"].values()) == 400 and every.counts["no_staff"] == 400
        returned = units.list_units(s, OFFICER, UnitFilter(status="collected", kind="shop"))
        assert returned.total == returned.counts["status"]["collected"] > 0
        assert all(i["status"] == "collected" and i["kind"] == "shop" for i in returned.items)
        village = s.scalar(select(Village.id).join(Building, Building.village_id == Village.id)
                           .join(Unit, Unit.building_id == Building.id).limit(1))  # fmt: skip
        in_village = units.list_units(s, OFFICER, UnitFilter(village_id=village))
        assert 0 < in_village.total < 400
        rows = units.register_rows(s, OFFICER, UnitFilter(kind="shop"))
        assert len(rows) == 280 and "*" not in rows[0]["phone"]  # the export masks them itself
        assert units.list_units(s, OFFICER, UnitFilter()).items[0]["phone"].count("*") == 4


def test_register_edit_and_version_conflict(demo_db):
    with demo_db.write() as s:
        answer = units.create_unit(s, OFFICER, UnitIn(name="余坪测试商店", kind="factory", staff=3))
    assert answer["building_id"] is None and answer["status"] == "collected"
    with demo_db.write() as s:
        changed = units.update_unit(
            s, OFFICER, answer["id"], UnitPatchIn(version=answer["version"], legal_rep="王五")
        )
    assert changed["changed"] == ["legal_rep"] and changed["version"] == answer["version"] + 1
    with pytest.raises(Conflict), demo_db.write() as s:
        units.update_unit(s, OFFICER, answer["id"], UnitPatchIn(version=answer["version"], legal_rep="赵六"))
    with pytest.raises(FormErrors) as err, demo_db.write() as s:
        units.update_unit(
            s, OFFICER, answer["id"], UnitPatchIn(version=changed["version"], uscc="123", kind="bakery")
        )
    assert {path for path, _ in err.value.errors} == {"uscc", "kind"}
    with pytest.raises(Forbidden), demo_db.write() as s:
        units.create_unit(s, LEADER, UnitIn(name="x"))
    with demo_db.session() as s:
        unit = s.get(Unit, answer["id"])
        assert (unit.kind, unit.legal_rep, unit.staff) == ("enterprise", "王五", 3)
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "unit",
                                                            AuditEvent.object_id == str(unit.id)))  # fmt: skip
        assert sorted(actions) == ["unit.create", "unit.update"]


def test_a_verified_unit_changed_awaits_verification_again(demo_db):
    with demo_db.session() as s:
        unit = s.scalar(select(Unit).where(Unit.status == "verified").limit(1))
    with demo_db.write() as s:
        answer = units.update_unit(s, OFFICER, unit.id, UnitPatchIn(version=unit.version, staff=12))
    assert answer["status"] == "collected" and "status" in answer["changed"]


def test_place_into_a_building_or_at_a_point(demo_db):
    with demo_db.write() as s:
        unit = units.create_unit(s, OFFICER, UnitIn(name="流动摊点", kind="other"))
    with demo_db.session() as s:
        house = s.execute(
            select(Building.id, Building.lon, Building.lat).where(Building.use == "shop").limit(1)
        ).one()
        before = s.scalar(select(func.count(Building.id)))
    with demo_db.write() as s:
        placed = units.place_unit(s, OFFICER, unit["id"], PlaceIn(version=unit["version"], building=house.id))
    assert placed["building_id"] == house.id and placed["created_building"] is False
    with demo_db.write() as s:
        moved = units.place_unit(
            s, OFFICER, unit["id"], PlaceIn(version=placed["version"], lon=house.lon + 2e-4, lat=house.lat)
        )
    assert moved["created_building"] is True
    with demo_db.session() as s:
        assert s.scalar(select(func.count(Building.id))) == before + 1
        new = s.get(Building, moved["building_id"])
        assert (
            new.use == "other" and new.village_id is not None and new.lon == pytest.approx(house.lon + 2e-4)
        )
    with pytest.raises(InvalidInput), demo_db.write() as s:
        units.place_unit(s, OFFICER, unit["id"], PlaceIn(version=moved["version"]))


def test_staff_link_and_unlink(demo_db):
    with demo_db.session() as s:
        unit = s.scalar(select(Unit).order_by(Unit.id).limit(1))
        people = s.scalars(select(Person.id).order_by(Person.id).limit(4)).all()
    with demo_db.write() as s:
        first = units.update_unit(
            s, OFFICER, unit.id, UnitPatchIn(version=unit.version, staff_ids=people[:3])
        )
    with demo_db.write() as s:
        second = units.update_unit(
            s, OFFICER, unit.id, UnitPatchIn(version=first["version"], staff_ids=people[1:])
        )
    assert second["changed"] == ["staff_ids"] and second["version"] == first["version"] + 1
    with demo_db.session() as s:
        linked = s.scalars(
            select(Person.id).where(Person.employer_unit_id == unit.id).order_by(Person.id)
        ).all()
        assert linked == people[1:]
        detail = units.unit_detail(s, OFFICER, unit.id)
        assert detail["staff_registered"] == 3 and detail["people_count"] == 3
        assert units.unit_detail(s, LEADER, unit.id)["staff_people"] == []


def test_staff_outside_a_collectors_village_are_counted_not_named(demo_db):
    with demo_db.session() as s:
        unit, village = s.execute(
            select(Unit, Building.village_id).join(Building, Building.id == Unit.building_id).limit(1)
        ).one()
        outsider = s.scalar(
            select(Person.id).join(Building, Building.id == Person.building_id)
            .where(Building.village_id != village).limit(1)
        )  # fmt: skip
    with demo_db.write() as s:
        units.update_unit(s, OFFICER, unit.id, UnitPatchIn(version=unit.version, staff_ids=[outsider]))
    collector = Scope(3, "collector", Role.COLLECTOR, village_id=village)
    with demo_db.session() as s:
        detail = units.unit_detail(s, collector, unit.id)
    assert detail["staff_registered"] == 1 and detail["staff_people"] == [] and detail["people_count"] == 0
