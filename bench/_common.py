"""What the benchmarks share: a throw-away PostGIS server, the town or county they run on,
collectors' accounts each with their share of uncollected houses, a benchmark officer,
and logging in through the login form (a phone's urllib opener, a Flask test client, or a
Playwright browser context).

Used by ``load_test.py``, ``crash_submit.py``, ``bench_concurrency.py`` (collectors) and
``bench_map.py``, ``bench_foundation.py`` (the officer).
"""

from __future__ import annotations

import re
import socket
import sys
import urllib.parse
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geoapp.services.accounts.passwords import make_hasher  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.models import Building, User, Village  # noqa: E402

PASSWORD = "Bench-password-1"  # every benchmark account's
BENCH_USER = "bench-officer"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def start_postgis(name: str = "bench"):
    """A throw-away PostGIS server (the one the tests use) with an empty database: (server, url)."""
    from tests.pg_server import PgServer, create_postgis_database

    server = PgServer()
    return server, create_postgis_database(server.start(), name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(db: Database, county: tuple[int, int] | None = None) -> None:
    """Migrate; then, if the database holds no village: the mid-campaign demo town, or with
    ``county=(villages, houses)`` a synthetic county (``bench_coverage.build_county``:
    villages on a grid, houses in them, mid-campaign)."""
    from geoapp.store.migrate import upgrade

    upgrade(db.engine)
    with db.session() as s:
        if s.scalar(select(func.count()).select_from(Village)):
            return
    if county is not None:
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_coverage import build_county

        build_county(db, villages=county[0], houses=county[1])
    else:
        from geoapp.domain.tasks import read_task_table
        from geoapp.services.demo.build import build_demo

        build_demo(db, read_task_table(ROOT / "gis_data" / "task_table.csv"), state="mid")


def add_collectors(db: Database, collectors: int, villages: int, prefix: str) -> dict[str, list[tuple]]:
    """``collectors`` collector accounts (``prefix`` + number) over the ``villages`` villages
    with the most uncollected houses, in turn; each collector's share of their village's
    uncollected houses: {username: [(id, version, lon, lat)]}."""
    shares: dict[str, list] = {}
    with db.write() as s:
        chosen = s.scalars(
            select(Building.village_id)
            .where(Building.status == "uncollected")
            .group_by(Building.village_id)
            .order_by(func.count().desc(), Building.village_id)
            .limit(villages)
        ).all()
        password_hash = make_hasher().hash(PASSWORD)  # one hash for all: logins still verify it
        seats: dict[int, list[str]] = {}
        for k in range(collectors):
            village = chosen[k % len(chosen)]
            name = f"{prefix}{k:03d}"
            s.add(User(username=name, role="collector", village_id=village, password_hash=password_hash,
                       must_change_password=False))  # fmt: skip
            seats.setdefault(village, []).append(name)
        for village, names in seats.items():
            houses = s.execute(
                select(Building.id, Building.version, Building.lon, Building.lat)
                .where(Building.village_id == village, Building.status == "uncollected")
                .order_by(Building.id)
            ).all()
            for j, name in enumerate(names):
                shares[name] = [tuple(h) for h in houses[j :: len(names)]]
    return shares


def add_officer(db: Database, username: str = BENCH_USER) -> None:
    with db.write() as s:
        s.add(User(username=username, role="officer", password_hash=make_hasher().hash(PASSWORD),
                   must_change_password=False))  # fmt: skip


def log_in_opener(opener, base: str, username: str, timeout: float = 120) -> str:
    """Log a urllib opener (with a cookie jar) in through the login form; its CSRF token."""
    with opener.open(base + "/login", timeout=timeout) as r:
        token = CSRF.search(r.read().decode()).group(1)
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
    with opener.open(base + "/login", data=form.encode(), timeout=timeout) as r:
        if r.status != 200 or r.url.endswith("/login"):  # the redirect is followed to the home page
            raise RuntimeError(f"login of {username}: {r.status} {r.url}")
    with opener.open(base + "/account/tokens", timeout=timeout) as r:
        return CSRF.search(r.read().decode()).group(1)


def log_in_client(client, username: str = BENCH_USER):
    """Log a Flask test client in through the login form."""
    token = CSRF.search(client.get("/login").data.decode()).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return client


def log_in_browser(context, base: str, username: str = BENCH_USER) -> None:
    """Log a Playwright browser context in through the login form."""
    login = context.new_page()
    login.goto(base + "/login")
    login.fill("input[name=username]", username)
    login.fill("input[name=password]", PASSWORD)
    login.click("main button[type=submit]")
    login.wait_for_load_state()
    if login.url.endswith("/login"):
        raise RuntimeError(f"the benchmark's {username} could not log in")
    login.close()
