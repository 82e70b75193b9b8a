"""Coverage benchmark (issue 9): prints figures and ratios against baselines measured in the same run.

    .venv/bin/python bench/bench_coverage.py [--write docs/benchmarks-coverage.md] [--postgis]
                                             [--county-houses 1000000] [--skip-county]

1. The demo town (10,831 houses, mid-campaign) on a SQLite file:
   - "today": ``coverage()`` when as_of is today (the campaign's last day is taken as
     today, so the houses' own columns are exact), per kind and for all kinds, and
     ``GET /api/coverage`` (server time through the app, as a leader);
   - several past as_of dates (the history path);
   - ``progress_series`` (one query) for the whole campaign;
   each next to a baseline: the same counts with pandas on an export of the tables
   (``read_sql`` + ``groupby``), or, for the series, one ``coverage()`` call per day.
2. A synthetic county (900 villages, 1,000,000 houses, mid-campaign with one visit per
   collected house, verifications and returns in the audit trail, one household and
   two people per collected house), built with bulk inserts, on SQLite.
3. With --postgis: the same on a PostGIS server started for the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.domain.calendar import Campaign  # noqa: E402
from geoapp.domain.metrics import BEIJING, day_end_utc  # noqa: E402
from geoapp.domain.roles import Role, Scope  # noqa: E402
from geoapp.domain.tasks import read_task_table  # noqa: E402
from geoapp.services.demo.build import build_demo  # noqa: E402
from geoapp.services.reports import tally  # noqa: E402
from geoapp.services.reports.coverage import coverage, coverage_kinds, progress_series  # noqa: E402
from geoapp.store import house_counts, village_tally  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402
from geoapp.store.types import wkb_array  # noqa: E402

TASKS = read_task_table(ROOT / "gis_data" / "task_table.csv")
PLAN = Campaign()
LEADER = Scope(None, "bench-leader", Role.LEADER)
LAST_DAY = PLAN.end  # taken as "today": the current-state path
PAST_DAYS = (date(2016, 4, 30), date(2016, 5, 25), date(2016, 6, 8), date(2016, 6, 30))


def median_ms(fn, repeat: int) -> float:
    fn()  # warm caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


# -- baselines: pandas on an export -----------------------------------------------------------------


def pandas_current(db: Database) -> dict:
    """Today's counts per village the way a spreadsheet user would: export, then group."""
    with db.engine.connect() as c:
        houses = pd.read_sql(text("SELECT id, village_id, status, visit_flag FROM building"), c)
        people = pd.read_sql(text("SELECT building_id FROM person"), c)
        households = pd.read_sql(text("SELECT building_id FROM household"), c)
    done = houses[houses.status.isin(["collected", "verified"])]
    out = {"houses": done.groupby("village_id").size()}
    for name, frame in (("people", people), ("households", households)):
        joined = frame.merge(done[["id", "village_id"]], left_on="building_id", right_on="id")
        out[name] = joined.groupby("village_id").size()
    out["verified"] = houses[houses.status == "verified"].groupby("village_id").size()
    return out


def pandas_as_of(db: Database, day: date) -> pd.Series:
    """Houses collected by a day, from an export of the houses' own columns (no history)."""
    with db.engine.connect() as c:
        houses = pd.read_sql(text("SELECT village_id, status, collected_at FROM building"), c)
    cut = pd.Timestamp(day_end_utc(day))
    at = pd.to_datetime(houses.collected_at)
    return houses[(at < cut) & houses.status.isin(["collected", "verified"])].groupby("village_id").size()


# -- measurements -----------------------------------------------------------------------------------


