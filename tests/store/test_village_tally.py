"""Each village's houses grouped by state are kept by the database, whatever writes them
(both backends): after every kind of write the tally equals the houses grouped afresh."""

from __future__ import annotations

from datetime import datetime

import shapely
from sqlalchemy import delete, insert, select, text, update

from geoapp.store import village_tally
from geoapp.store.models import Building, Household, Person, TallyDeadline, Village, VillageTally

KEY_AND_SUMS = village_tally.KEY + village_tally.SUMS


def tally(s) -> set[tuple]:
    columns = [getattr(VillageTally, c) for c in KEY_AND_SUMS]
    return {tuple(r) for r in s.execute(select(*columns).where(VillageTally.houses != 0))}


def regrouped(s) -> set[tuple]:
    """The houses grouped now, by the same expressions, without the tally."""
    keys = village_tally.key_sql("building")
    rows = s.execute(
        text(
            f"SELECT {', '.join(keys)}, COUNT(*), SUM(people_count), SUM(households_count) FROM building "
            f"WHERE status <> 'uncollected' AND village_id IS NOT NULL GROUP BY {', '.join(keys)}"
        )
    )
    return {tuple(r) for r in rows}


def _village(s, code: str) -> int:
    village = Village(code=code, name=f"村{code[-2:]}")
    village.set_geometry(shapely.box(113.0, 27.0, 113.1, 27.1))
    s.add(village)
    s.flush()
    return village.id


def _house(s, village_id, n, **columns) -> int:
    b = Building(village_id=village_id, address=f"村{village_id}-{n}号", **columns)
    b.set_geometry(shapely.Point(113.01, 27.01))
    s.add(b)
    s.flush()
    return b.id


def test_every_write_of_a_house_moves_it_in_the_tally(db):
    may, june, july = datetime(2016, 5, 10, 2), datetime(2016, 6, 10, 2), datetime(2016, 7, 10, 2)
    with db.write() as s:
        a, b = _village(s, "439901101201"), _village(s, "439901101202")
        h1 = _house(s, a, 1, status="collected", collected_at=may, first_collected_at=may)
        h2 = _house(s, a, 2, status="collected", collected_at=june, first_collected_at=june, visit_flag="far")
        h3 = _house(s, b, 3)  # uncollected: not kept
        assert tally(s) == regrouped(s) and len(tally(s)) == 2
    with db.write() as s:  # people and households counted on the house move it too
        household = Household(building_id=h1)
        s.add(household)
        s.flush()
        s.execute(
            insert(Person),
            [{"building_id": h1, "household_id": household.id, "name": f"甲{n}"} for n in range(3)],
        )
        assert tally(s) == regrouped(s)
        assert {(r[0], r[-2], r[-1]) for r in tally(s) if r[-3] == 1 and r[5] == 0} == {(a, 3, 1)}
    with db.write() as s:  # verified; returned; collected late; moved to another village
        s.execute(update(Building).where(Building.id == h1).values(status="verified", verified_at=june,
                                                                  first_checked_at=june, first_check_passed=True))  # fmt: skip
        s.execute(update(Building).where(Building.id == h2).values(status="returned", visit_flag=None,
                                                                  first_checked_at=july, first_check_passed=False))  # fmt: skip
        s.execute(update(Building).where(Building.id == h3).values(status="collected", collected_at=july, first_collected_at=july))  # fmt: skip
        assert tally(s) == regrouped(s)
        s.execute(update(Building).where(Building.id == h1).values(village_id=b))
        s.execute(update(Building).where(Building.id == h3).values(revisit_failed_at=july))
        assert tally(s) == regrouped(s)
    with db.write() as s:  # through the ORM, then removed
        house = s.get(Building, h2)
        house.status, house.collected_at = "collected", july
        s.flush()
        assert tally(s) == regrouped(s)
        s.execute(delete(Person).where(Person.building_id == h1))
        s.execute(delete(Household).where(Household.building_id == h1))
        s.execute(delete(Building).where(Building.id == h1))
        assert tally(s) == regrouped(s)
        buckets = {r[0]: r[5] for r in tally(s)}
    # Deadlines 05-25 and 06-30 (Beijing): h2 first submitted 06-10 is in bucket 1, h3 (07-10) in 2.
    assert buckets == {a: 1, b: 2}


def test_moving_a_deadline_regroups_every_house(db):
    with db.write() as s:
        a = _village(s, "439901101201")
        for n, day in enumerate((datetime(2016, 5, 1), datetime(2016, 6, 1), datetime(2016, 7, 1))):
            _house(s, a, n, status="collected", collected_at=day, first_collected_at=day)
        stored = village_tally.stored_deadlines(s.connection())
        assert len(stored) == 2 and sorted(r[5] for r in tally(s)) == [0, 1, 2]
        assert not village_tally.set_deadlines(s.connection(), stored)  # the same: nothing to do
        assert village_tally.set_deadlines(s.connection(), [datetime(2016, 4, 1), datetime(2016, 8, 1)])
        assert [r[5] for r in tally(s)] == [1] and next(iter(tally(s)))[6] == 3
        assert tally(s) == regrouped(s)
        assert s.scalars(select(TallyDeadline.ends_at).order_by(TallyDeadline.stage)).all() == [
            datetime(2016, 4, 1),
            datetime(2016, 8, 1),
        ]


def test_the_demo_town_tally_equals_a_regroup(demo_db):
    with demo_db.session() as s:
        kept, fresh = tally(s), regrouped(s)
        houses = s.scalar(
            select(text("COUNT(*)")).select_from(Building).where(Building.status != "uncollected")
        )
    assert kept == fresh
    assert sum(r[6] for r in kept) == houses > 1000


def test_postgresql_triggers_skip_houses_that_count_for_nothing(db):
    """On PostgreSQL each tally trigger has the function's own condition as its WHEN (migration
    0022): inserting an uncollected house (a whole import) calls no PL/pgSQL. SQLite's triggers
    have had their WHEN from the start."""
    with db.write() as s:
        if db.dialect == "postgresql":
            found = dict(
                s.execute(
                    text(
                        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                        "WHERE tgrelid = 'building'::regclass AND tgname LIKE 'tally_building_%'"
                    )
                ).all()
            )
        else:
            found = dict(
                s.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tally_building_%'"
                    )
                ).all()
            )
        assert found and all(" WHEN " in definition.upper() for definition in found.values()), found
        assert "uncollected" in found["tally_building_ins"]
        vid = _village(s, "431021101077")
        before = tally(s)
        _house(s, vid, 1)  # uncollected: not in the tally
        assert tally(s) == before == regrouped(s)
        hid = _house(s, vid, 2, status="collected", collected_at=datetime(2016, 5, 1, 8))
        assert tally(s) == regrouped(s) != before
        s.execute(update(Building).where(Building.id == hid).values(status="uncollected", collected_at=None))
        assert tally(s) == regrouped(s) == before
