"""Validating and repairing the footprints of a real-world file before storing (issue 12 part 3).

N footprints (default 200,000) of which 2.5 % self-intersect at one corner, as in the
OpenStreetMap extract that was refused whole; timed: the validation every import runs
(safe repairs only) against the same with --repair (make_valid of the invalid ones, areas
measured in a metric CRS), medians of 3 runs in the same process.

    PYTHONPATH=. .venv/bin/python bench/bench_repair.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time

import geopandas as gpd
import numpy as np
import shapely

from geoapp.domain.layers import spec
from geoapp.services.gis_io.importer.job import ImportOptions, ImportSummary, Job
from geoapp.services.gis_io.importer.validity import check_geometries
from geoapp.spatial.repair import repair

SQUARE = np.array([(0, 0), (20, 0), (20, 10), (0, 10), (0, 0)], dtype=float)
TWISTED = np.array([(0, 0), (20, 0), (19, 10), (20, 9), (0, 10), (0, 0)], dtype=float)


def footprints(n: int, share: float = 0.025) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(12)
    x0 = 114.0 + rng.random(n) * 0.1
    y0 = 27.1 + rng.random(n) * 0.1
    twisted = rng.random(n) < share
    geoms = np.empty(n, dtype=object)
    geoms[~twisted] = shapely.polygons(SQUARE[None] * 1e-5 + np.c_[x0, y0][~twisted, None, :])
    geoms[twisted] = shapely.polygons(TWISTED[None] * 1e-5 + np.c_[x0, y0][twisted, None, :])
    index = np.arange(1, n + 1)
    return gpd.GeoDataFrame({"osm_id": index}, geometry=geoms, index=index, crs=4326)


def run(frame: gpd.GeoDataFrame, options: ImportOptions) -> tuple[float, ImportSummary]:
    summary = ImportSummary("buildings", "bench.gpkg", "GeoPackage", "EPSG:4326", len(frame))
    job = Job(spec("buildings"), "bench.gpkg", frame.copy(), options, summary, None)
    start = time.perf_counter()
    check_geometries(job, [])
    return time.perf_counter() - start, summary


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    frame = footprints(n)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        repair(geoms)
        times.append(time.perf_counter() - start)
    baseline = statistics.median(times)
    print(
        f"baseline, the safe-repair check every import ran before (spatial.repair.repair): median {baseline:.2f} s"
    )
    for label, options in (
        ("validation, invalid ones left out (--skip-invalid)", ImportOptions(skip_invalid=True)),
        ("validation + --repair", ImportOptions(repair=True)),
    ):
        times, summary = [], None
        for _ in range(3):
            t, summary = run(frame, options)
            times.append(t)
        median = statistics.median(times)
        print(
            f"{label}: {n:,} footprints, median {median:.2f} s ({n / median:,.0f}/s); "
            f"{median / baseline:.2f}× the baseline; repaired {len(summary.repaired):,}, left out {len(summary.invalid):,}"
        )


if __name__ == "__main__":
    main()
