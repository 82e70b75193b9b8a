"""County import benchmark (issue 12 part 2): time, houses/s and peak memory of importing the
synthetic county's houses with ``geoapp import``, next to baselines measured in the same run.

    .venv/bin/python bench/bench_import.py [--postgis] [--skip-sqlite] [--houses 1000000]
                                           [--old-houses 100000] [--write docs/benchmarks-county.md]

For each backend: a fresh database, ``geoapp import villages`` and ``streets``, then
``geoapp import buildings`` in a subprocess (the real command, its progress bar included),
timed from outside; its peak RSS is the child's ``ru_maxrss``. Baselines in the same run:
pyogrio reading the houses' layer alone, the spatial join alone (village of each house,
STRtree), and the row-by-row store it replaces (one SQLAlchemy parameter dict per row, 500
rows per INSERT: the path before this change) on ``--old-houses`` houses.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from county import write_county  # noqa: E402

# The store before the bulk path, for the baseline: one parameter dict per row, 500 per INSERT.
OLD_STORE = """
import sys
from sqlalchemy import insert
from geoapp.store import bulk

def old_insert(connection, table, columns, *, geometry="geom", progress=None, idle_triggers=(), chunk=None):
    names = list(columns)
    total = len(columns[names[0]])
    rows = [dict(zip(names, values)) for values in zip(*(list(columns[n]) for n in names))]
    for row in rows:
        for k in ("village_id", "version"):
            row[k] = int(row[k])
        for k in ("lon", "lat", "minx", "miny", "maxx", "maxy"):
            row[k] = float(row[k])
    for start in range(0, total, 500):
        connection.execute(insert(table), rows[start : start + 500])
        if progress:
            progress(min(start + 500, total), total)
    return total

bulk.insert_columns = old_insert
from geoapp.cli import main
sys.argv = ["geoapp", *sys.argv[1:]]
main()
"""
NEW_STORE = "import sys\nfrom geoapp.cli import main\nsys.argv = ['geoapp', *sys.argv[1:]]\nmain()\n"


def geoapp(url: str, *args: str, code: str = NEW_STORE) -> tuple[float, float]:
    """Run ``geoapp ARGS`` on ``url`` in a subprocess: (seconds, peak RSS in MB)."""
    env = {**os.environ, "GEOAPP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"geoapp {' '.join(args)} failed:\n{out}\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def fresh(url_for, name: str) -> str:
    from geoapp.store.db import Database
    from geoapp.store.migrate import upgrade

    url = url_for(name)
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    return url


def import_county(url: str, path: Path, code: str = NEW_STORE) -> dict:
    for layer in ("villages", "streets"):
        geoapp(url, "import", layer, str(path), "--layer", layer)
    seconds, rss = geoapp(url, "import", "buildings", str(path), "--layer", "buildings", code=code)
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as c:
        houses = c.execute(text("SELECT count(*) FROM building")).scalar()
        if engine.dialect.name == "sqlite":
            assert c.execute(text("SELECT rtreecheck('rtree_building')")).scalar() == "ok"
            assert c.execute(text("SELECT count(*) FROM rtree_building")).scalar() == houses
    engine.dispose()
    return {"seconds": seconds, "rss_mb": rss, "houses": houses}


def baselines(path: Path) -> dict:
    """pyogrio reading the houses alone; the village of each house alone (STRtree join)."""
    import numpy as np
    import pyogrio

    from geoapp.spatial.assign import assign_to_polygons

    t0 = time.perf_counter()
    houses = pyogrio.read_dataframe(path, layer="buildings")
    read = time.perf_counter() - t0
    villages = pyogrio.read_dataframe(path, layer="villages")
    t0 = time.perf_counter()
    found = assign_to_polygons(np.asarray(houses.geometry.values), np.asarray(villages.geometry.values))
    join = time.perf_counter() - t0
    assert (found >= 0).all()
    return {"read_s": read, "join_s": join, "houses": len(houses)}


def run_backend(label: str, url_for, args, work: Path, lines: list[str]) -> None:
    big = write_county(work / f"county-{args.houses}.gpkg", args.houses)
    small = write_county(work / f"county-{args.old_houses}.gpkg", args.old_houses)
    base = baselines(big)
    new = import_county(fresh(url_for, f"new{args.houses}"), big)
    assert new["houses"] == args.houses, new
    new_small = import_county(fresh(url_for, f"new{args.old_houses}"), small)
    old_small = import_county(fresh(url_for, f"old{args.old_houses}"), small, code=OLD_STORE)
    rate = new["houses"] / new["seconds"]
    print(label, base, new, new_small, old_small, flush=True)
    lines += [
        f"| {label}: `geoapp import buildings`, {new['houses']:,} houses (process wall time) | {new['seconds']:.1f} s ({rate:,.0f} houses/s) | target < 30 s | {new['seconds'] / 30:.2f} of budget |",
        f"| {label}: … its peak memory (child's max RSS) | {new['rss_mb']:.0f} MB | target < 1024 MB | {new['rss_mb'] / 1024:.2f} of budget |",
        f"| {label}: baseline: pyogrio reading the {base['houses']:,} houses alone | {base['read_s']:.1f} s | | import = {new['seconds'] / base['read_s']:.1f}× the read |",
        f"| {label}: baseline: the spatial join alone (village of each house, STRtree) | {base['join_s']:.1f} s | | |",
        f"| {label}: `geoapp import buildings`, {new_small['houses']:,} houses, bulk store | {new_small['seconds']:.1f} s, {new_small['rss_mb']:.0f} MB | row-by-row store (before) {old_small['seconds']:.1f} s, {old_small['rss_mb']:.0f} MB | {old_small['seconds'] / new_small['seconds']:.1f}× faster |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=1_000_000)
    parser.add_argument("--old-houses", type=int, default=100_000)
    parser.add_argument("--postgis", action="store_true", help="also on a PostGIS server started for the run")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--files", type=Path, help="where the county files are kept between runs")
    parser.add_argument("--write", type=Path, help="append the table to this Markdown file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-bench-import-"))
    files = args.files or work
    files.mkdir(parents=True, exist_ok=True)
    lines = ["| figure | value | baseline / target | ratio |", "|---|---|---|---|"]
    server = None
    try:
        if not args.skip_sqlite:
            run_backend("SQLite", lambda name: f"sqlite:///{work / name}.sqlite", args, files, lines)
        if args.postgis:
            from tests.pg_server import PgServer, create_postgis_database

            server = PgServer()
            base = server.start()
            run_backend("PostGIS", lambda name: create_postgis_database(base, name), args, files, lines)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    machine = (
        f"{os.cpu_count()} cores (nproc), load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        f"(1/5/15 min) at the end, shared with other engineers' jobs"
    )
    table = "\n".join(lines)
    print(table)
    print(machine)
    print(f"bench process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with args.write.open("a", encoding="utf-8") as f:
            f.write(f"\n### Run of {stamp}\n\n{machine}.\n\n{table}\n")


if __name__ == "__main__":
    main()
