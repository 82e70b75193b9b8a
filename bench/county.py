"""A synthetic county as GIS files: 30 towns, 900 villages, 1,000,000 point houses, streets.

    .venv/bin/python bench/county.py OUT.gpkg [--houses 1000000] [--villages 900] [--towns 30]

Writes one GeoPackage with three layers, ``villages`` (polygons with 12-digit codes and
names), ``streets`` (lines with names) and ``buildings`` (points with door numbers, unique
within their village, so each house gets its own standard address). Villages lie on the
grid of ``bench_coverage.build_county`` (0.02° squares from 112°E 26°N), the houses are
spread the same way (a multinomial share per village, uniform inside it), so both
benchmarks describe the same county. ``geoapp import villages|streets|buildings OUT.gpkg
--layer …`` imports it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

SIZE = 0.02  # a village's side, in degrees (about 2 km)
STREETS_PER_VILLAGE = 4


def county_frames(
    houses: int = 1_000_000, villages: int = 900, towns: int = 30, seed: int = 9
) -> dict[str, gpd.GeoDataFrame]:
    """The county's villages, streets and houses (EPSG:4326 GeoDataFrames)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(villages)))
    cells = np.arange(villages)
    x0 = 112.0 + (cells % side) * SIZE
    y0 = 26.0 + (cells // side) * SIZE
    per_town = int(np.ceil(villages / towns))
    town = cells // per_town
    number = cells % per_town
    codes = [f"439901{t + 1:03d}{n + 1:03d}" for t, n in zip(town, number, strict=True)]
    names = [f"{t + 1}镇{n + 1}村" for t, n in zip(town, number, strict=True)]
    village_frame = gpd.GeoDataFrame(
        {"code": codes, "name": names},
        geometry=shapely.box(x0, y0, x0 + SIZE, y0 + SIZE),
        crs="EPSG:4326",
    )
    # Streets: east-west lanes across each village, evenly spaced.
    street_village = np.repeat(cells, STREETS_PER_VILLAGE)
    k = np.tile(np.arange(STREETS_PER_VILLAGE), villages)
    sy = y0[street_village] + (k + 0.5) * SIZE / STREETS_PER_VILLAGE
    sx0, sx1 = x0[street_village] + SIZE * 0.05, x0[street_village] + SIZE * 0.95
    lines = shapely.linestrings(np.stack([np.stack([sx0, sy], 1), np.stack([sx1, sy], 1)], 1))
    street_frame = gpd.GeoDataFrame(
        {
            "name": [f"{names[v]}{j + 1}巷" for v, j in zip(street_village, k, strict=True)],
            "kind": "lane",
        },
        geometry=lines,
        crs="EPSG:4326",
    )
    per_village = rng.multinomial(houses, np.full(villages, 1 / villages))
    village_of = np.repeat(cells, per_village)
    lon = x0[village_of] + (0.0005 + rng.random(houses) * (SIZE - 0.001))
    lat = y0[village_of] + (0.0005 + rng.random(houses) * (SIZE - 0.001))
    starts = np.repeat(np.cumsum(per_village) - per_village, per_village)
    door = np.arange(houses) - starts + 1  # 1..n within each village
    house_frame = gpd.GeoDataFrame(
        {
            "door_no": np.char.add(door.astype(str), "号"),
            "use": "dwelling",
            "floors": rng.integers(1, 6, houses),
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )
    return {"villages": village_frame, "streets": street_frame, "buildings": house_frame}


def write_county(path: Path, houses: int = 1_000_000, villages: int = 900, towns: int = 30) -> Path:
    """Write the county to ``path`` (a GeoPackage) unless it is already there with as many houses."""
    import pyogrio

    path = Path(path)
    if path.exists():
        try:
            if pyogrio.read_info(path, layer="buildings")["features"] == houses:
                return path
        except Exception:  # a broken or partial file: write it again
            pass
        path.unlink()
    tmp = path.with_suffix(".part.gpkg")
    tmp.unlink(missing_ok=True)
    for layer, frame in county_frames(houses, villages, towns).items():
        pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG", append=tmp.exists())
    tmp.rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--houses", type=int, default=1_000_000)
    parser.add_argument("--villages", type=int, default=900)
    parser.add_argument("--towns", type=int, default=30)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    write_county(args.out, args.houses, args.villages, args.towns)
    print(f"{args.out}: {args.houses:,} houses in {args.villages} villages, {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
