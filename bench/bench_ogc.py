"""OGC API – Features benchmark (issue 12): the buildings items endpoint at page size
1,000 next to pyogrio reading the same features from a GeoPackage, measured in the same run.

    .venv/bin/python bench/bench_ogc.py [--write docs/benchmarks-ogc.md] [--postgis] [--repeat 5]

On the demo town (10,831 houses, mid-campaign) on a SQLite file, and with --postgis on
a PostGIS server started for the run:
- ``GET /ogc/collections/buildings/items?limit=1000&offset=…``, server time through the
  app (WSGI, an officer's API token), each page of the layer: median and p95 per page,
  and the whole layer page after page;
- GDAL's OAPIF driver (pyogrio, another process) reading the whole collection from the
  app served on 127.0.0.1 (HTTP, GeoJSON parsing included);
- baseline: pyogrio reading the same features (same properties, written from the API's
  answer) from a GeoPackage, 1,000 at a time (``skip_features``/``max_features``) and
  the whole layer at once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.domain.tasks import read_task_table  # noqa: E402
from geoapp.services.accounts.passwords import make_hasher  # noqa: E402
from geoapp.services.accounts.sessions import create_token  # noqa: E402
from geoapp.services.demo.build import build_demo  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402
from geoapp.store.models import User  # noqa: E402

PAGE = 1000
TASKS = read_task_table(ROOT / "gis_data" / "task_table.csv")


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1000, out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def prepare(url: str) -> str:
    """The demo town at ``url`` and an officer's API token."""
    database = Database(url)
    upgrade(database.engine)
    build_demo(database, TASKS, state="mid")
    with database.write() as s:
        user = User(username="bench-officer", name="bench", role="officer",
                    password_hash=make_hasher(1, 8192).hash("x" * 12), must_change_password=False)  # fmt: skip
        s.add(user)
        s.flush()
        _, raw = create_token(s, user, "bench")
    database.dispose()
    return raw


