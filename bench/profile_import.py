"""Where a county import's time goes: timing prints around each step of one
``import_layer(db, "buildings", …)`` on SQLite, or on PostGIS with ``--postgis`` (a server
started for the run on loopback); wall seconds and RSS after each step.

    .venv/bin/python bench/profile_import.py [FILE.gpkg] [--keep DIR] [--postgis]

FILE is a county GeoPackage (``bench/county.py``; default: the 1,000,000-house file in
``/work/tmp/county-files``); villages and streets are imported first (not timed).
"""

from __future__ import annotations

import argparse
import functools
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEPS: list[tuple[str, float, float]] = []


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def timed(owner, name: str, label: str | None = None) -> None:
    """Wrap ``owner.name`` so each call adds (label, seconds, RSS after) to STEPS."""
    inner = getattr(owner, name, None)
    if inner is None:
        return

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            STEPS.append((label or name, time.perf_counter() - t0, _rss_mb()))

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", default="/work/tmp/county-files/county-1000000.gpkg")
    parser.add_argument("--keep", help="folder for the database (default: a temporary one)")
    parser.add_argument("--postgis", action="store_true", help="profile the PostGIS store instead of SQLite")
    args = parser.parse_args()
    logging.basicConfig(format="%(name)s: %(message)s")
    logging.getLogger("geoapp.store.bulk").setLevel(logging.DEBUG)

    from geoapp.services.gis_io import importer, topology
    from geoapp.services.gis_io.importer import ImportOptions, buildings, import_layer
    from geoapp.store import bulk
    from geoapp.store.db import Database
    from geoapp.store.migrate import upgrade

    server = None
    if args.postgis:
        from tests.pg_server import PgServer, create_postgis_database

        server = PgServer()
        db = Database(create_postgis_database(server.start(), "profile_import"))
    else:
        folder = Path(args.keep or tempfile.mkdtemp(prefix="profile-import-"))
        path = folder / "county.db"
        path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    for layer in ("villages", "streets"):
        import_layer(db, layer, args.file, ImportOptions(layer=layer))

    timed(importer, "read_layer")
    timed(importer, "check_geometries")
    timed(buildings, "leave_out_stored", "leave_out_stored (stored positions)")
    timed(topology, "villages_for", "villages_for (village of each house)")
    timed(topology, "fronting_streets", "fronting_streets (nearest street)")
    timed(buildings, "text_values", "text_values (each call)")
    timed(buildings, "whole_numbers", "whole_numbers (floors)")
    timed(buildings, "refuse_taken_addresses", "refuse_taken_addresses (address check)")
    timed(buildings, "parse_uses", "parse_uses")
    timed(bulk, "rebuild_sqlite_rtree", "store: packed R*Tree")
    timed(bulk, "insert_columns", "store: insert_columns (all)")
    t0 = time.perf_counter()
    summary = import_layer(db, "buildings", args.file, ImportOptions(layer="buildings"))
    total = time.perf_counter() - t0
    merged: dict[str, list[float]] = {}
    for label, seconds, rss in STEPS:
        entry = merged.setdefault(label, [0.0, 0, 0.0])
        entry[0] += seconds
        entry[1] += 1
        entry[2] = max(entry[2], rss)
    print("| step | seconds | calls | RSS after (MB) |\n|---|---|---|---|")
    for label, (seconds, calls, rss) in merged.items():
        print(f"| {label} | {seconds:.2f} | {calls} | {rss:.0f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| import_layer in all | {total:.2f} | 1 | peak {peak:.0f} |")
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"inserted {summary.inserted}; load average {' / '.join(load)} (1/5/15 min)")
    db.dispose()
    if server is not None:
        server.stop()


if __name__ == "__main__":
    main()
