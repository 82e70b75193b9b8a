"""The station's units (issue 10, parts 1-2): figures against a baseline from the same run.

    .venv/bin/python bench/bench_station.py [--postgis] [--write docs/benchmarks-station.md]

On the mid-campaign demo town (10,831 houses, 400 units), as an officer, through the app
(Flask test client: server time, no network), median of repeated requests:

1. the unit layers the map loads: shops (280), factories (120), all units (400); and the
   same with ten times the units (4,000, copies in the same buildings), to see how it grows;
2. the baseline in the same run: the house layer of the whole town (10,831 features);
3. the units register: its first page with every count, a filtered page, its Excel export;
4. street-front blocks (issue 10, parts 3-4): generating them along the market streets (the
   service, no request), the block layer of the whole town (with each block's buildings, units,
   progress and assignee), an officer's own blocks and their "我的街区" page.
Target (issue 10): the unit and block layers of the whole town each under 50 ms server time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.domain.tasks import read_task_table  # noqa: E402
from geoapp.services.accounts.passwords import make_hasher  # noqa: E402
from geoapp.services.demo.build import build_demo  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402
from geoapp.store.models import Unit, User  # noqa: E402

PASSWORD = "Bench-password-1"
REPEAT = 25
TARGET_MS = 50.0


def median_ms(fn, repeat: int = REPEAT) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def setup(url: str) -> None:
    db = Database(url)
    upgrade(db.engine)
    build_demo(db, read_task_table(ROOT / "gis_data" / "task_table.csv"), state="mid")
    with db.write() as s:
        s.add(User(username="officer", role="officer", password_hash=make_hasher().hash(PASSWORD),
                   must_change_password=False))  # fmt: skip
    db.dispose()


def tenfold_units(url: str) -> int:
    """Nine more copies of every unit in its building (no credit code): 4,000 units."""
    db = Database(url)
    with db.write() as s:
        rows = s.execute(select(Unit.building_id, Unit.name, Unit.kind, Unit.status)).all()
        copies = [
            {"building_id": b, "name": f"{n}{k}", "kind": kind, "status": status, "version": 1}
            for k in range(1, 10)
            for b, n, kind, status in rows
        ]
        s.execute(insert(Unit), copies)
    with db.session() as s:
        total = len(s.scalars(select(Unit.id)).all())
    db.dispose()
    return total


def client_for(app):
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").data.decode()).group(1)
    client.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token})
    return client


def measure(url: str) -> list[tuple[str, float, float, str]]:
    app = create_app(Settings(database_url=url, secret_key="bench", test_mode=False))
    client = client_for(app)

    def get(path: str, features: int | None = None):
        def call():
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.data[:200])
            if features is not None:
                assert r.data.count(b'"type":"Feature"') == features, path

        return call

    rows = []
    for label, path, n in (
        ("shop layer (280 units)", "/api/units.geojson?kind=shop", 280),
        ("factory layer (120 units)", "/api/units.geojson?kind=factory", 120),
        ("all units (400)", "/api/units.geojson", 400),
    ):
        med, p95 = median_ms(get(path, n))
        rows.append((label, med, p95, f"< {TARGET_MS:g} ms"))
    from geoapp.domain.roles import Role, Scope
    from geoapp.services.gis_io.layers import units_geojson

    database = app.extensions["geoapp.db"]
    officer = Scope(None, "officer", Role.OFFICER)

    def service():
        with database.session() as s:
            units_geojson(s, officer, kinds=["shop"])

    med, p95 = median_ms(service)
    rows.append(("shop layer, query and encoding alone (no request, login or session)", med, p95, ""))
    med, p95 = median_ms(get("/api/buildings.geojson", 10831), repeat=15)
    rows.append(("baseline: house layer of the whole town (10,831)", med, p95, "< 100 ms"))
    for label, path in (
        ("units register, first page with every count", "/units"),
        (
            "units register, filtered (shops, uncollected, no staff)",
            "/api/units?kind=shop&status=uncollected&no_staff=1",
        ),
        ("units register export, Excel (400 rows)", "/units/export.xlsx"),
    ):
        med, p95 = median_ms(get(path), repeat=10)
        rows.append((label, med, p95, ""))
    rows.extend(measure_blocks(app, get))
    app.extensions["geoapp.db"].dispose()
    return rows


def measure_blocks(app, get) -> list[tuple[str, float, float, str]]:
    from sqlalchemy import func

    from geoapp.domain.roles import Role, Scope
    from geoapp.services.campaign.blocks import assign_blocks, beijing_today, generate_blocks
    from geoapp.store.models import Block, BlockBuilding

    database = app.extensions["geoapp.db"]
    admin = Scope(None, "bench", Role.ADMIN)

    def generate():
        with database.write() as s:
            generate_blocks(s, admin)

    gen_med, gen_p95 = median_ms(generate, repeat=3)
    with database.session() as s:
        ids = list(s.scalars(select(Block.id).order_by(Block.id)))
        members = s.scalar(select(func.count()).select_from(BlockBuilding))
    with database.write() as s:
        assign_blocks(s, admin, ids[::3], "officer", beijing_today())
    n, mine = len(ids), len(ids[::3])
    rows = [
        (f"generate blocks along the 5 market streets ({n} blocks, {members} houses)", gen_med, gen_p95, "")
    ]
    med, p95 = median_ms(get("/api/blocks.geojson", n))
    rows.append((f"block layer of the whole town ({n} blocks)", med, p95, f"< {TARGET_MS:g} ms"))
    med, p95 = median_ms(get("/api/blocks.geojson?mine=1", mine))
    rows.append((f"an officer's own blocks ({mine})", med, p95, ""))
    med, p95 = median_ms(get("/my-blocks"), repeat=10)
    rows.append(("我的街区 page (list and map)", med, p95, ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgis", action="store_true", help="also run on a PostGIS server started on loopback"
    )
    parser.add_argument("--write", type=Path, help="write the tables to this Markdown file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-station-"))
    backends = [("SQLite", f"sqlite:///{work / 'demo.sqlite'}", None)]
    if args.postgis:
        from tests.pg_server import PgServer, create_postgis_database

        server = PgServer()
        backends.append(("PostGIS", create_postgis_database(server.start(), "bench_station"), server))
    sections = []
    for backend, url, server in backends:
        setup(url)
        rows = measure(url)
        total = tenfold_units(url)
        app = create_app(Settings(database_url=url, secret_key="bench", test_mode=False))
        client = client_for(app)
        med, p95 = median_ms(lambda c=client: c.get("/api/units.geojson"))
        app.extensions["geoapp.db"].dispose()
        rows.insert(3, (f"ten times the units ({total:,}), all", med, p95, "grows with the units"))
        base = next(r[1] for r in rows if r[0].startswith("baseline"))
        lines = ["| figure | median | p95 | target | ratio to the house layer |", "|---|---|---|---|---|"]
        for label, med, p95, target in rows:
            lines.append(f"| {label} | {med:.1f} ms | {p95:.1f} ms | {target} | {med / base:.3f} |")
        sections.append((backend, "\n".join(lines)))
        if server is not None:
            server.stop()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    page = (
        "# Station benchmarks: unit and block layers, the units register\n\n"
        f"Measured {stamp} by `python bench/bench_station.py{' --postgis' if args.postgis else ''}` on this "
        "2-core machine (shared and noisy: medians). Server time through the app (Flask test client, "
        "no network), as an officer, on the mid-campaign demo town; the house layer of the whole town is "
        "the baseline measured in the same run.\n"
    )
    for backend, table in sections:
        page += f"\n## {backend}\n\n{table}\n"
    print(page)
    if args.write:
        args.write.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
