"""Migration 0009: a unit may wait for its place on the map (no building), on both backends,
with the town's data and every reference to units kept."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from geoapp.store.models import Person, Unit


def _migrate(db, step, revision):
    from geoapp.store.migrate import run

    run(db.engine, step, revision)


def test_units_keep_their_references_and_may_have_no_building(db):
    from alembic import command

    from geoapp.store.migrate import upgrade

    _migrate(db, command.downgrade, "0011")
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO village (code, name, task_people, task_houses, task_units, geom, minx, miny, maxx, maxy) "
                       "VALUES ('439901100201', '甲村', 0, 0, 0, :g, 0, 0, 1, 1)"), {"g": _square(db)})  # fmt: skip
        c.execute(text("INSERT INTO building (village_id, address, use, status, lon, lat, version, geom, minx, miny, maxx, maxy) "
                       "VALUES ((SELECT id FROM village), '余坪镇甲村1号', 'shop', 'uncollected', 0.5, 0.5, 1, :g, 0.5, 0.5, 0.5, 0.5)"), {"g": _point(db)})  # fmt: skip
        c.execute(
            text(
                "INSERT INTO unit (building_id, name, kind, status, version) SELECT id, '老店', 'shop', 'collected', 1 FROM building"
            )
        )
        c.execute(text("INSERT INTO person (building_id, name, id_type, residence_type, separated, employer_unit_id, version) "
                       "SELECT building_id, '张三', 'other', 'registered', false, id, 1 FROM unit"))  # fmt: skip
        c.execute(text("INSERT INTO user_account (username, name, role, unit_id, must_change_password, disabled) "
                       "SELECT 'shopkeeper', '', 'reporter', id, false, false FROM unit"))  # fmt: skip
    upgrade(db.engine)
    with db.write() as s:
        shop = s.scalar(select(Unit).where(Unit.name == "老店"))
        assert shop.building_id is not None and s.scalar(select(Person.employer_unit_id)) == shop.id
        s.add(Unit(name="未落图的单位", kind="enterprise", status="uncollected"))
    with db.session() as s:
        assert s.scalar(select(Unit.building_id).where(Unit.name == "未落图的单位")) is None
    with pytest.raises(IntegrityError), db.write() as s:  # references are still checked
        s.add(Unit(name="x", building_id=999, kind="shop", status="uncollected"))
    _migrate(db, command.downgrade, "0011")  # units without a place are dropped on the way down
    with db.session() as s:
        assert s.scalars(select(Unit.name).order_by(Unit.id)).all() == ["老店"]
    upgrade(db.engine)


def _point(db):
    import shapely

    return _geom(db, shapely.Point(0.5, 0.5))


def _square(db):
    import shapely

    return _geom(db, shapely.box(0, 0, 1, 1))


def _geom(db, g):
    from geoapp.store.types import Geometry

    return Geometry().process_bind_param(g, db.engine.dialect)
