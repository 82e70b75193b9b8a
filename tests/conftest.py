"""Fixtures shared by every layer's tests.

Storage, service, web and CLI tests run once on a SQLite file and once on a real
PostgreSQL+PostGIS server that this session starts on loopback. With ``CI`` set,
a missing PostGIS or Chromium fails the run instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from geoapp.config import Settings
from geoapp.store.db import Database
from geoapp.store.migrate import upgrade
from tests.pg_server import PgServer

IN_CI = bool(os.environ.get("CI"))
_counter = itertools.count()

# Property tests draw the same examples on every run (derandomize: examples follow from the
# test itself), so a run cannot fail by chance; no example database carries failures over
# from earlier runs. ``HYPOTHESIS_PROFILE=explore`` searches with fresh random examples.
settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI is set: the test command must install it, not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgis_base(tmp_path_factory):
    """Base URL of a PostGIS server (``GEOAPP_TEST_POSTGIS_URL`` or one we start)."""
    if url := os.environ.get("GEOAPP_TEST_POSTGIS_URL"):
        yield url.rstrip("/")
        return
    try:
        server = PgServer()
        base = server.start()
    except Exception as exc:
        _unavailable(f"PostGIS server could not start: {exc}")
    try:
        yield base
    finally:
        server.stop()


def _pg_admin(base: str):
    return create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")


def pg_clone(base: str, template: str) -> str:
    name = f"t{os.getpid()}_{next(_counter)}"
    engine = _pg_admin(base)
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine.dispose()
    return f"{base}/{name}"


def pg_drop(base: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = _pg_admin(base)
    with engine.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_template(postgis_base):
    """A migrated, empty database to copy for each test."""
    engine = _pg_admin(postgis_base)
    with engine.connect() as c:
        c.execute(text('CREATE DATABASE "geoapp_empty"'))
    engine.dispose()
    url = f"{postgis_base}/geoapp_empty"
    e = create_engine(url)
    with e.begin() as c:
        c.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    e.dispose()
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    return "geoapp_empty"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "empty.sqlite"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(request, backend, tmp_path):
    """A fresh, migrated, empty database on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "geoapp.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    base = request.getfixturevalue("postgis_base")
    url = pg_clone(base, request.getfixturevalue("pg_template"))
    yield url
    pg_drop(base, url)


TASKS_CSV = Path(__file__).resolve().parent.parent / "gis_data" / "task_table.csv"


def _build_demo(url: str, state: str) -> None:
    from geoapp.domain.tasks import read_task_table
    from geoapp.services.demo.build import build_demo

    database = Database(url)
    build_demo(database, read_task_table(TASKS_CSV), state=state)
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory) -> Path:
    """The mid-campaign demo town, built once per session on SQLite."""
    path = tmp_path_factory.mktemp("sqlite-demo") / "demo.sqlite"
    shutil.copy(sqlite_template, path)
    _build_demo(f"sqlite:///{path}", "mid")
    return path


@pytest.fixture(scope="session")
def pg_demo_template(postgis_base, pg_template) -> str:
    url = pg_clone(postgis_base, pg_template)
    _build_demo(url, "mid")
    return url.rsplit("/", 1)[1]


