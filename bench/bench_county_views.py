"""County map views (issue 12, part 1): view queries on a synthetic county, next to GDAL.

    PYTHONPATH=. .venv/bin/python bench/bench_county_views.py [--houses 1000000] [--postgis] [--skip-sqlite]

The county of ``bench_coverage.build_county`` (900 villages on a grid, 1,000,000 houses,
mid-campaign), built once per backend. For each backend, over the same random views:
- street level (a 1280×800 screen at zoom 17, about 0.011° × 0.007°): the houses' GeoJSON
  the map loads (``buildings_geojson`` with ``bbox``);
- county level (zoom 9 to 12, the whole county down to a town): the houses counted per
  square cell and status (``house_bins``), what the map draws when a view holds too many;
- county level at zoom 9 to 11 (what the map draws there now): each village with its houses
  by status from the kept tallies (``village_progress``), next to the squares over the
  same views;
- the ETag of a layer (the change counters read: what a 304 costs before the answer);
each as p50/p95 of the service call. Baseline, same views, same run: GDAL through pyogrio
reading the view from a GeoPackage of the same houses (and, for county views, grouping
the points read into the same cells with numpy).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_coverage import build_county  # noqa: E402

from geoapp.domain.roles import Role, Scope  # noqa: E402
from geoapp.services.gis_io.aggregates import (  # noqa: E402
    KeptOutlines,
    cell_degrees,
    house_bins,
    village_progress,
)
from geoapp.services.gis_io.layers import (  # noqa: E402
    buildings_geojson,
    layer_etag,
    village_counts,
    villages_geojson,
)
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402

OFFICER = Scope(None, "bench-officer", Role.OFFICER)
GROUPED = text(
    "SELECT village_id, COUNT(*), SUM(CASE WHEN status <> 'uncollected' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN status = 'verified' THEN 1 ELSE 0 END) FROM building GROUP BY village_id"
)
COUNTY = (112.0, 26.0, 112.6, 26.6)  # build_county's grid: 30 × 30 villages of 0.02°
STREET = (0.011, 0.0069)  # 1280 × 800 px at zoom 17
COUNTY_ZOOMS = {9: (1.0, 0.62), 10: (0.5, 0.31), 11: (0.25, 0.16), 12: (0.125, 0.078)}
VILLAGE_ZOOM = 11  # maps/town.py COUNTY_ZOOM: at or below it the map draws the villages


def views(rng, size, n):
    w, h = size
    x = rng.uniform(COUNTY[0], max(COUNTY[0], COUNTY[2] - w), n)
    y = rng.uniform(COUNTY[1], max(COUNTY[1], COUNTY[3] - h), n)
    return [(float(a), float(b), float(a + w), float(b + h)) for a, b in zip(x, y, strict=True)]


def pct(times):
    a = np.asarray(times) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def timed(fn, items):
    out, result = [], None
    for item in items:
        t0 = time.perf_counter()
        result = fn(item)
        out.append(time.perf_counter() - t0)
    return out, result


def export_gpkg(db: Database, path: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    frame = pd.read_sql("SELECT id, status, lon, lat FROM building", db.engine)
    gdf = gpd.GeoDataFrame(frame[["id", "status"]], geometry=shapely.points(frame.lon, frame.lat), crs=4326)
    gdf.to_file(path, driver="GPKG", engine="pyogrio")  # with its R-tree spatial index


def gdal_bins(path: Path, bbox, zoom):
    import pyogrio

    frame = pyogrio.read_dataframe(path, bbox=bbox, columns=["status"])
    size = cell_degrees(zoom)
    xy = np.column_stack([frame.geometry.x.values, frame.geometry.y.values])
    gx = np.floor((xy[:, 0] + 180) / size).astype(np.int64)
    gy = np.floor((xy[:, 1] + 90) / size).astype(np.int64)
    codes, _ = frame["status"].factorize()
    keys = np.unique(np.column_stack([gx, gy, codes]), axis=0, return_counts=True)
    return len(keys[1])


def measure(db: Database, gpkg: Path, seed: int = 5) -> dict:
    import pyogrio

    rng = np.random.default_rng(seed)
    out = {}
    street = views(rng, STREET, 60)
    with db.session() as s:
        buildings_geojson(s, OFFICER, bbox=street[0])  # warm
        t, _ = timed(lambda b: buildings_geojson(s, OFFICER, bbox=b), street)
        out["street"] = pct(t)
        sizes = [len(buildings_geojson(s, OFFICER, bbox=b)) for b in street[:10]]
        out["street_kb"] = float(np.median(sizes)) / 1000
        kept = KeptOutlines()
        for zoom, size in COUNTY_ZOOMS.items():
            boxes = views(rng, size, 12 if zoom <= 10 else 20)
            t, _ = timed(lambda b, zoom=zoom: house_bins(s, OFFICER, bbox=b, zoom=zoom), boxes)
            out[f"bins{zoom}"] = pct(t)
            out[f"bins{zoom}_cells"] = len(house_bins(s, OFFICER, bbox=boxes[0], zoom=zoom))
            t, _ = timed(lambda b, zoom=zoom: gdal_bins(gpkg, b, zoom), boxes)
            out[f"gdal_bins{zoom}"] = pct(t)
            if zoom <= VILLAGE_ZOOM:
                village_progress(s, OFFICER, bbox=boxes[0], kept=kept)  # warm: outlines kept, as the app does
                t, _ = timed(lambda b: village_progress(s, OFFICER, bbox=b, kept=kept), boxes)
                out[f"villages{zoom}"] = pct(t)
                out[f"villages{zoom}_n"] = len(
                    orjson.loads(village_progress(s, OFFICER, bbox=boxes[0], kept=kept))["features"]
                )
        whole = orjson.loads(village_progress(s, OFFICER, bbox=None))["features"]
        collected = s.scalar(text("SELECT COUNT(*) FROM building WHERE status <> 'uncollected'"))
        assert sum(f["properties"]["c"] for f in whole) == collected, "the tallies differ from the houses"
        t, _ = timed(lambda _: layer_etag(s, OFFICER, ("building",), b"bbox=1"), range(200))
        out["etag"] = pct(t)
        # The villages' outline layer (``/api/villages.geojson``), built whole: its counts from
        # the tally and the village index, against grouping every house's status (how it
        # counted before) in the same run.
        t, answer = timed(lambda _: villages_geojson(s), range(5))
        out["village_layer"] = pct(t)
        t, _ = timed(lambda _: s.execute(select(village_counts())).all(), range(5))
        out["village_counts"] = pct(t)
        t, grouped = timed(lambda _: s.execute(GROUPED).all(), range(5))
        out["village_layer_grouped"] = pct(t)
        served = {f["id"]: f["properties"] for f in orjson.loads(answer)["features"]}
        assert all(
            (served[vid]["houses"], served[vid]["collected"], served[vid]["verified"]) == (n, c, v)
            for vid, n, c, v in grouped
            if vid in served
        ), "the villages layer's counts differ from the houses grouped afresh"
    pyogrio.read_dataframe(gpkg, bbox=street[0])
    t, _ = timed(lambda b: pyogrio.read_dataframe(gpkg, bbox=b), street)
    out["gdal_street"] = pct(t)
    return out


def rows(label: str, built: dict, m: dict) -> list[str]:
    def cell(key):
        return f"{m[key][0]:.0f} / {m[key][1]:.0f} ms"

    def ratio(ours, base):
        return (
            f"{m[base][0] / m[ours][0]:.1f}× faster (p50)"
            if m[ours][0] < m[base][0]
            else f"{m[ours][0] / m[base][0]:.1f}× slower (p50)"
        )

    out = [
        f"| {label}: county built ({built['villages']} villages, {built['houses']:,} houses) | {built['seconds']:.0f} s | | |",
        f"| {label}: street view (zoom 17, 60 views): houses' GeoJSON, p50 / p95 | {cell('street')} (median {m['street_kb']:.0f} kB) | GDAL (pyogrio) reading the view from a GeoPackage {cell('gdal_street')} | {ratio('street', 'gdal_street')} |",
    ]
    for zoom in COUNTY_ZOOMS:
        out.append(
            f"| {label}: county view zoom {zoom} ({COUNTY_ZOOMS[zoom][0]}° wide): houses per cell and status, p50 / p95 | {cell(f'bins{zoom}')} | GDAL reading the view + numpy grouping {cell(f'gdal_bins{zoom}')} | {ratio(f'bins{zoom}', f'gdal_bins{zoom}')} |"
        )
    for zoom in COUNTY_ZOOMS:
        if f"villages{zoom}" in m:
            out.append(
                f"| {label}: county view zoom {zoom}: villages coloured by progress (`village_progress`, kept tallies; {m[f'villages{zoom}_n']} villages in the first view), p50 / p95 | {cell(f'villages{zoom}')} | squares over the same views (above) {cell(f'bins{zoom}')}; GDAL {cell(f'gdal_bins{zoom}')} | {ratio(f'villages{zoom}', f'bins{zoom}')} than the squares, {ratio(f'villages{zoom}', f'gdal_bins{zoom}')} than GDAL |"
            )
    out.append(
        f"| {label}: a layer's ETag (change counters read), p50 / p95 | {m['etag'][0]:.2f} / {m['etag'][1]:.2f} ms | | |"
    )
    out.append(
        f"| {label}: the villages' outline layer's counts (`village_counts`: the tally and the village index), p50 / p95 of 5 | {cell('village_counts')} | grouping every house's status by village (how it counted before) {cell('village_layer_grouped')} | {ratio('village_counts', 'village_layer_grouped')} |"
    )
    out.append(
        f"| {label}: the villages' outline layer whole (`villages_geojson`, outlines, labels and counts), p50 / p95 of 5 | {cell('village_layer')} | | |"
    )
    return out


def run(label: str, url: str, houses: int, work: Path, lines: list[str]) -> None:
    db = Database(url)
    upgrade(db.engine)
    built = build_county(db, houses=houses)
    print(f"{label}: county built in {built['seconds']:.0f} s", flush=True)
    gpkg = work / f"county-{label}.gpkg"
    export_gpkg(db, gpkg)
    lines += rows(label, built, measure(db, gpkg))
    db.dispose()
    print("\n".join(lines[-10:]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--houses", type=int, default=1_000_000)
    parser.add_argument("--postgis", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-county-views-"))
    lines = ["| figure | ours | baseline (same run) | ratio |", "|---|---|---|---|"]
    server = None
    load = os.getloadavg()[0]
    try:
        if not args.skip_sqlite:
            run("SQLite", f"sqlite:///{work / 'county.sqlite'}", args.houses, work, lines)
        if args.postgis:
            from tests.pg_server import PgServer, create_postgis_database

            server = PgServer()
            run("PostGIS", create_postgis_database(server.start(), "county"), args.houses, work, lines)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
