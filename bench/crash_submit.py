"""Crash test (issue 12): kill -9 a server process while collectors submit; nothing
acknowledged is lost, nothing is stored twice.

    python bench/crash_submit.py [--collectors 20] [--seconds 20] [--kills 1] [--database-url URL]

A throw-away PostGIS server with the demo town (as ``bench/load_test.py``), then
``geoapp serve --workers 2``; the collectors log in and submit houses back to back. Midway
one worker is killed with SIGKILL (no clean-up: its open transactions die with its
database connections). A phone whose request broke (connection reset, refused, or an
answer other than 201/409/4xx) sends the same submission again, with the same client id,
until it is answered: by the other worker (or the restarted one), stored, or answered as
the replay of a first attempt that was committed before the kill. At the end, in the
database: every acknowledged client id is stored exactly once with its people once, and
nothing was stored that no phone had acknowledged.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _common import start_postgis  # noqa: E402
from load_test import Phone, Server, check_stored, prepare, visits  # noqa: E402


class Crash:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acknowledged: dict[str, list[str]] = {}
        self.first_try = 0
        self.broken = 0  # requests that got no answer (or a 5xx) and were sent again
        self.replayed_after_break = 0  # a retry found its first attempt stored: the answer was lost
        self.errors: list[str] = []
        self.unanswered: list[str] = []  # gave up: should stay empty


def submit_until_answered(phone: Phone, house, crash: Crash, deadline: float) -> None:
    payload = phone.submission(house)
    path = f"/api/buildings/{house[0]}/submission"
    broke = False
    while time.monotonic() < deadline:
        try:
            status, body = phone.request(path, payload)
        except OSError as exc:  # reset, refused, or the worker died mid-answer
            status, body = None, repr(exc).encode()
        if status in (200, 201):
            answer = json.loads(body)
            if status == 200 and answer.get("replayed") is not True:
                break
            with crash.lock:
                crash.acknowledged[payload["client_id"]] = [
                    m["id_number"] for m in payload["households"][0]["members"]
                ]
                crash.first_try += not broke
                crash.replayed_after_break += broke and status == 200
            return
        if status is not None and status < 500:
            with crash.lock:
                crash.errors.append(f"{status}: {body[:200]!r}")
            return
        broke = True
        with crash.lock:
            crash.broken += 1
        time.sleep(0.2)
    with crash.lock:
        crash.unanswered.append(payload["client_id"])


def run(url: str, collectors: int, seconds: float, kills: int, log: Path) -> dict:
    shares = prepare(url, collectors, collectors, prefix="crash")
    before = visits(url)
    server = Server(url, 2, log)
    crash = Crash()
    killed: list[int] = []
    try:
        phones = [
            Phone(server.base, name, houses, seed)
            for seed, (name, houses) in enumerate(sorted(shares.items()))
        ]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(Phone.login, phones))
        stop_at = time.monotonic() + seconds

        def work(phone: Phone) -> None:
            while time.monotonic() < stop_at and phone.houses:
                submit_until_answered(phone, phone.houses.pop(), crash, stop_at + 120)

        threads = [threading.Thread(target=work, args=(p,)) for p in phones]
        for t in threads:
            t.start()
        for k in range(kills):  # evenly spread over the run, from its middle
            time.sleep(seconds / (kills + 1) if k else seconds / 2)
            live = [p for p in server.worker_pids() if p not in killed]
            victim = live[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        for t in threads:
            t.join()
        wait_until = time.monotonic() + 60  # the supervisor's restarted workers serve again
        while len(server.worker_pids()) < 2 + kills and time.monotonic() < wait_until:
            time.sleep(0.2)
        restarted = len(server.worker_pids()) - 2
    finally:
        server.stop()
    checked = check_stored(url, crash.acknowledged, before)
    return {
        "crash": crash,
        "checked": checked,
        "killed": killed,
        "restarted": restarted,
        "log": server.text(),
    }


def ok(result: dict) -> bool:
    c, crash = result["checked"], result["crash"]
    return (
        not crash.errors
        and not crash.unanswered
        and c["acknowledged"] == c["stored"]
        and c["lost"] == c["unacknowledged_stored"] == c["people_lost"] == c["people_doubled"] == 0
    )


def report(result: dict, collectors: int, seconds: float) -> str:
    c, crash = result["checked"], result["crash"]
    return "\n".join(
        [
            "| figure | value | must be |",
            "|---|---|---|",
            f"| collectors submitting back to back to `geoapp serve --workers 2` (PostGIS) | {collectors} for {seconds:g} s | |",
            f"| workers killed with SIGKILL / restarted by the supervisor | {len(result['killed'])} / {result['restarted']} | |",
            f"| submissions acknowledged ({c['people']} people) | {c['acknowledged']} | |",
            f"| requests broken by the kill and sent again with the same client id | {crash.broken} | |",
            f"| of which found already stored (answer lost in the crash), answered as replays | {crash.replayed_after_break} | |",
            f"| acknowledged but not stored / stored but never acknowledged | {c['lost']} / {c['unacknowledged_stored']} | 0 / 0 |",
            f"| people lost / stored twice | {c['people_lost']} / {c['people_doubled']} | 0 / 0 |",
            f"| other errors / submissions never answered | {len(crash.errors)} / {len(crash.unanswered)} | 0 / 0 |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collectors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kills", type=int, default=1)
    parser.add_argument(
        "--database-url", help="a PostGIS database (default: a PostGIS server started for the run)"
    )
    args = parser.parse_args()
    pg = None
    if not args.database_url:
        pg, args.database_url = start_postgis()
    try:
        log = Path(tempfile.mkdtemp(prefix="geoapp-crash-")) / "serve.log"
        result = run(args.database_url, args.collectors, args.seconds, args.kills, log)
    finally:
        if pg is not None:
            pg.stop()
    print(report(result, args.collectors, args.seconds))
    if result["crash"].errors:
        print("errors:", *result["crash"].errors[:5], sep="\n  ")
    sys.exit(0 if ok(result) else 1)


if __name__ == "__main__":
    main()
