"""Collector benchmark (issue 4): figures and ratios against baselines from the same run.

    .venv/bin/python bench/bench_collect.py [--write docs/benchmarks-collect.md] [--skip-browser]

1. House layer of the largest village (范固村, 927 houses) for its collector, and of the
   whole town for an officer: median server time of repeated requests.
2. A house submission with 6 people (validation, storage, visit proof, audit): median
   round trip through the app, on different houses.
3. Visiting order: for every street with 8+ uncollected houses, the app's answer
   (nearest houses and a tour, walking distances along the streets) from the street's
   first house: its server time, and the tour's length against the naive
   nearest-neighbour chain on the same distances.
4. Village map and town map interactive in headless Chromium (houses drawn), median of 5.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import CSRF, PASSWORD, log_in_browser, log_in_client  # noqa: E402
from bench_foundation import DRAWN  # noqa: E402

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.domain.identifiers import make_resident_id  # noqa: E402
from geoapp.domain.roles import Role, Scope  # noqa: E402
from geoapp.domain.tasks import read_task_table  # noqa: E402
from geoapp.services.accounts.passwords import make_hasher  # noqa: E402
from geoapp.services.campaign.navigation import next_houses  # noqa: E402
from geoapp.services.demo.build import build_demo  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402
from geoapp.store.models import Building, User, Village  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def setup(work: Path) -> tuple[Path, int]:
    path = work / "demo.sqlite"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    build_demo(db, read_task_table(ROOT / "gis_data" / "task_table.csv"), state="mid")
    with db.write() as s:
        fangu = s.scalar(select(Village.id).where(Village.name == "范固村"))
        hasher = make_hasher()
        for name, role, village in (("fangu", "collector", fangu), ("officer", "officer", None)):
            s.add(User(username=name, role=role, village_id=village, password_hash=hasher.hash(PASSWORD),
                       must_change_password=False))  # fmt: skip
    db.dispose()
    return path, fangu


def client_for(app, username: str):
    client = log_in_client(app.test_client(), username)
    client.csrf = CSRF.search(client.get("/account/password").data.decode()).group(1)
    return client


def bench_layers_and_submission(path: Path, fangu: int) -> dict:
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="bench"))
    db = app.extensions["geoapp.db"]
    collector, officer = client_for(app, "fangu"), client_for(app, "officer")
    village_url = f"/api/buildings.geojson?village={fangu}"
    village_count = len(collector.get(village_url).get_json()["features"])
    village_ms = median_ms(lambda: collector.get(village_url), 15)
    town_ms = median_ms(lambda: officer.get("/api/buildings.geojson"), 15)
    with db.session() as s:
        houses = s.scalars(
            select(Building).where(Building.village_id == fangu, Building.status == "uncollected").limit(25)
        ).all()
    times, serial = [], iter(range(10_000))
    for house in houses:
        members = []
        for k in range(6):
            n = next(serial)
            number = make_resident_id(
                "430101", date(1960, 1, 1) + timedelta(days=97 * n), 100 + 2 * (n % 400)
            )
            members.append(
                {"name": f"测试{n}", "id_number": number, "relation": "户主" if k == 0 else "子女"}
            )
        payload = {"client_id": uuid.uuid4().hex, "version": house.version, "households": [{"members": members}],
                   "visit": {"lat": house.lat, "lon": house.lon, "accuracy": 8}}  # fmt: skip
        t0 = time.perf_counter()
        r = collector.post(
            f"/api/buildings/{house.id}/submission", json=payload, headers={"X-CSRFToken": collector.csrf}
        )
        times.append(time.perf_counter() - t0)
        assert r.status_code == 201, r.get_json()
    db.dispose()
    return {
        "village_houses": village_count,
        "village_ms": village_ms,
        "town_ms": town_ms,
        "submit_ms": statistics.median(times) * 1000,
        "submit_p95_ms": float(np.percentile(times, 95) * 1000),
        "submissions": len(times),
    }


def bench_tours(path: Path) -> dict:
    """The app's own answer (``next_houses`` for a street, walking distances along the
    streets between stops), timed, and its tour against the naive chain on the same distances."""
    db = Database(f"sqlite:///{path}")
    scope = Scope(None, "bench", Role.OFFICER)
    with db.session() as s:
        streets = s.execute(
            select(Building.street_id, func.count())
            .where(Building.status == "uncollected", Building.street_id.is_not(None))
            .group_by(Building.street_id)
            .having(func.count() >= 8)
        ).all()
        ratios, times, total, naive = [], [], 0.0, 0.0
        for street_id, _ in streets:
            lon, lat = s.execute(
                select(Building.lon, Building.lat)
                .where(Building.street_id == street_id, Building.status == "uncollected")
                .order_by(Building.id)
                .limit(1)
            ).one()
            t0 = time.perf_counter()
            answer = next_houses(s, scope, lon, lat, limit=10, street_id=street_id)
            times.append(time.perf_counter() - t0)
            tour = answer["tour"]
            ratios.append(tour["length_m"] / tour["naive_length_m"] if tour["naive_length_m"] else 1.0)
            total += tour["length_m"]
            naive += tour["naive_length_m"]
    db.dispose()
    return {"streets": len(ratios), "median_ratio": statistics.median(ratios), "total_km": total / 1000,
            "naive_km": naive / 1000, "best_ratio": min(ratios),
            "next_ms": statistics.median(times) * 1000,
            "next_p95_ms": float(np.percentile(times, 95) * 1000)}  # fmt: skip


def bench_browser(path: Path, repeat: int = 5) -> dict:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="bench"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    hook = """window.__drawn = new Promise(resolve => document.addEventListener('geoapp:loaded', e => {
        if (e.detail.kind === 'buildings') requestAnimationFrame(() => resolve(performance.now())); }));"""
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for username, label, viewport in (("fangu", "village_ms", {"width": 390, "height": 844}),
                                          ("officer", "town_ms", {"width": 1280, "height": 800})):  # fmt: skip
            context = browser.new_context(viewport=viewport)
            log_in_browser(context, base, username)
            times = []
            for _ in range(repeat + 1):
                page = context.new_page()
                page.add_init_script(hook)
                page.goto(base + "/")
                times.append(page.evaluate(DRAWN))
                page.close()
            out[label] = statistics.median(times[1:])
            context.close()
        browser.close()
    server.shutdown()
    app.extensions["geoapp.db"].dispose()
    return out


def report(layers: dict, tours: dict, browser: dict | None) -> str:
    rows = [
        "| figure | value | target | ratio |",
        "|---|---|---|---|",
        f"| house layer of 范固村 ({layers['village_houses']} houses), collector, server time (median of 15) | {layers['village_ms']:.1f} ms | < 50 ms | {layers['village_ms'] / 50:.2f} of budget |",
        f"| house layer of the whole town (10,831), officer (median of 15) | {layers['town_ms']:.1f} ms | < 100 ms | {layers['town_ms'] / 100:.2f} of budget |",
        f"| house submission with 6 people, round trip through the app (median of {layers['submissions']}; p95 {layers['submit_p95_ms']:.0f} ms) | {layers['submit_ms']:.1f} ms | < 100 ms | {layers['submit_ms'] / 100:.2f} of budget |",
        f"| visiting order on {tours['streets']} streets with 8+ uncollected houses, walking along the streets: tour vs naive nearest-neighbour chain | {tours['total_km']:.1f} km vs {tours['naive_km']:.1f} km | shorter | median ratio {tours['median_ratio']:.3f}, best {tours['best_ratio']:.3f} |",
        f"| nearest uncollected + visiting order for one street (network distances, up to 60 stops), server time | median {tours['next_ms']:.1f} ms, p95 {tours['next_p95_ms']:.1f} ms | | |",
    ]
    if browser:
        rows += [
            f"| 范固村 village map interactive on a 390×844 phone viewport (median of 5) | {browser['village_ms']:.0f} ms | < 1000 ms | {browser['village_ms'] / 1000:.2f} of budget |",
            f"| whole-town map interactive, 1280×800 (median of 5) | {browser['town_ms']:.0f} ms | < 1000 ms | {browser['town_ms'] / 1000:.2f} of budget |",
        ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", type=Path)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-bench-collect-"))
    try:
        path, fangu = setup(work)
        browser = None if args.skip_browser else bench_browser(path)
        layers = bench_layers_and_submission(path, fangu)
        tours = bench_tours(path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = report(layers, tours, browser)
    print(table)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        args.write.write_text(
            f"# Collector benchmarks\n\nMeasured {stamp} by `python bench/bench_collect.py` on this 2-core machine "
            "(shared and noisy: medians).\n\n" + table + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
