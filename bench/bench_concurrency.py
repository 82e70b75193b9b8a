"""Concurrent collectors (DESIGN §5): many collectors submitting at once against
``geoapp serve`` (cheroot) on loopback, then a check that nothing was lost or doubled.

    .venv/bin/python bench/bench_concurrency.py [--collectors 50] [--seconds 60] [--pause 2] [--postgis] [--write FILE]

1. A mid-campaign demo town in a fresh SQLite file (or ``--database-url`` for an empty
   PostgreSQL+PostGIS database), one collector account per seat, spread over the 28
   villages; each collector gets their own share of their village's uncollected houses.
2. Baseline: one collector alone submits 20 houses, one after another.
3. Load: every collector logs in through the login form and submits houses (1 to 6
   people each, real HTTP, CSRF token, visit proof) until the time is up, pausing
   ``--pause`` seconds on average between houses (exponentially distributed; a real
   collector takes minutes per house, 0 means back to back: the server's capacity); one
   submission in twenty is sent a second time with the same client id, as a phone
   does when the answer is lost, and must be answered as a replay.
4. Check, in the database: every acknowledged submission is stored exactly once (one
   visit per client id, its people present once by ID number), and nothing else.

Prints throughput, latency percentiles and the ratio to the baseline, errors, and the
lost/doubled counts (all must be 0).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import add_collectors, free_port, log_in_opener, seed, start_postgis  # noqa: E402

from geoapp.domain.identifiers import make_resident_id  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.models import Building, Person, Village, Visit  # noqa: E402

_serial = itertools.count()


def setup(url: str, collectors: int) -> dict[str, list[Building]]:
    """Demo town, accounts (seat 0 is the baseline collector) over every village, and each
    collector's share of uncollected houses (``bench/_common.py``)."""
    db = Database(url)
    seed(db)
    with db.session() as s:
        villages = s.scalar(select(func.count()).select_from(Village))
    shares = add_collectors(db, collectors + 1, villages, "bench")
    db.dispose()
    return shares


def start_server(url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, GEOAPP_DATABASE_URL=url, GEOAPP_SECRET_KEY="bench-concurrency")
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "geoapp"), "serve", "--port", str(port)],  # default threads
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"geoapp serve stopped: {proc.stderr.read().decode()}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("geoapp serve did not start within 60 s")


