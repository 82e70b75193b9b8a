"""Storage on both backends: migrations, geometry round trip, spatial index, locking."""

import pytest
import shapely
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from geoapp.domain.errors import Conflict
from geoapp.store.migrate import current_revision, head_revision
from geoapp.store.models import Building, Village
from geoapp.store.spatial_index import bbox_filter
from geoapp.store.versioning import check_version


def _village(code="439901101201", name="上新村", box=(113.0, 27.0, 113.1, 27.1)):
    v = Village(code=code, name=name, task_people=10, task_houses=3, task_units=0)
    v.set_geometry(shapely.box(*box))
    return v


def _building(village, geom, address="余坪镇上新村1号"):
    b = Building(village_id=village.id, address=address)
    b.set_geometry(geom)
    return b


def test_migrated_schema_has_every_table(db):
    names = set(inspect(db.engine).get_table_names())
    assert {
        "village",
        "street",
        "building",
        "household",
        "person",
        "unit",
        "block",
        "user_account",
        "audit_event",
    } <= names
    assert {"user_session", "api_token", "rate_event"} <= names
    assert current_revision(db.engine) == head_revision()


def test_models_and_migrations_agree(db):
    """Every schema change comes with a migration: the migrated database matches the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from geoapp.store.migrations.env_filters import include_object
    from geoapp.store.models import Base

    with db.engine.connect() as c:
        context = MigrationContext.configure(c, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []


def test_geometry_round_trip_and_representative_point(db):
    footprint = shapely.Polygon([(113.01, 27.01), (113.02, 27.01), (113.02, 27.02), (113.01, 27.02)])
    with db.write() as s:
        v = _village()
        s.add(v)
        s.flush()
        s.add(_building(v, footprint))
    with db.session() as s:
        b = s.scalars(select(Building)).one()
        assert b.geom.equals(footprint)
        assert footprint.contains(shapely.Point(b.lon, b.lat))
        assert (b.minx, b.maxy) == (113.01, 27.02)


def test_bbox_query_uses_the_index_and_follows_updates(db):
    with db.write() as s:
        v = _village()
        s.add(v)
        s.flush()
        for i in range(20):
            s.add(_building(v, shapely.Point(113.0 + i * 0.005, 27.05), address=f"{i}号"))
    view = (113.0, 27.0, 113.02, 27.1)
    with db.session() as s:
        found = s.scalars(select(Building.address).where(bbox_filter(Building, view, db.dialect))).all()
        assert sorted(found) == ["0号", "1号", "2号", "3号", "4号"]
    with db.write() as s:
        b = s.scalars(select(Building).where(Building.address == "19号")).one()
        b.set_geometry(shapely.Point(113.001, 27.05))
    with db.session() as s:
        found = s.scalars(select(Building.address).where(bbox_filter(Building, view, db.dialect))).all()
        assert "19号" in found
    if db.dialect == "sqlite":
        with db.engine.connect() as c:
            plan = " ".join(
                str(r)
                for r in c.execute(
                    text("EXPLAIN QUERY PLAN SELECT id FROM rtree_building WHERE minx <= 1 AND maxx >= 0")
                )
            )
            assert "VIRTUAL TABLE INDEX" in plan


def test_concurrent_edit_conflicts_instead_of_overwriting(db):
    with db.write() as s:
        v = _village()
        s.add(v)
        s.flush()
        s.add(_building(v, shapely.Point(113.05, 27.05)))
    with db.session() as s:
        seen_by_both = s.scalars(select(Building.version)).one()
    with db.write() as s:  # the first editor saves
        b = s.scalars(select(Building)).one()
        check_version(b, seen_by_both)
        b.floors = 2
    with pytest.raises(Conflict), db.write() as s:  # the second editor based on the old version
        b = s.scalars(select(Building)).one()
        check_version(b, seen_by_both)
        b.floors = 3
    with db.session() as s:
        assert s.scalars(select(Building.floors)).one() == 2
        assert s.scalars(select(Building.version)).one() == seen_by_both + 1


def test_interleaved_orm_updates_do_not_overwrite(db):
    """Two open transactions updating one row: the later one fails, never overwrites."""
    with db.write() as s:
        v = _village()
        s.add(v)
        s.flush()
        s.add(_building(v, shapely.Point(113.05, 27.05)))
    first, second = db.session(), db.session()
    a = first.scalars(select(Building)).one()
    b = second.scalars(select(Building)).one()
    a.floors = 2
    first.commit()
    b.floors = 3
    # PostgreSQL: the version check finds the row changed. SQLite (WAL): the stale
    # reader cannot become a writer at all.
    with pytest.raises((StaleDataError, OperationalError)):
        second.commit()
    second.rollback()
    first.close()
    second.close()
    with db.session() as s:
        assert s.scalars(select(Building.floors)).one() == 2


def test_write_transaction_is_all_or_nothing(db):
    with pytest.raises(RuntimeError), db.write() as s:
        s.add(_village())
        s.flush()
        raise RuntimeError("boom")
    with db.session() as s:
        assert s.scalars(select(Village)).all() == []


def test_foreign_keys_are_enforced(db):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.write() as s:
        b = Building(village_id=9999, address="x")
        b.set_geometry(shapely.Point(113, 27))
        s.add(b)


def test_migration_0004_gives_existing_api_tokens_ninety_days(db):
    """Tokens made before tokens expired get created_at + 90 days; new ones need an expiry."""
    from datetime import datetime, timedelta

    from alembic import command

    from geoapp.store.migrate import alembic_config, upgrade
    from geoapp.store.models import ApiToken, User

    def migrate(step, revision):
        cfg = alembic_config(db.engine)
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            step(cfg, revision)

    migrate(command.downgrade, "0003")
    created = datetime(2016, 5, 1, 8, 30, 15, 123456)
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO user_account (username, name, role, must_change_password, disabled) "
                       "VALUES ('old', '', 'officer', false, false)"))  # fmt: skip
        c.execute(
            text("INSERT INTO api_token (user_id, name, prefix, token_hash, created_at) "
                 "SELECT id, 'QGIS', 'gat_abcdef', :hash, :created FROM user_account"),
            {"hash": "0" * 64, "created": created},
        )  # fmt: skip
    upgrade(db.engine)
    with db.session() as s:
        token = s.scalar(select(ApiToken))
        assert token.expires_at == created + timedelta(days=90)
    with pytest.raises(IntegrityError), db.write() as s:  # an expiry is required
        user_id = s.scalar(select(User.id))
        s.add(ApiToken(user_id=user_id, name="x", prefix="gat_x", token_hash="1" * 64, created_at=created))
