"""Each house's people and households are counted by the database, whatever writes them
(both backends)."""

from __future__ import annotations

import shapely
from sqlalchemy import delete, insert, select, text, update

from geoapp.store import house_counts
from geoapp.store.models import Building, Household, Person, Village


def _houses(db) -> tuple[int, int]:
    with db.write() as s:
        village = Village(code="439901101201", name="上新村")
        village.set_geometry(shapely.box(113.0, 27.0, 113.1, 27.1))
        s.add(village)
        s.flush()
        houses = []
        for n in (1, 2):
            b = Building(village_id=village.id, address=f"上新村{n}号")
            b.set_geometry(shapely.Point(113.01 * n, 27.01))
            s.add(b)
            houses.append(b)
        s.flush()
        return houses[0].id, houses[1].id


def counts(db, house: int) -> tuple[int, int]:
    with db.session() as s:
        return s.execute(
            select(Building.people_count, Building.households_count).where(Building.id == house)
        ).one()


def test_inserts_deletes_and_moves_are_counted(db):
    a, b = _houses(db)
    with db.write() as s:  # through the ORM
        household = Household(building_id=a)
        s.add(household)
        s.flush()
        s.add_all([Person(building_id=a, household_id=household.id, name=f"甲{n}") for n in range(3)])
    with db.write() as s:  # and through bulk SQL
        s.execute(insert(Person), [{"building_id": b, "name": "乙"}, {"building_id": b, "name": "丙"}])
        s.execute(insert(Household), [{"building_id": b}])
    assert counts(db, a) == (3, 1) and counts(db, b) == (2, 1)
    with db.write() as s:  # a person moves; a household moves; someone is removed
        moved = s.scalar(select(Person.id).where(Person.building_id == a).limit(1))
        s.execute(update(Person).where(Person.id == moved).values(building_id=b, household_id=None))
        s.execute(update(Person).where(Person.building_id == b).values(name="改名"))  # not a move
        s.execute(update(Household).where(Household.building_id == b).values(building_id=a))
        s.execute(delete(Person).where(Person.name == "改名", Person.id != moved))
    assert counts(db, a) == (2, 2) and counts(db, b) == (1, 0)


def test_a_house_changed_by_the_orm_keeps_its_counts(db):
    """The ORM writes only the columns it changed: a loaded house flushed after people were
    added does not put back its old count."""
    a, _ = _houses(db)
    with db.write() as s:
        house = s.get(Building, a)
        s.add(Person(building_id=a, name="丁"))
        s.flush()
        house.status = "collected"
    assert counts(db, a) == (1, 0)


def test_recount_agrees_with_the_triggers(db):
    a, b = _houses(db)
    with db.write() as s:
        s.execute(insert(Person), [{"building_id": house, "name": "戊"} for house in (a, a, b)])
        for statement in house_counts.recount_sql():
            s.execute(text(statement))
    assert counts(db, a) == (2, 0) and counts(db, b) == (1, 0)
