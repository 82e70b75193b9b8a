"""Load test (issue 12): simulated collectors against ``geoapp serve --workers 2`` on PostGIS,
next to the same load against ``--workers 1`` in the same run.

    python bench/load_test.py [--collectors 100] [--villages 50] [--seconds 60] [--pause 2]
                              [--county 100 100000 | --demo] [--write FILE]

1. A throw-away PostGIS server on loopback (as the tests start one) with a synthetic county
   (``--county VILLAGES HOUSES``, default 100 villages and 100,000 houses, mid-campaign:
   ``bench_coverage.build_county``; ``--demo``: the demo town's 28 villages instead), or
   ``--database-url`` (an empty PostGIS database, or one already holding a town); one
   collector account per seat over the ``--villages`` villages with the most houses left
   (50 by default: 2 collectors each), each with their own share of their village's
   uncollected houses (seeding and logins: ``bench/_common.py``).
2. For ``--workers 1`` and then ``--workers 2`` (one half of every share each): the
   server is started, every collector logs in through the login form, then for
   ``--seconds`` each does the collector's loop: open the village's house layer, open one
   house, submit it (1 to 6 people, visit proof, a client id), and one time in twenty send
   the same submission again (a phone that lost the answer), which must be a replay; a
   pause of ``--pause`` seconds on average (exponential) between houses.
3. Requests/s, p50/p95/p99 per kind of request, errors (any unexpected answer or broken
   connection: must be 0), and acknowledged = stored: the client ids answered 201 against
   the visits in the database (each stored exactly once, nothing unacknowledged stored).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
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
from geoapp.store.models import Person, User, Visit  # noqa: E402

SECRET = "load-test-secret"  # the same for every run: a session outlives a server's restart
COUNTY = (100, 100_000)  # the default county: villages, houses (bench_coverage.build_county)
KINDS = ("login", "layer", "house", "submit", "replay")


# -- the database -------------------------------------------------------------------------------


def prepare(
    url: str, collectors: int, villages: int, prefix: str = "load", county: tuple[int, int] | None = None
) -> dict[str, list]:
    """The town (unless the database holds one: the demo town, or with ``county=(villages,
    houses)`` a synthetic county), the collectors' accounts over the ``villages`` villages with
    the most houses left, and each collector's share of their village's uncollected houses:
    {username: [(id, version, lon, lat)]}."""
    db = Database(url)
    seed(db, county)
    shares = add_collectors(db, collectors, villages, prefix)
    db.dispose()
    return shares


def visits(url: str) -> set[str]:
    db = Database(url)
    with db.session() as s:
        found = set(s.scalars(select(Visit.client_id)).all())
    db.dispose()
    return found


def check_stored(url: str, acknowledged: dict[str, list[str]], before: set[str]) -> dict:
    """Acknowledged = stored: every acknowledged client id has its visit and its people once;
    no visit appeared that was not acknowledged."""
    db = Database(url)
    with db.session() as s:
        now = set(s.scalars(select(Visit.client_id)).all())
        numbers = [n for ids in acknowledged.values() for n in ids]
        counts: dict[str, int] = {}
        for start in range(0, len(numbers), 500):
            for number, c in s.execute(
                select(Person.id_number, func.count())
                .where(Person.id_number.in_(numbers[start : start + 500]))
                .group_by(Person.id_number)
            ):
                counts[number] = c
    db.dispose()
    new = now - before
    acked = set(acknowledged)
    return {
        "acknowledged": len(acked),
        "stored": len(new),
        "lost": len(acked - now),
        "unacknowledged_stored": len(new - acked),
        "people": len(numbers),
        "people_lost": sum(1 for n in numbers if counts.get(n, 0) == 0),
        "people_doubled": sum(1 for n in numbers if counts.get(n, 0) > 1),
    }


# -- the server ---------------------------------------------------------------------------------


class Server:
    """``geoapp serve --workers N`` in a subprocess; its log names the workers' pids."""

    def __init__(self, url: str, workers: int, log: Path, threads: int = 32) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = dict(os.environ, GEOAPP_DATABASE_URL=url, GEOAPP_SECRET_KEY=SECRET, PYTHONPATH=str(ROOT))
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from geoapp.cli import main; main()", "serve", "--port", str(self.port),
                 "--workers", str(workers), "--threads", str(threads)],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            started = len(self.worker_pids()) >= workers or (workers == 1 and "geoapp serving" in self.text())
            if started and self._answers():
                return
            if self.proc.poll() is not None:
                raise SystemExit(f"geoapp serve stopped:\n{self.text()}")
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"geoapp serve did not start within 120 s:\n{self.text()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/login", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"\(worker pid (\d+)\)", self.text())]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


