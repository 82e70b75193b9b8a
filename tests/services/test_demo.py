"""The demo town matches the work plan's task table exactly, on both backends."""

from collections import Counter

import numpy as np
import orjson
import pytest
import shapely
from sqlalchemy import func, select

from geoapp.domain.identifiers import parse_resident_id, parse_uscc
from geoapp.domain.tasks import read_task_table
from geoapp.services.demo.build import build_demo
from geoapp.services.demo.geography import build_geography
from geoapp.spatial.assign import anchor_points, assign_to_polygons
from geoapp.spatial.crs import metric_crs_for
from geoapp.store.models import AuditEvent, Building, Household, Person, Street, Unit, Village
from tests.conftest import TASKS_CSV

TASKS = read_task_table(TASKS_CSV)


def test_geography_is_deterministic_and_exact():
    a = build_geography(TASKS.villages, TASKS.station.units)
    b = build_geography(TASKS.villages, TASKS.station.units)
    assert [h.point.wkt for h in a.houses] == [h.point.wkt for h in b.houses]
    per_village = Counter(h.village for h in a.houses)
    assert [per_village[i] for i in range(len(TASKS.villages))] == [v.houses for v in TASKS.villages]


def test_villages_tile_the_town_without_gaps_or_overlaps():
    geo = build_geography(TASKS.villages, TASKS.station.units)
    town, villages, _, _ = geo.to_lonlat()
    import geopandas as gpd

    series = gpd.GeoSeries(list(villages), crs="EPSG:4326")
    metric = series.to_crs(metric_crs_for(series.total_bounds))
    town_m = gpd.GeoSeries([town], crs="EPSG:4326").to_crs(metric.crs).iloc[0]
    union = shapely.union_all(metric.values)
    assert abs(union.area - town_m.area) < 1.0  # m²: no gaps
    assert abs(metric.area.sum() - town_m.area) < 1.0  # no overlaps
    assert all(g.is_valid for g in villages)


def test_demo_counts_equal_the_task_table(demo_db):
    with demo_db.session() as s:
        rows = s.execute(
            select(Village.name, Village.task_houses, Village.task_people, func.count(Building.id))
            .join(Building, Building.village_id == Village.id)
            .group_by(Village.id, Village.name, Village.task_houses, Village.task_people)
        ).all()
        by_name = {r[0]: r for r in rows}
        assert len(by_name) == 28
        for task in TASKS.villages:
            _, task_houses, task_people, houses = by_name[task.unit]
            assert houses == task_houses == task.houses
            assert task_people == task.people
        assert s.scalar(select(func.count()).select_from(Building)) == TASKS.station.houses == 10831
        assert s.scalar(select(func.count()).select_from(Unit)) == TASKS.station.units == 400
        kinds = Counter(s.scalars(select(Unit.kind)))
        assert kinds["shop"] > 0 and kinds["enterprise"] > 0
        footprints = s.scalar(select(func.count()).select_from(Building).where(Building.minx < Building.maxx))
        assert 0.15 * 10831 < footprints < 0.6 * 10831


def test_every_house_lies_in_its_own_village(demo_db):
    with demo_db.session() as s:
        villages = s.execute(select(Village.id, Village.geom).order_by(Village.id)).all()
        houses = s.execute(select(Building.village_id, Building.geom)).all()
    ids = np.array([v[0] for v in villages])
    found = assign_to_polygons(
        anchor_points(np.array([h[1] for h in houses])), np.array([v[1] for v in villages])
    )
    assert (found >= 0).all()
    assert (ids[found] == np.array([h[0] for h in houses])).all()


def test_mid_campaign_people_are_consistent_with_tasks(demo_db):
    with demo_db.session() as s:
        people_per_village = dict(
            s.execute(
                select(Village.name, func.count(Person.id))
                .join(Building, Building.village_id == Village.id)
                .join(Person, Person.building_id == Building.id)
                .group_by(Village.name)
            ).all()
        )
        progress = dict(
            s.execute(
                select(
                    Village.name,
                    func.avg(func.cast(Building.status != "uncollected", Village.task_houses.type)),
                )
                .join(Building, Building.village_id == Village.id)
                .group_by(Village.name)
            ).all()
        )
        complete = [v for v in TASKS.villages if progress[v.unit] == 1]
        assert len(complete) >= 1
        for v in complete:
            assert people_per_village[v.unit] == v.people
        for v in TASKS.villages:
            assert people_per_village.get(v.unit, 0) <= v.people
        assert len(set(progress.values())) > 5  # villages at different progress
        uncollected_with_people = s.scalar(
            select(func.count(Person.id)).join(Building).where(Building.status == "uncollected")
        )
        assert uncollected_with_people == 0
        numbers = s.scalars(select(Person.id_number).where(Person.id_type == "resident_id").limit(500)).all()
        for number in numbers:
            parse_resident_id(number)
        for code in s.scalars(select(Unit.uscc)):
            parse_uscc(code)
        heads = s.scalar(select(func.count()).select_from(Person).where(Person.relation == "户主"))
        assert heads == s.scalar(select(func.count()).select_from(Household))


def test_blank_demo_has_nothing_collected(db):
    summary = build_demo(db, TASKS, state="blank")
    assert summary.houses == 10831 and summary.people == 0
    with db.session() as s:
        assert set(s.scalars(select(Building.status).distinct())) == {"uncollected"}
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert s.scalar(select(func.count()).select_from(Street)) == summary.streets
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "demo.build")).one()
        assert orjson.loads(event.changes)["houses"] == 10831


def test_demo_refuses_to_overwrite_without_force(demo_db):
    from geoapp.domain.errors import Conflict

    with pytest.raises(Conflict, match="--force"):
        build_demo(demo_db, TASKS, state="blank")
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) > 0


def test_a_forced_rebuild_replaces_the_town_and_keeps_the_audit_trail(demo_db):
    """`geoapp demo --force` with the trail append-only (its rows cannot be deleted) and after
    collectors' visits and moves (which used to block deleting the houses). The old events stay
    as they were; the rebuild's event says what it replaced."""
    from datetime import datetime

    from geoapp.services.accounts import audit
    from geoapp.store.models import PersonMove, Visit

    with demo_db.write() as s:
        person = s.scalars(select(Person).order_by(Person.id).limit(1)).one()
        other = s.scalar(select(Building.id).where(Building.id != person.building_id).limit(1))
        at = datetime(2016, 6, 8, 10)
        s.add(Visit(client_id="c-1", building_id=person.building_id, submitted_at=at, empty=False,
                    people=1, response="{}"))  # fmt: skip
        s.add(
            PersonMove(person_id=person.id, from_building_id=person.building_id, to_building_id=other, at=at)
        )
        audit.record(
            s, "house.submit", actor="collector_a", object_type="building", object_id=person.building_id
        )
    with demo_db.session() as s:
        before = s.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
        people = s.scalar(select(func.count()).select_from(Person))
    summary = build_demo(demo_db, TASKS, state="blank", force=True)
    assert summary.people == 0
    with demo_db.session() as s:
        after = s.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert s.scalar(select(func.count()).select_from(Visit)) == 0
    assert after[: len(before)] == before  # nothing of the old trail changed or went missing
    (rebuild,) = after[len(before) :]
    assert rebuild.action == "demo.build"
    replaced = orjson.loads(rebuild.changes)["replaced"]
    assert replaced["person"] == people and replaced["visit"] == 1 and replaced["person_move"] == 1
    assert replaced["building"] == 10831