def measure(db: Database, repeat: int, *, series: bool = True, api_url: str | None = None) -> dict:
    out = {}
    with db.session() as s:
        for kind in ("houses", "people"):
            out[f"today_{kind}"] = median_ms(
                lambda kind=kind: coverage(s, LEADER, PLAN, kind=kind, as_of=LAST_DAY, today=LAST_DAY), repeat
            )
        out["today_all"] = median_ms(
            lambda: coverage_kinds(s, LEADER, PLAN, as_of=LAST_DAY, today=LAST_DAY), repeat
        )
        for day in PAST_DAYS:
            out[f"past_{day}"] = median_ms(
                lambda day=day: coverage(s, LEADER, PLAN, kind="houses", as_of=day), repeat
            )
            out[f"past_people_{day}"] = median_ms(
                lambda day=day: coverage(s, LEADER, PLAN, kind="people", as_of=day), repeat
            )
        if series:
            for kind in ("houses", "people"):
                out[f"series_{kind}"] = median_ms(
                    lambda kind=kind: progress_series(s, LEADER, PLAN, kind, until=LAST_DAY),
                    max(3, repeat // 3),
                )
            days = (LAST_DAY - PLAN.collection_start).days + 1
            t0 = time.perf_counter()
            for k in range(days):
                coverage(s, LEADER, PLAN, kind="houses", as_of=PLAN.collection_start + timedelta(days=k))
            out["series_naive"] = (time.perf_counter() - t0) * 1000
            out["series_days"] = days
        total = coverage(s, LEADER, PLAN, kind="houses", as_of=LAST_DAY, today=LAST_DAY).total
        out["collected"], out["villages"] = total.collected, len(coverage(s, LEADER, PLAN, kind="houses", as_of=LAST_DAY).villages)  # fmt: skip
    out["pandas_today"] = median_ms(lambda: pandas_current(db), max(3, repeat // 3))
    out["pandas_past"] = median_ms(lambda: pandas_as_of(db, PAST_DAYS[1]), max(3, repeat // 3))
    # The baseline counts agree with ours (today, houses).
    assert int(pandas_current(db)["houses"].sum()) == out["collected"]
    if api_url:
        out.update(bench_api(api_url, repeat))
    return out


def bench_api(url: str, repeat: int) -> dict:
    """Server time of GET /api/coverage as a leader (the campaign's last day as today)."""
    from geoapp.services.accounts.passwords import make_hasher
    from geoapp.store.models import User

    app = create_app(Settings(database_url=url, secret_key="bench"))
    db = app.extensions["geoapp.db"]
    with db.write() as s:
        s.add(User(username="bench-leader", role="leader", must_change_password=False,
                   password_hash=make_hasher(1, 8192).hash("Bench-password-1")))  # fmt: skip
    client = app.test_client()
    import re

    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").data.decode()).group(1)
    client.post(
        "/login", data={"username": "bench-leader", "password": "Bench-password-1", "csrf_token": token}
    )
    import geoapp.web.reports as reports

    real_today = reports.beijing_today
    reports.beijing_today = lambda: LAST_DAY  # as if the campaign's last day were today
    try:
        today = median_ms(lambda: client.get("/api/coverage?kind=houses"), repeat)
        past = median_ms(lambda: client.get("/api/coverage?kind=houses&as_of=2016-05-25"), repeat)
        size = len(client.get("/api/coverage?kind=houses").data)
    finally:
        reports.beijing_today = real_today
        db.dispose()
    return {"api_today": today, "api_past": past, "api_bytes": size}


# -- the synthetic county -----------------------------------------------------------------------------


def build_county(db: Database, villages: int = 900, houses: int = 1_000_000, seed: int = 9) -> dict:
    """900 villages on a grid, ``houses`` points, mid-campaign with its history; bulk inserts."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(villages)))
    size = 0.02
    cells = np.arange(villages)
    x0 = 112.0 + (cells % side) * size
    y0 = 26.0 + (cells // side) * size
    per_village = rng.multinomial(houses, np.full(villages, 1 / villages))
    village_of = np.repeat(cells, per_village)
    lon = x0[village_of] + rng.random(houses) * size
    lat = y0[village_of] + rng.random(houses) * size
    progress = np.clip(rng.beta(2.4, 1.4, villages), 0.1, 1.0)
    collected = rng.random(houses) < progress[village_of]
    draw = rng.random(houses)
    status = np.where(~collected, "uncollected", np.where(draw < 0.65, "verified", np.where(draw < 0.92, "collected", "returned")))  # fmt: skip
    span = (date(2016, 6, 8) - PLAN.collection_start).days + 1
    start = np.datetime64(datetime.combine(PLAN.collection_start, datetime.min.time()) - BEIJING)
    collected_at = start + (rng.random(houses) ** 1.3 * span * 86400).astype("timedelta64[s]")
    checked_at = collected_at + rng.integers(3600, 5 * 86400, houses).astype("timedelta64[s]")
    flagged = collected & (status == "collected") & (rng.random(houses) < 0.05)
    dialect = db.dialect

    def ts(values):  # as SQLAlchemy writes them on SQLite; PostgreSQL reads the same text
        return [None if v is None else str(v).replace("T", " ") + ".000000" for v in values]

    village_rows = []
    for v in range(villages):
        box = shapely.box(x0[v], y0[v], x0[v] + size, y0[v] + size)
        village_rows.append((v + 1, f"43990110{v + 1:04d}", f"第{v + 1}村", int(per_village[v]) * 4, int(per_village[v]), 0,
                             wkb_array(np.array([box]), dialect)[0], *box.bounds))  # fmt: skip
    geoms = wkb_array(shapely.points(lon, lat), dialect)
    ids = np.arange(1, houses + 1)
    c_at = ts(np.where(collected, collected_at, None))
    k_at = ts(np.where(np.isin(status, ["verified", "returned"]), checked_at, None))
    v_at = ts(np.where(status == "verified", checked_at, None))
    upd = [k or c for k, c in zip(k_at, c_at, strict=True)]
    passed = [None if k is None else s == "verified" for k, s in zip(k_at, status, strict=True)]
    building_rows = [
        (int(i), int(v) + 1, f"第{v + 1}村{i}号", "dwelling", str(st), float(x), float(y), g, float(x), float(y), float(x),
         float(y), 1, c, c, v_, k, p, u, "far" if f else None)
        for i, v, st, x, y, g, c, v_, k, p, u, f in zip(ids, village_of, status, lon, lat, geoms, c_at, v_at, k_at, passed, upd, flagged, strict=True)
    ]  # fmt: skip
    done = ids[collected]
    visit_rows = [(int(i), f"county-{i}", c_at[i - 1], "far" if flagged[i - 1] else None, '{"status":"collected"}',
                   False, 0) for i in done]  # fmt: skip
    audit_rows = [(k_at[i - 1], "officer", "house.verify" if status[i - 1] == "verified" else "house.return", "building", str(i),
                   f'{{"status":["collected","{status[i - 1]}"]}}') for i in done if k_at[i - 1]]  # fmt: skip
    household_rows = [(int(i), int(i), 1, c_at[i - 1]) for i in done]
    person_rows = [
        (int(i), int(i), "某某", "resident_id", "registered", False, 1, c_at[i - 1])
        for i in done
        for _ in (0, 1)
    ]
    tables = [
        ("village", "id, code, name, task_people, task_houses, task_units, geom, minx, miny, maxx, maxy", village_rows),
        ("building", "id, village_id, address, use, status, lon, lat, geom, minx, miny, maxx, maxy, version, collected_at, "
         "first_collected_at, verified_at, first_checked_at, first_check_passed, updated_at, visit_flag", building_rows),
        ("visit", "building_id, client_id, submitted_at, flag, response, empty, people", visit_rows),
        ("audit_event", "at, actor, action, object_type, object_id, changes", audit_rows),
        ("household", "id, building_id, version, created_at", household_rows),
        ("person", "building_id, household_id, name, id_type, residence_type, separated, version, created_at", person_rows),
    ]  # fmt: skip
    prepared = time.perf_counter() - t0
    _load(db, tables)
    return {"seconds": time.perf_counter() - t0, "prepare_s": prepared, "houses": houses, "villages": villages,
            "collected": int(collected.sum()), "people": len(person_rows), "visits": len(visit_rows),
            "audit": len(audit_rows)}  # fmt: skip


def _load(db: Database, tables) -> None:
    """Bulk load; the houses' people and households are counted, and the villages' houses
    grouped, once at the end (the triggers that keep them row by row are off meanwhile)."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.dialect == "sqlite":
            cur.execute("BEGIN")  # one transaction (the engine's connections autocommit otherwise)
        for statement in [
            *house_counts.drop_triggers_ddl(db.dialect),
            *village_tally.drop_triggers_ddl(db.dialect),
        ]:
            cur.execute(statement)
        for table, columns, rows in tables:
            if db.dialect == "sqlite":
                marks = ", ".join("?" for _ in columns.split(","))
                for k in range(0, len(rows), 100_000):
                    cur.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows[k : k + 100_000]
                    )
            else:
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        for statement in [
            *house_counts.recount_sql(),
            *house_counts.triggers_ddl(db.dialect),
            *village_tally.rebuild_sql(),  # after the counts: it sums them
            *village_tally.triggers_ddl(db.dialect),
        ]:
            cur.execute(statement)
        if db.dialect == "postgresql":
            for table in ("village", "building", "household", "person", "visit", "audit_event"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        raw.commit()
    finally:
        raw.close()
    if db.dialect == "postgresql":  # the recount rewrote every house: clean up as autovacuum would
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))


# -- report -----------------------------------------------------------------------------------------------


def rows_for(label: str, m: dict, bars: bool = True) -> list[str]:
    out = [
        f"| {label}: coverage as of today, houses (median) | {m['today_houses']:.0f} ms | pandas on an export {m['pandas_today']:.0f} ms; target < 50 ms | {m['pandas_today'] / m['today_houses']:.1f}× faster; {m['today_houses'] / 50:.2f} of budget |",
        f"| {label}: … people | {m['today_people']:.0f} ms | | |",
        f"| {label}: … all four kinds at once (`coverage_kinds`) | {m['today_all']:.0f} ms | | |",
    ]
    if "api_today" in m:
        out.append(
            f"| {label}: `GET /api/coverage` as of today, server time (median) | {m['api_today']:.0f} ms ({m['api_bytes'] / 1000:.1f} kB) | target < 50 ms | {m['api_today'] / 50:.2f} of budget |"
        )
        out.append(
            f"| {label}: `GET /api/coverage?as_of=2016-05-25`, server time (median) | {m['api_past']:.0f} ms | target < 300 ms | {m['api_past'] / 300:.2f} of budget |"
        )
    for day in PAST_DAYS:
        out.append(
            f"| {label}: coverage as of {day} (history), houses / people (median) | {m[f'past_{day}']:.0f} / {m[f'past_people_{day}']:.0f} ms | pandas on an export (houses' columns only) {m['pandas_past']:.0f} ms; target < 300 ms | {max(m[f'past_{day}'], m[f'past_people_{day}']) / 300:.2f} of budget |"
        )
    if "series_houses" in m:
        out.append(
            f"| {label}: `progress_series`, {m['series_days']} days, houses / people (median) | {m['series_houses']:.0f} / {m['series_people']:.0f} ms | one `coverage()` per day {m['series_naive']:.0f} ms | {m['series_naive'] / m['series_houses']:.0f}× faster |"
        )
    return out


def county_rows(label: str, built: dict, m: dict) -> list[str]:
    return [
        f"| {label}: county built ({built['villages']} villages, {built['houses']:,} houses, {built['collected']:,} collected, {built['visits']:,} visits, {built['audit']:,} checks, {built['people']:,} people) | {built['seconds']:.0f} s | | |",
        f"| {label}: county coverage as of today, houses (median) | {m['today_houses']:.0f} ms | pandas on an export {m['pandas_today']:.0f} ms; target < 1000 ms | {m['pandas_today'] / m['today_houses']:.1f}× faster; {m['today_houses'] / 1000:.2f} of budget |",
        f"| {label}: … the same without the villages' tallies (the houses grouped by one statement) | {m['today_grouped']:.0f} ms | | tallies {m['today_grouped'] / m['today_houses']:.1f}× faster |",
        f"| {label}: … people | {m['today_people']:.0f} ms | target < 1000 ms | {m['today_people'] / 1000:.2f} of budget |",
        f"| {label}: … all four kinds at once | {m['today_all']:.0f} ms | target < 1000 ms | {m['today_all'] / 1000:.2f} of budget |",
        f"| {label}: county coverage as of {PAST_DAYS[1]} (history), houses / people | {m[f'past_{PAST_DAYS[1]}']:.0f} / {m[f'past_people_{PAST_DAYS[1]}']:.0f} ms | pandas (houses' columns only) {m['pandas_past']:.0f} ms | |",
    ]


def measure_county(db: Database, repeat: int) -> dict:
    out = {}
    with db.session() as s:
        for kind in ("houses", "people"):
            out[f"today_{kind}"] = median_ms(
                lambda kind=kind: coverage(s, LEADER, PLAN, kind=kind, as_of=LAST_DAY, today=LAST_DAY), repeat
            )
        out["today_all"] = median_ms(
            lambda: coverage_kinds(s, LEADER, PLAN, as_of=LAST_DAY, today=LAST_DAY), repeat
        )
        kept = tally.current_figures
        tally.current_figures = lambda *a, **k: None  # the houses grouped by one statement instead
        try:
            out["today_grouped"] = median_ms(
                lambda: coverage(s, LEADER, PLAN, kind="houses", as_of=LAST_DAY, today=LAST_DAY),
                max(1, repeat // 2),
            )
        finally:
            tally.current_figures = kept
        day = PAST_DAYS[1]
        out[f"past_{day}"] = median_ms(
            lambda: coverage(s, LEADER, PLAN, kind="houses", as_of=day), max(1, repeat // 2)
        )
        out[f"past_people_{day}"] = median_ms(
            lambda: coverage(s, LEADER, PLAN, kind="people", as_of=day), max(1, repeat // 2)
        )
    out["pandas_today"] = median_ms(lambda: pandas_current(db), 2)
    out["pandas_past"] = median_ms(lambda: pandas_as_of(db, PAST_DAYS[1]), 2)
    return out


def run_backend(label: str, make_url, args, lines: list[str]) -> None:
    url = make_url("town")
    db = Database(url)
    upgrade(db.engine)
    build_demo(db, TASKS, state="mid")
    lines += rows_for(f"{label} town", measure(db, args.repeat, api_url=url))
    db.dispose()
    if args.skip_county:
        return
    url = make_url("county")
    db = Database(url)
    upgrade(db.engine)
    built = build_county(db, houses=args.county_houses)
    lines += county_rows(label, built, measure_county(db, max(3, args.repeat // 3)))
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    parser.add_argument(
        "--postgis", action="store_true", help="also measure on a PostGIS server started for the run"
    )
    parser.add_argument("--county-houses", type=int, default=1_000_000)
    parser.add_argument("--skip-county", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true", help="with --postgis: PostGIS only")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="geoapp-bench-coverage-"))
    lines = ["| figure | value | baseline / target | ratio |", "|---|---|---|---|"]
    server = None
    try:
        if not args.skip_sqlite:
            run_backend("SQLite", lambda name: f"sqlite:///{work / name}.sqlite", args, lines)
        if args.postgis:
            from tests.pg_server import PgServer, create_postgis_database

            server = PgServer()
            base = server.start()
            run_backend("PostGIS", lambda name: create_postgis_database(base, name), args, lines)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    table = "\n".join(lines)
    print(table)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        old = args.write.read_text(encoding="utf-8") if args.write.exists() else ""
        kept = old[old.index(LEADERS_SECTION) :] if LEADERS_SECTION in old else ""  # bench_leaders.py's
        args.write.write_text(
            f"# Coverage benchmarks\n\nMeasured {stamp} by `python bench/bench_coverage.py"
            f"{' --postgis' if args.postgis else ''}` on this 2-core machine (shared and noisy: medians, and "
            "ratios against baselines measured in the same run; load average "
            f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end).\n\n"
            + table
            + "\n\n"
            + NOTES
            + ("\n" + kept if kept else ""),
            encoding="utf-8",
        )


LEADERS_SECTION = "<!-- bench_leaders: begin -->"


NOTES = """\
What is measured:
- "as of today": the campaign's last day (2016-09-25) is taken as today, so the
  houses' own columns are exact. The database keeps each village's houses grouped by
  state (`village_tally`, triggers on every write of a house, with their people and
  households counted on the house by triggers too): `coverage()` sums those groups,
  a few rows per village, into one row of figures per village. "Without the
  villages' tallies" is the previous path, measured in the same run: one statement
  grouping every house. After the stage 2 deadline this includes people (funding
  judges people and houses) and households.
- "history": a past day, each house first submitted by then rebuilt from its latest
  status event before the day's end (visits, audit events, the houses' columns), and
  its people and households registered by then counted.
- Baselines, in the same run: the same per-village counts done by exporting the
  tables with `pandas.read_sql` and grouping (today: houses, people, households and
  verified houses; past: houses from their `collected_at` only, which ignores
  returns); for the progress curve, one `coverage()` call per day.
- The county: 900 villages on a grid, 1,000,000 houses, about 60 % collected with one
  visit each, verifications and returns in the audit trail, one household and two
  people per collected house; loaded with bulk inserts (`executemany` on SQLite,
  `COPY` on PostgreSQL) with the counting triggers off, then counted once.
"""


if __name__ == "__main__":
    main()