def run_backend(label: str, url: str, work: Path, args, lines: list[str]) -> None:
    token = prepare(url)
    app = create_app(Settings(database_url=url, secret_key="bench", test_mode=False))
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    first = client.get(f"/ogc/collections/buildings/items?limit={PAGE}", headers=bearer).get_json()
    total = first["numberMatched"]
    offsets = list(range(0, total, PAGE))

    def page(offset: int) -> dict:
        r = client.get(f"/ogc/collections/buildings/items?limit={PAGE}&offset={offset}", headers=bearer)
        assert r.status_code == 200, r.data[:300]
        return r.get_json()

    per_page: list[float] = []
    whole: list[float] = []
    features: list[dict] = []
    for rep in range(args.repeat):
        t0 = time.perf_counter()
        for offset in offsets:
            ms, answer = timed(lambda offset=offset: page(offset))
            per_page.append(ms)
            if rep == 0:
                features += answer["features"]
        whole.append((time.perf_counter() - t0) * 1000)
    assert len(features) == total

    # The same features, written once to a GeoPackage.
    frame = gpd.GeoDataFrame(
        [f["properties"] for f in features],
        geometry=[shapely.geometry.shape(f["geometry"]) for f in features],
        crs="OGC:CRS84",
    )
    frame.index = [f["id"] for f in features]
    gpkg = work / f"buildings-{label}.gpkg"
    frame.to_file(gpkg, layer="buildings", driver="GPKG", engine="pyogrio")
    gp_page: list[float] = []
    gp_whole: list[float] = []
    for _ in range(args.repeat):
        for offset in offsets:
            ms, got = timed(
                lambda offset=offset: pyogrio.read_dataframe(
                    gpkg, layer="buildings", skip_features=offset, max_features=PAGE
                )
            )
            gp_page.append(ms)
        ms, got = timed(lambda: pyogrio.read_dataframe(gpkg, layer="buildings"))
        gp_whole.append(ms)
    assert len(got) == total

    # GDAL's OAPIF client reading the whole collection from the app over HTTP.
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    oapif: list[float] = []
    code = (
        "import sys, pyogrio; pyogrio.set_gdal_config_options({'GDAL_HTTP_AUTH': 'BEARER', "
        "'GDAL_HTTP_BEARER': sys.argv[2]}); "
        f"f = pyogrio.read_dataframe('OAPIF:' + sys.argv[1], layer='buildings', open_options={{'PAGE_SIZE': '{PAGE}'}}); "
        "print(len(f))"
    )
    try:
        for _ in range(max(1, args.repeat // 2)):
            ms, run = timed(
                lambda: subprocess.run(
                    [sys.executable, "-c", code, f"http://127.0.0.1:{server.server_port}/ogc", token],
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
            )
            assert run.returncode == 0 and int(run.stdout.strip()) == total, run.stderr[-2000:]
            oapif.append(ms)
    finally:
        server.shutdown()
    app.extensions["geoapp.db"].dispose()

    med, gp_med = statistics.median(per_page), statistics.median(gp_page)
    lines.append(
        f"| {label}: `GET …/buildings/items?limit=1000`, server time per page (median / p95) "
        f"| {med:.0f} / {p95(per_page):.0f} ms | pyogrio from a GeoPackage, 1,000 features "
        f"{gp_med:.0f} / {p95(gp_page):.0f} ms | {med / gp_med:.1f}× the baseline |"
    )
    w, gw = statistics.median(whole), statistics.median(gp_whole)
    lines.append(
        f"| {label}: all {total:,} houses, {len(offsets)} pages of 1,000 (median) | {w:.0f} ms "
        f"| pyogrio, whole layer from a GeoPackage {gw:.0f} ms | {w / gw:.1f}× the baseline |"
    )
    o = statistics.median(oapif)
    lines.append(
        f"| {label}: GDAL OAPIF client (pyogrio) reading all {total:,} houses from the app over HTTP "
        f"(median, process start included) | {o:.0f} ms | pyogrio, whole layer from a GeoPackage "
        f"{gw:.0f} ms | {o / gw:.1f}× the baseline |"
    )
    print("\n".join(lines[-3:]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--postgis", action="store_true", help="also on a PostGIS server started for the run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="geoapp-bench-ogc-"))
    lines = ["| figure | value | baseline | ratio |", "|---|---|---|---|"]
    server = None
    try:
        run_backend("SQLite", f"sqlite:///{work / 'town.sqlite'}", work, args, lines)
        if args.postgis:
            from tests.pg_server import PgServer, create_postgis_database

            server = PgServer()
            base = server.start()
            run_backend("PostGIS", create_postgis_database(base, "bench_ogc"), work, args, lines)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    table = "\n".join(lines)
    print(table)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        args.write.write_text(
            f"# OGC API – Features benchmark\n\nMeasured {stamp} by `python bench/bench_ogc.py"
            f"{' --postgis' if args.postgis else ''} --repeat {args.repeat}` on this 2-core machine (shared "
            f"with other work and noisy: medians, and ratios against a baseline measured in the same run; "
            f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end).\n\n"
            + table
            + "\n\n"
            + NOTES,
            encoding="utf-8",
        )


NOTES = """\
What is measured: the demo town's 10,831 houses (points and footprints) with the
properties the OGC collection gives (address, door number, street, village, use,
floors, structure, status). "Server time" is the app's own time per request through
WSGI (the query, its count for `numberMatched`, the GeoJSON encoding, the token check),
no network. The GDAL OAPIF line is a real client: a new Python process with pyogrio
reading the collection page after page (1,000 a page) from the app on 127.0.0.1, as
QGIS or ogr2ogr would. The baseline reads the same features from a GeoPackage
written from the API's answer: a local file read is the floor any web service is
compared with, not a competitor.

Not measured here: a county-sized layer (the county generator is issue 12, part 2);
each page's cost is dominated by the `numberMatched` count and the page's `OFFSET`,
which grow with the layer (keyset paging by id would remove the offset cost).
"""


if __name__ == "__main__":
    main()