class Collector:
    """One phone: a cookie jar, a CSRF token, and its share of houses."""

    def __init__(self, base: str, username: str, houses: list) -> None:
        self.base = base
        self.houses = list(houses)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.csrf = log_in_opener(self.opener, base, username, timeout=60)

    def _get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as r:
            return r.read().decode()

    def post(self, path: str, payload: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def submission(self, house) -> dict:
        members = []
        for k in range(random.randint(1, 6)):
            n = next(_serial)
            number = make_resident_id(
                "430101", date(1950, 1, 1) + timedelta(days=n % 20000), 100 + (n // 20000) * 2
            )
            members.append(
                {"name": f"并发{n}", "id_number": number, "relation": "户主" if k == 0 else "子女"}
            )
        return {
            "client_id": uuid.uuid4().hex,
            "version": house.version,
            "households": [{"members": members}],
            "visit": {"lat": house.lat, "lon": house.lon, "accuracy": 8},
        }


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.acknowledged: dict[str, list[str]] = {}  # client id -> ID numbers
        self.errors: list[str] = []
        self.replays_ok = 0
        self.replays_bad = 0


def submit_one(collector: Collector, tally: Tally, *, retry: bool) -> bool:
    if not collector.houses:
        return False
    house = collector.houses.pop()
    payload = collector.submission(house)
    t0 = time.perf_counter()
    status, answer = collector.post(f"/api/buildings/{house.id}/submission", payload)
    elapsed = time.perf_counter() - t0
    with tally.lock:
        if status == 201:
            tally.latencies.append(elapsed)
            tally.acknowledged[payload["client_id"]] = [
                m["id_number"] for m in payload["households"][0]["members"]
            ]
        else:
            tally.errors.append(f"{status}: {str(answer)[:200]}")
    if status == 201 and retry:  # the phone lost the answer and sends the same submission again
        again, replay = collector.post(f"/api/buildings/{house.id}/submission", payload)
        ok = again == 200 and replay.get("replayed") is True and replay.get("building_id") == house.id
        with tally.lock:
            tally.replays_ok += ok
            tally.replays_bad += not ok
    return True


def baseline(base: str, shares: dict) -> list[float]:
    collector = Collector(base, "bench000", shares["bench000"][:20])
    tally = Tally()
    while submit_one(collector, tally, retry=False):
        pass
    if tally.errors:
        raise SystemExit(f"baseline failed: {tally.errors[:3]}")
    return tally.latencies


def load(base: str, shares: dict, collectors: int, seconds: float, pause: float) -> tuple[Tally, float]:
    tally = Tally()
    phones: list[Collector] = []
    for k in range(1, collectors + 1):
        name = f"bench{k:03d}"
        phones.append(Collector(base, name, shares[name]))
    start = threading.Barrier(collectors + 1)
    stop_at = [0.0]

    def work(phone: Collector, seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        if pause > 0:  # collectors do not all press "submit" in the same millisecond
            time.sleep(rng.uniform(0, pause))
        while time.monotonic() < stop_at[0]:
            try:
                if not submit_one(phone, tally, retry=rng.random() < 0.05):
                    return
            except Exception as err:  # a broken connection is an error, counted, not a crash
                with tally.lock:
                    tally.errors.append(repr(err)[:200])
            if pause > 0:
                time.sleep(min(rng.expovariate(1 / pause), max(0.0, stop_at[0] - time.monotonic())))

    threads = [threading.Thread(target=work, args=(p, i)) for i, p in enumerate(phones)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return tally, time.perf_counter() - t0


def check(url: str, tally: Tally, visits_before: int) -> dict:
    """Every acknowledged submission stored once; nothing unacknowledged stored."""
    db = Database(url)
    with db.session() as s:
        stored = set(s.scalars(select(Visit.client_id)).all())
        visits_now = s.scalar(select(func.count()).select_from(Visit))
        numbers = [n for ids in tally.acknowledged.values() for n in ids]
        counts: dict[str, int] = {}
        for chunk in range(0, len(numbers), 500):
            for number, c in s.execute(
                select(Person.id_number, func.count())
                .where(Person.id_number.in_(numbers[chunk : chunk + 500]))
                .group_by(Person.id_number)
            ):
                counts[number] = c
    db.dispose()
    acknowledged = set(tally.acknowledged)
    return {
        "lost_visits": len(acknowledged - stored),
        "extra_visits": visits_now - visits_before - len(acknowledged),
        "lost_people": sum(1 for n in numbers if counts.get(n, 0) == 0),
        "doubled_people": sum(1 for n in numbers if counts.get(n, 0) > 1),
        "people": len(numbers),
    }


def report(args, base_lat: list[float], tally: Tally, wall: float, checked: dict, backend: str) -> str:
    lat = np.array(tally.latencies) * 1000
    base = np.array(base_lat) * 1000
    p50, p95 = (float(np.percentile(lat, q)) if len(lat) else float("nan") for q in (50, 95))
    b50, b95 = (float(np.percentile(base, q)) for q in (50, 95))
    return "\n".join(
        [
            "| figure | value | baseline / target | ratio |",
            "|---|---|---|---|",
            f"| collectors submitting at once ({backend}, `geoapp serve` on loopback), mean pause between houses {args.pause:g} s | {args.collectors} for {wall:.0f} s | | |",
            f"| submissions acknowledged (1–6 people each, {checked['people']} people) | {len(lat)} = {len(lat) / wall:.1f}/s | | |",
            f"| latency p50 | {p50:.0f} ms | one collector alone {b50:.0f} ms | {p50 / b50:.1f}× |",
            f"| latency p95 | {p95:.0f} ms | target < 200 ms; alone {b95:.0f} ms | {p95 / 200:.2f} of budget |",
            f"| latency max | {float(lat.max()) if len(lat) else float('nan'):.0f} ms | | |",
            f"| errors (any answer but 201) | {len(tally.errors)} | 0 | |",
            f"| retries with the same client id answered as replays | {tally.replays_ok} of {tally.replays_ok + tally.replays_bad} | all | |",
            f"| acknowledged but not stored / stored but not acknowledged | {checked['lost_visits']} / {checked['extra_visits']} | 0 / 0 | |",
            f"| people lost / stored twice | {checked['lost_people']} / {checked['doubled_people']} | 0 / 0 | |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collectors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pause", type=float, default=2.0, help="mean seconds between a collector's houses")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL+PostGIS database (default: a fresh SQLite file)"
    )
    parser.add_argument(
        "--postgis", action="store_true", help="start a PostGIS server on loopback for the run"
    )
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-concurrency-"))
    pg = None
    if args.postgis:
        pg, args.database_url = start_postgis()
    url = args.database_url or f"sqlite:///{work / 'demo.sqlite'}"
    backend = "PostGIS" if url.startswith("postgresql") else "SQLite"
    proc = None
    try:
        shares = setup(url, args.collectors)
        port = free_port()
        proc = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        base_lat = baseline(base, shares)
        db = Database(url)
        with db.session() as s:
            visits_before = s.scalar(select(func.count()).select_from(Visit))
        db.dispose()
        tally, wall = load(base, shares, args.collectors, args.seconds, args.pause)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    checked = check(url, tally, visits_before)
    if pg is not None:
        pg.stop()
    shutil.rmtree(work, ignore_errors=True)
    table = report(args, base_lat, tally, wall, checked, backend)
    print(table)
    if tally.errors:
        print("first errors:", *tally.errors[:5], sep="\n  ")
    if args.write:  # each run adds its section, so several runs make one page
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        head = (
            "# Concurrent collectors\n\nMeasured by `python bench/bench_concurrency.py` on this 2-core machine "
            "(server, database and the simulated phones share the two cores).\n"
        )
        page = args.write.read_text(encoding="utf-8") if args.write.exists() else head
        command = " ".join(sys.argv[1:])
        section = f"\n## {backend}, {args.collectors} collectors, mean pause {args.pause:g} s ({stamp})\n\n"
        section += f"`python bench/bench_concurrency.py {command}`\n\n{table}\n"
        args.write.write_text(page + section, encoding="utf-8")


if __name__ == "__main__":
    main()
