"""Migration 0011: a town whose data repeat a standard address is told which ones, and nothing
changes; otherwise the unique index is made (both backends)."""

from __future__ import annotations

import pytest
import shapely
from alembic import command
from sqlalchemy import inspect, update

from geoapp.store.migrate import alembic_config, current_revision, head_revision, upgrade
from geoapp.store.models import Building, Village


def downgrade(engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def test_repeated_addresses_stop_the_migration_naming_them(db):
    downgrade(db.engine, "0010")  # the revision before 0011
    with db.write() as s:
        v = Village(code="439901101201", name="上新村", task_people=0, task_houses=4, task_units=0)
        v.set_geometry(shapely.box(113.0, 27.0, 113.1, 27.1))
        s.add(v)
        s.flush()
        for door, address in (("1号", "余坪镇上新村新街1号"), ("1号", "余坪镇上新村新街1号"),
                              (None, "余坪镇上新村新街（未编门牌）"), (None, "余坪镇上新村新街（未编门牌）")):  # fmt: skip
            b = Building(village_id=v.id, door_no=door, address=address)
            b.set_geometry(shapely.Point(113.05, 27.05))
            s.add(b)
    with pytest.raises(RuntimeError) as refused:
        upgrade(db.engine)
    assert "余坪镇上新村新街1号 (2×)" in str(refused.value) and "未编门牌" not in str(refused.value)
    assert current_revision(db.engine) == "0010"
    with db.write() as s:  # the fix the message names: distinct door numbers
        first = s.query(Building).filter_by(door_no="1号").first()
        s.execute(
            update(Building)
            .where(Building.id == first.id)
            .values(door_no="3号", address="余坪镇上新村新街3号")
        )
    upgrade(db.engine)
    assert current_revision(db.engine) == head_revision()
    indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("building")}
    assert indexes["uq_building_address"]["unique"]