# -- the collectors -----------------------------------------------------------------------------


class Phone:
    """One collector's phone: a cookie jar, a CSRF token, a share of houses; every request
    on a new connection (so the kernel spreads them over the workers)."""

    _serial = iter(range(10**9))
    _serial_lock = threading.Lock()

    def __init__(self, base: str, username: str, houses: list, seed: int) -> None:
        self.base = base
        self.username = username
        self.houses = list(houses)
        self.rng = random.Random(seed)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.csrf = ""

    def request(self, path: str, payload: dict | None = None, form: dict | None = None):
        """(status, body bytes); raises OSError on a broken connection."""
        headers = {}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers = {"Content-Type": "application/json", "X-CSRFToken": self.csrf}
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with self.opener.open(req, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def login(self) -> None:
        self.csrf = log_in_opener(self.opener, self.base, self.username)

    def submission(self, house) -> dict:
        members = []
        for k in range(self.rng.randint(1, 6)):
            with self._serial_lock:
                n = next(self._serial)
            number = make_resident_id(
                "430101", date(1950, 1, 1) + timedelta(days=n % 20000), 100 + (n // 20000) * 2
            )
            members.append(
                {"name": f"负载{n}", "id_number": number, "relation": "户主" if k == 0 else "子女"}
            )
        _id, version, lon, lat = house
        return {
            "client_id": uuid.uuid4().hex,
            "version": version,
            "households": [{"members": members}],
            "visit": {"lat": lat, "lon": lon, "accuracy": 8},
        }


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {k: [] for k in KINDS}
        self.acknowledged: dict[str, list[str]] = {}  # client id -> its ID numbers
        self.errors: list[str] = []
        self.replays = 0

    def timed(self, kind: str, call):
        t0 = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - t0
        with self.lock:
            self.latency[kind].append(elapsed)
        return result

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text[:300])


def one_house(phone: Phone, tally: Tally, village_id: int | None, retry: bool) -> bool:
    """The collector's loop once: the village layer, one house, its submission (and a resend)."""
    if not phone.houses:
        return False
    house = phone.houses.pop()
    status, _ = tally.timed("layer", lambda: phone.request(f"/api/buildings.geojson?village={village_id}"))
    if status != 200:
        tally.error(f"layer: {status}")
    status, body = tally.timed("house", lambda: phone.request(f"/api/buildings/{house[0]}"))
    if status != 200:
        tally.error(f"house: {status} {body[:200]!r}")
    payload = phone.submission(house)
    path = f"/api/buildings/{house[0]}/submission"
    status, body = tally.timed("submit", lambda: phone.request(path, payload))
    if status != 201:
        tally.error(f"submit: {status} {body[:200]!r}")
        return True
    with tally.lock:
        tally.acknowledged[payload["client_id"]] = [
            m["id_number"] for m in payload["households"][0]["members"]
        ]
    if retry:  # the phone lost the answer and sends the same submission again
        status, body = tally.timed("replay", lambda: phone.request(path, payload))
        answer = json.loads(body or b"{}") if status == 200 else {}
        if status != 200 or answer.get("replayed") is not True:
            tally.error(f"replay: {status} {body[:200]!r}")
        else:
            with tally.lock:
                tally.replays += 1
    return True


def run_load(base: str, shares: dict[str, list], villages: dict[str, int], seconds: float, pause: float):
    """Log every collector in, then run the loop for ``seconds``; returns (tally, wall seconds)."""
    tally = Tally()
    phones = [Phone(base, name, houses, seed) for seed, (name, houses) in enumerate(sorted(shares.items()))]

    def log_in(phone: Phone) -> None:
        try:
            tally.timed("login", phone.login)
        except Exception as exc:  # counted, never a crash of the benchmark
            tally.error(f"login: {exc!r}")

    with ThreadPoolExecutor(16) as pool:  # logins overlap, before the timed run
        list(pool.map(log_in, phones))
    start = threading.Barrier(len(phones) + 1)
    stop_at = [0.0]

    def work(phone: Phone) -> None:
        start.wait()
        if pause > 0:  # collectors do not all press "submit" in the same millisecond
            time.sleep(phone.rng.uniform(0, pause))
        while time.monotonic() < stop_at[0]:
            try:
                if not one_house(phone, tally, villages[phone.username], retry=phone.rng.random() < 0.05):
                    return
            except Exception as exc:  # a broken connection is an error, counted
                tally.error(repr(exc))
            if pause > 0:
                time.sleep(min(phone.rng.expovariate(1 / pause), max(0.0, stop_at[0] - time.monotonic())))

    threads = [threading.Thread(target=work, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return tally, time.perf_counter() - t0


def villages_of(url: str, names: list[str]) -> dict[str, int]:
    db = Database(url)
    with db.session() as s:
        found = dict(s.execute(select(User.username, User.village_id).where(User.username.in_(names))).all())
    db.dispose()
    return found


def measure(url: str, workers: int, shares: dict, seconds: float, pause: float, log: Path) -> dict:
    """One run: the server with ``workers`` processes, the load, the check in the database."""
    villages = villages_of(url, list(shares))
    before = visits(url)
    server = Server(url, workers, log)
    load_before = os.getloadavg()[0]
    try:
        tally, wall = run_load(server.base, shares, villages, seconds, pause)
        cpu = [cpu_seconds(pid) for pid in server.worker_pids() or [server.proc.pid]]
    finally:
        server.stop()
    checked = check_stored(url, tally.acknowledged, before)
    return {
        "cpu": cpu,
        "load": (load_before, os.getloadavg()[0]),
        "workers": workers,
        "tally": tally,
        "wall": wall,
        "checked": checked,
        "pids": server.worker_pids(),
    }


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a server process used so far (its logins and the run)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def figures(run: dict) -> dict:
    tally, wall = run["tally"], run["wall"]
    out = {"requests": sum(len(v) for k, v in tally.latency.items() if k != "login")}
    out["rps"] = out["requests"] / wall
    for kind in KINDS:
        lat = np.array(tally.latency[kind]) * 1000
        out[kind] = (
            (len(lat), *(float(np.percentile(lat, q)) for q in (50, 95, 99)))
            if len(lat)
            else (0, *[float("nan")] * 3)
        )
    return out


def report(runs: list[dict], args, backend: str) -> str:
    figs = [figures(r) for r in runs]
    head = " | ".join(f"`--workers {r['workers']}`" for r in runs)
    lines = [
        f"{args.collectors} collectors in {args.used_villages} villages for {args.seconds:g} s, mean pause "
        f"{args.pause:g} s between houses, {backend}, each run on its own half of every collector's houses.",
        "",
        f"| figure | {head} | ratio (last / first) |",
        "|---|" + "---|" * len(runs) + "---|",
    ]

    def row(label: str, values: list[float], fmt: str, ratio: bool = True) -> None:
        cells = " | ".join(format(v, fmt) for v in values)
        r = f"{values[-1] / values[0]:.2f}×" if ratio and values[0] else ""
        lines.append(f"| {label} | {cells} | {r} |")

    row("requests/s (layer + house + submit + replay)", [f["rps"] for f in figs], ".1f")
    row("submissions acknowledged", [r["checked"]["acknowledged"] for r in runs], "d")
    for kind in KINDS:
        counts = [f[kind][0] for f in figs]
        lines.append(f"| {kind}: requests | " + " | ".join(str(c) for c in counts) + " | |")
        for i, q in enumerate(("p50", "p95", "p99"), start=1):
            row(f"{kind}: {q} ms", [f[kind][i] for f in figs], ".0f")
    lines.append(
        "| CPU seconds used by each server process (logins included) | "
        + " | ".join(" + ".join(f"{c:.0f}" for c in r["cpu"]) for r in runs)
        + " | |"
    )
    lines.append(
        "| load average (1 min) at the start / end of the run | "
        + " | ".join(f"{r['load'][0]:.1f} / {r['load'][1]:.1f}" for r in runs)
        + " | |"
    )
    lines.append("| errors | " + " | ".join(str(len(r["tally"].errors)) for r in runs) + " | |")
    lines.append(
        "| replays answered as replays | " + " | ".join(str(r["tally"].replays) for r in runs) + " | |"
    )
    lines.append(
        "| acknowledged = stored (lost / stored unacknowledged / people lost / people doubled) | "
        + " | ".join(
            f"{'yes' if ok(r) else 'NO'} ({r['checked']['lost']} / {r['checked']['unacknowledged_stored']} / "
            f"{r['checked']['people_lost']} / {r['checked']['people_doubled']})"
            for r in runs
        )
        + " | |"
    )
    return "\n".join(lines)


def ok(run: dict) -> bool:
    c = run["checked"]
    return (
        c["acknowledged"] == c["stored"]
        and c["lost"] == c["unacknowledged_stored"] == c["people_lost"] == c["people_doubled"] == 0
    )


def split(shares: dict[str, list], parts: int) -> list[dict[str, list]]:
    return [{name: houses[k::parts] for name, houses in shares.items()} for k in range(parts)]


def machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"this machine ({cpus} CPUs, {memory:.0f} GB, load average {os.getloadavg()[0]:.1f} at the end; "
        "PostgreSQL + PostGIS started on loopback by the script; the server processes and the "
        "simulated phones share the CPUs)"
    )


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace the text under ``heading`` (up to the next heading) in the Markdown file
    ``path``, or add the section at its end."""
    page = path.read_text(encoding="utf-8") if path.exists() else "# County benchmarks\n"
    start = page.find(f"\n{heading}\n")
    if start < 0:
        page = page.rstrip("\n") + f"\n\n{heading}\n\n{body}"
    else:
        after = start + len(heading) + 2
        ends = [i for i in (page.find("\n## ", after), page.find("\n### ", after)) if i >= 0]
        end = min(ends) if ends else len(page)
        page = page[:after] + "\n" + body + "\n" + page[end + 1 :] if ends else page[:after] + "\n" + body
    path.write_text(page, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collectors", type=int, default=100)
    parser.add_argument("--villages", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pause", type=float, default=2.0, help="mean seconds between a collector's houses")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="the runs, baseline first")
    parser.add_argument(
        "--county", type=int, nargs=2, default=COUNTY, metavar=("VILLAGES", "HOUSES"),
        help="the synthetic county seeded in an empty database (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--demo", action="store_true", help="seed the demo town (28 villages) instead")
    parser.add_argument(
        "--database-url", help="a PostGIS database (default: a PostGIS server started for the run)"
    )
    parser.add_argument("--write", type=Path, help="also append the table to this Markdown file")
    args = parser.parse_args()
    pg = None
    if not args.database_url:
        pg, args.database_url = start_postgis("load")
    url = args.database_url
    backend = "PostGIS" if url.startswith("postgresql") else "SQLite"
    work = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        t0 = time.perf_counter()
        shares = prepare(
            url, args.collectors, args.villages, county=None if args.demo else tuple(args.county)
        )
        args.used_villages = len(set(villages_of(url, list(shares)).values()))
        print(f"town and {args.collectors} accounts ready in {time.perf_counter() - t0:.0f} s", flush=True)
        runs = []
        for workers, part in zip(args.workers, split(shares, len(args.workers)), strict=True):
            runs.append(
                measure(url, workers, part, args.seconds, args.pause, work / f"load-serve-{workers}.log")
            )
            print(f"--workers {workers}: done", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    table = report(runs, args, backend)
    print(table)
    for r in runs:
        if r["tally"].errors:
            print(f"first errors (--workers {r['workers']}):", *r["tally"].errors[:5], sep="\n  ")
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        command = " ".join(sys.argv[1:])
        body = f"Measured {stamp} by `python bench/load_test.py {command}` on {machine()}.\n\n{table}\n"
        write_section(args.write, "## Load", body)
    sys.exit(0 if all(ok(r) and not r["tally"].errors for r in runs) else 1)


if __name__ == "__main__":
    main()