@pytest.fixture
def demo_url(request, backend, tmp_path):
    """A private copy of the mid-campaign demo town on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "demo.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_demo_template"), path)
        yield f"sqlite:///{path}"
        return
    base = request.getfixturevalue("postgis_base")
    url = pg_clone(base, request.getfixturevalue("pg_demo_template"))
    yield url
    pg_drop(base, url)


@pytest.fixture
def demo_db(demo_url):
    database = Database(demo_url)
    yield database
    database.dispose()


@pytest.fixture
def demo_app(demo_url):
    from geoapp import create_app

    application = create_app(make_settings(demo_url))
    yield application
    application.extensions["geoapp.db"].dispose()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


def make_settings(db_url: str, **overrides) -> Settings:
    """Test settings: argon2id with small costs so that hundreds of logins stay fast."""
    values = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, **overrides}
    return Settings(database_url=db_url, secret_key="test-secret", test_mode=True, **values)


@pytest.fixture
def app(db_url):
    from geoapp import create_app

    application = create_app(make_settings(db_url))
    yield application
    application.extensions["geoapp.db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# -- users and logged-in clients ------------------------------------------------------------

PASSWORD = "Test-password-1"


def add_user(
    database: Database, username: str, role: str, *, village_id=None, unit_id=None, password=PASSWORD
):
    """A ready account (password already changed) for tests."""
    from geoapp.services.accounts.passwords import make_hasher
    from geoapp.store.models import User

    with database.write() as s:
        user = User(
            username=username,
            name=username,
            role=role,
            village_id=village_id,
            unit_id=unit_id,
            password_hash=make_hasher(1, 8192).hash(password),
            must_change_password=False,
        )
        s.add(user)
        s.flush()
        return user.id


def csrf_token(client) -> str:
    import re

    html = client.get("/login").data.decode()
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


class Clients:
    """Logged-in test clients of the demo town, one per role (and two villages)."""

    def __init__(self, app, database: Database):
        from sqlalchemy import func, select

        from geoapp.store.models import Building, Person, Unit

        with database.session() as s:
            # The reporter's unit: one whose building has people; village A is that building's.
            unit_id, village_a = s.execute(
                select(Unit.id, Building.village_id)
                .join(Building, Building.id == Unit.building_id)
                .where(Building.id.in_(select(Person.building_id)), Building.status != "verified")
                .order_by(Unit.id)
                .limit(1)
            ).one()
            # Village B: another village with people and units.
            village_b = s.scalar(
                select(Building.village_id)
                .where(Building.village_id != village_a, Building.status != "verified")
                .where(Building.id.in_(select(Unit.building_id)))
                .where(
                    Building.village_id.in_(
                        select(Building.village_id).join(Person, Person.building_id == Building.id)
                    )
                )
                .group_by(Building.village_id)
                .order_by(func.min(Building.id))
                .limit(1)
            )
            own_building = s.scalar(select(Unit.building_id).where(Unit.id == unit_id))
            other_unit, other_building = s.execute(
                select(Unit.id, Unit.building_id)
                .join(Building, Building.id == Unit.building_id)
                .where(Building.village_id == village_b, Building.status != "verified")
                .order_by(Unit.id)
                .limit(1)
            ).one()
            person_in = lambda condition: s.scalar(  # noqa: E731
                select(Person.id).join(Building, Building.id == Person.building_id).where(condition)
                .where(Person.phone.is_not(None), Person.id_type == "resident_id").order_by(Person.id).limit(1)
            )  # fmt: skip
            # Own: in the reporter's unit building (village A). Other: in village B.
            self.own = {"village": village_a, "building": own_building, "unit": unit_id,
                        "person": person_in(Building.id == own_building)}  # fmt: skip
            self.other = {"village": village_b, "building": other_building, "unit": other_unit,
                          "person": person_in(Building.village_id == village_b)}  # fmt: skip
        self.app = app
        self.village_a, self.village_b = village_a, village_b
        self.unit_id = unit_id
        self.users = {
            "collector": add_user(database, "collector_a", "collector", village_id=self.village_a),
            "collector_b": add_user(database, "collector_b", "collector", village_id=self.village_b),
            "reporter": add_user(database, "reporter", "reporter", unit_id=unit_id),
            "officer": add_user(database, "officer", "officer"),
            "leader": add_user(database, "leader", "leader"),
            "admin": add_user(database, "admin", "admin"),
        }
        self.names = {
            "collector": "collector_a",
            "collector_b": "collector_b",
            "reporter": "reporter",
            "officer": "officer",
            "leader": "leader",
            "admin": "admin",
        }
        self._clients = {}

    def __call__(self, who: str | None):
        """A client logged in as ``who`` (None: anonymous); cached per test."""
        if who not in self._clients:
            client = self.app.test_client()
            if who is not None:
                r = login(client, self.names[who])
                assert r.status_code == 302, r.data
            self._clients[who] = client
        return self._clients[who]

    def csrf(self, who: str) -> dict:
        import re

        html = self(who).get("/account/password").data.decode()
        return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)}


@pytest.fixture
def clients(demo_app, demo_db):
    return Clients(demo_app, demo_db)
