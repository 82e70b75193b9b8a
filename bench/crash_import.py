"""Crash test of a county import (issue 12): ``geoapp import buildings`` is killed with SIGKILL
once its progress bar shows stored rows; nothing of the import may be stored.

    .venv/bin/python bench/crash_import.py [--postgis] [--houses 200000]

For each backend: a fresh database with the county's villages and streets, the houses
imported in a subprocess, ``kill -9`` as soon as the bar (on stderr) counts rows; then the
database must open, pass ``PRAGMA integrity_check`` and ``rtreecheck`` (SQLite), hold as
many houses as before (0) with its triggers in place, and take the same import again
whole. (tests/services/test_import_bulk.py has a short version: 20,000 houses.)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import fresh, geoapp  # noqa: E402
from county import write_county  # noqa: E402

BAR = re.compile(r"(\d+)/(\d+) \[")


def crash(url: str, path: Path) -> dict:
    for layer in ("villages", "streets"):
        geoapp(url, "import", layer, str(path), "--layer", layer)
    env = {**os.environ, "GEOAPP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    code = "import sys\nfrom geoapp.cli import main\nsys.argv = ['geoapp', *sys.argv[1:]]\nmain()\n"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "import", "buildings", str(path), "--layer", "buildings"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen, shown = b"", 0
    while proc.poll() is None:
        seen += os.read(proc.stderr.fileno(), 4096)
        found = BAR.findall(seen.decode(errors="replace"))
        if found and int(found[-1][0]) > 0:
            shown = int(found[-1][0])
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    killed_at = time.perf_counter() - t0
    if not shown:
        raise SystemExit(f"the import ended before it was killed: {seen.decode(errors='replace')[-2000:]}")
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as c:
        houses = c.execute(text("SELECT count(*) FROM building")).scalar()
        out = {"shown": shown, "killed_after_s": killed_at, "houses_after": houses}
        if engine.dialect.name == "sqlite":
            out["integrity"] = c.execute(text("PRAGMA integrity_check")).scalar()
            out["rtreecheck"] = c.execute(text("SELECT rtreecheck('rtree_building')")).scalar()
            out["triggers"] = c.execute(
                text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'building'")
            ).scalar()
            out["indexes"] = c.execute(
                text("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'building'")
            ).scalar()
    engine.dispose()
    seconds, _ = geoapp(url, "import", "buildings", str(path), "--layer", "buildings")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as c:
        out["houses_after_retry"] = c.execute(text("SELECT count(*) FROM building")).scalar()
    engine.dispose()
    out["retry_s"] = seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=200_000)
    parser.add_argument("--postgis", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-crash-import-"))
    server, failures = None, []
    try:
        path = write_county(work / "county.gpkg", args.houses)
        backends = [] if args.skip_sqlite else [("SQLite", lambda name: f"sqlite:///{work / name}.sqlite")]
        if args.postgis:
            from tests.pg_server import PgServer, create_postgis_database

            server = PgServer()
            base = server.start()
            backends.append(("PostGIS", lambda name: create_postgis_database(base, name)))
        for label, url_for in backends:
            result = crash(fresh(url_for, "crash"), path)
            ok = (
                result["houses_after"] == 0
                and result.get("integrity", "ok") == "ok"
                and result.get("rtreecheck", "ok") == "ok"
                and result["houses_after_retry"] == args.houses
            )
            print(f"{label}: {'OK' if ok else 'FAILED'} {result}", flush=True)
            if not ok:
                failures.append(label)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
