"""Foundation benchmark: prints figures and ratios against baselines measured in the same run.

    .venv/bin/python bench/bench_foundation.py [--write docs/benchmarks.md] [--skip-browser] [--postgis]

1. `geoapp demo` build time (blank and mid-campaign) on a SQLite file.
2. GeoJSON for all 10,831 houses: median server time of repeated requests and size,
   next to the ordinary folium page (every house embedded, drawn as canvas circle markers).
3. The map interactive in headless Chromium: ours (fetch + canvas) vs the ordinary folium page
   (``bench_map.py`` measures the two side by side, with a profile of the app's page).
4. Spatial join of 100,000 building points to the 28 villages (throughput), and a full
   import of 100,000 points from a GeoPackage in CGCS2000 / Gauss-Kruger (EPSG:4547).
5. With --postgis: the demo build and the whole-town GeoJSON again on a PostGIS server
   started for the run (the one the tests use), next to the SQLite figures.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import BENCH_USER, add_officer, log_in_browser, log_in_client  # noqa: E402

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.domain.roles import Role, Scope  # noqa: E402
from geoapp.domain.tasks import read_task_table  # noqa: E402
from geoapp.services.demo.build import build_demo  # noqa: E402
from geoapp.services.gis_io.exporter import layer_frames  # noqa: E402
from geoapp.services.gis_io.importer import import_layer  # noqa: E402
from geoapp.services.gis_io.layers import buildings_geojson  # noqa: E402
from geoapp.spatial.assign import assign_to_polygons  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402

TASKS = read_task_table(ROOT / "gis_data" / "task_table.csv")


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def fresh_db(directory: Path, name: str) -> Database:
    db = Database(f"sqlite:///{directory / name}")
    upgrade(db.engine)
    return db


def bench_demo(work: Path) -> tuple[dict, Path]:
    rows = {}
    for state in ("blank", "mid"):
        db = fresh_db(work, f"demo-{state}.sqlite")
        t0 = time.perf_counter()
        build_demo(db, TASKS, state=state)
        rows[state] = time.perf_counter() - t0
        db.dispose()
    return rows, work / "demo-mid.sqlite"


def naive_folium_html(db: Database) -> str:
    """The folium page anyone who knows folium would write (``bench_map.folium_page``):
    every house embedded as GeoJSON and drawn on one canvas as a circle marker."""
    from bench_map import folium_page

    return folium_page(db)


# Wait for the houses to be drawn, but never for ever.
DRAWN = """() => Promise.race([window.__drawn,
    new Promise((_, reject) => setTimeout(() => reject(new Error("houses not drawn in 60 s")), 60000))])"""


def logged_in_client(app):
    return log_in_client(app.test_client())


def bench_geojson(url: str, repeat: int = 15, *, naive: bool = True) -> dict:
    app = create_app(Settings(database_url=url, secret_key="bench"))
    db = app.extensions["geoapp.db"]
    add_officer(db)
    client = logged_in_client(app)
    client.get("/api/buildings.geojson")  # warm caches
    request_times = timed(lambda: client.get("/api/buildings.geojson"), repeat)
    size = len(client.get("/api/buildings.geojson").data)
    scope = Scope(None, BENCH_USER, Role.OFFICER)
    with db.session() as s:
        service_times = timed(lambda: buildings_geojson(s, scope), repeat)
    naive_times, naive_html = [], ""
    for _ in range(3 if naive else 0):
        t0 = time.perf_counter()
        naive_html = naive_folium_html(db)
        naive_times.append(time.perf_counter() - t0)
    page_size = len(client.get("/").data)
    app.extensions["geoapp.db"].dispose()
    return {
        "request_ms": statistics.median(request_times) * 1000,
        "service_ms": statistics.median(service_times) * 1000,
        "geojson_bytes": size,
        "page_bytes": page_size,
        "naive_ms": statistics.median(naive_times) * 1000 if naive_times else None,
        "naive_bytes": len(naive_html.encode()),
        "naive_html": naive_html,
    }


def bench_browser(db_path: Path, naive_html: str, repeat: int = 5) -> dict:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    app = create_app(Settings(database_url=f"sqlite:///{db_path}", secret_key="bench"))

    def dispatcher(environ, start_response):
        if environ["PATH_INFO"] == "/naive.html":
            return Response(naive_html, mimetype="text/html")(environ, start_response)
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    ours, naive = [], []
    hook = """
        window.__drawn = new Promise(resolve => {
          const frame = () => requestAnimationFrame(() => resolve(performance.now()));
          document.addEventListener('geoapp:loaded', e => { if (e.detail.kind === 'buildings') frame(); });
          if (location.pathname === '/naive.html') window.addEventListener('load', frame);
        });
    """
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        log_in_browser(context, base)
        for url, out in ((base + "/", ours), (base + "/naive.html", naive)):
            for _ in range(repeat + 1):
                page = context.new_page()
                page.add_init_script(hook)
                page.goto(url)
                out.append(page.evaluate(DRAWN))
                page.close()
            out.pop(0)  # first run warms the browser cache
        browser.close()
    server.shutdown()
    app.extensions["geoapp.db"].dispose()
    return {"ours_ms": statistics.median(ours), "naive_ms": statistics.median(naive)}


def random_points_in(polygons: np.ndarray, n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    town = shapely.union_all(polygons)
    minx, miny, maxx, maxy = town.bounds
    xy = rng.uniform((minx, miny), (maxx, maxy), size=(int(n * 1.6), 2))
    pts = shapely.points(xy)
    pts = pts[shapely.contains_xy(town, xy[:, 0], xy[:, 1])]
    return pts[:n]


def bench_spatial(db_path: Path, work: Path, n: int = 100_000) -> dict:
    db = Database(f"sqlite:///{db_path}")
    with db.session() as s:
        villages = layer_frames(s)["villages"]
    db.dispose()
    polygons = np.asarray(villages.geometry.values)
    points = random_points_in(polygons, n)
    join = timed(lambda: assign_to_polygons(points, polygons), 5)
    # A full import: file in EPSG:4547 → read, reproject, assign, fronting street, store.
    gpkg = work / "points-100k.gpkg"
    frame = gpd.GeoDataFrame({"door_no": [f"{i}" for i in range(len(points))]}, geometry=points, crs=4326)
    frame.to_crs(4547).to_file(gpkg, driver="GPKG", engine="pyogrio")
    copy = work / "import.sqlite"
    shutil.copy(db_path, copy)
    target = Database(f"sqlite:///{copy}")
    t0 = time.perf_counter()
    summary = import_layer(target, "buildings", gpkg)
    import_s = time.perf_counter() - t0
    target.dispose()
    return {
        "points": len(points),
        "join_ms": statistics.median(join) * 1000,
        "join_per_s": len(points) / statistics.median(join),
        "import_s": import_s,
        "import_per_s": summary.inserted / import_s,
        "inserted": summary.inserted,
    }


def bench_postgis() -> dict:
    """The demo town and the whole-town GeoJSON on a PostGIS server started for the run."""
    from tests.pg_server import PgServer, create_postgis_database

    server = PgServer()
    try:
        url = create_postgis_database(server.start(), "bench")
        db = Database(url)
        upgrade(db.engine)
        t0 = time.perf_counter()
        build_demo(db, TASKS, state="mid")
        demo_s = time.perf_counter() - t0
        db.dispose()
        return {"demo_s": demo_s, **bench_geojson(url, naive=False)}
    finally:
        server.stop()


def report(demo: dict, gj: dict, browser: dict | None, spatial: dict, pg: dict | None = None) -> str:
    lines = [
        "| figure | value | baseline / target | ratio |",
        "|---|---|---|---|",
        f"| `geoapp demo --state blank` (10,831 houses) | {demo['blank']:.1f} s | target < 30 s | {demo['blank'] / 30:.2f} of budget |",
        f"| `geoapp demo --state mid` (+ households, people) | {demo['mid']:.1f} s | target < 30 s | {demo['mid'] / 30:.2f} of budget |",
        f"| GeoJSON of all houses, server time per request (median) | {gj['request_ms']:.0f} ms | target < 100 ms | {gj['request_ms'] / 100:.2f} of budget |",
        f"| … of which building the GeoJSON (service) | {gj['service_ms']:.0f} ms | | |",
        f"| GeoJSON size | {gj['geojson_bytes'] / 1e6:.2f} MB | | |",
        f"| map page HTML (features fetched, not embedded) | {gj['page_bytes'] / 1e3:.1f} kB | ordinary folium page {gj['naive_bytes'] / 1e6:.2f} MB | {gj['naive_bytes'] / gj['page_bytes']:.0f}× smaller |",
        f"| building the page server-side | GeoJSON {gj['request_ms']:.0f} ms | ordinary folium render {gj['naive_ms']:.0f} ms | {gj['naive_ms'] / gj['request_ms']:.1f}× faster |",
    ]
    if browser:
        lines.append(
            f"| whole town interactive in headless Chromium (median of 5) | {browser['ours_ms']:.0f} ms | ordinary folium page (`prefer_canvas`, `CircleMarker`) {browser['naive_ms']:.0f} ms; target < 1000 ms | {browser['naive_ms'] / browser['ours_ms']:.2f}× |"
        )
    lines += [
        f"| spatial join: {spatial['points']:,} points → 28 villages | {spatial['join_ms']:.0f} ms = {spatial['join_per_s']:,.0f} points/s | target > 100,000/s | {spatial['join_per_s'] / 100_000:.1f}× target |",
        f"| full import of {spatial['inserted']:,} points (GPKG, EPSG:4547 → lon/lat, village, fronting street, stored) | {spatial['import_s']:.1f} s = {spatial['import_per_s']:,.0f} points/s | | |",
    ]
    if pg:
        lines += [
            f"| PostGIS: `geoapp demo --state mid` | {pg['demo_s']:.1f} s | SQLite {demo['mid']:.1f} s | {pg['demo_s'] / demo['mid']:.1f}× |",
            f"| PostGIS: GeoJSON of all houses, server time per request (median) | {pg['request_ms']:.0f} ms | SQLite {gj['request_ms']:.0f} ms; target < 100 ms | {pg['request_ms'] / 100:.2f} of budget |",
            f"| PostGIS: … of which building the GeoJSON (service) | {pg['service_ms']:.0f} ms | SQLite {gj['service_ms']:.0f} ms | {pg['service_ms'] / gj['service_ms']:.1f}× |",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument(
        "--postgis", action="store_true", help="also measure on a PostGIS server started for the run"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-bench-"))
    try:
        demo, db_path = bench_demo(work)
        gj = bench_geojson(f"sqlite:///{db_path}")
        browser = None if args.skip_browser else bench_browser(db_path, gj["naive_html"])
        spatial = bench_spatial(db_path, work)
        pg = bench_postgis() if args.postgis else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = report(demo, gj, browser, spatial, pg)
    print(table)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        args.write.write_text(
            f"# Benchmarks\n\nMeasured {stamp} by `python bench/bench_foundation.py` on this 2-core machine "
            "(shared and noisy: medians, and ratios against baselines measured in the same run).\n\n"
            + table
            + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
