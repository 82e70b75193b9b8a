"""Leaders' page benchmark (issue 9, part 4): the page drawn in headless Chromium, next to the
plain town map measured in the same run, and the server time of each request the page makes.

    .venv/bin/python bench/bench_leaders.py [--write docs/benchmarks-coverage.md] [--repeat 7]

1. The mid-campaign demo town (10,831 houses) is built into a SQLite file and served on
   127.0.0.1 in a thread; a leader logs in once in headless Chromium.
2. "Drawn": from the start of navigation to the first frame after the page has drawn its
   villages, table, card and chart (``geoapp:leaders`` and ``geoapp:leaders-chart``), for
   ``/leaders?as_of=2016-05-25`` (a past day: every figure from the records' history, the
   slower path) and for ``/leaders`` (as of today: the campaign's end, also from history
   here). Baseline: the town map ``/`` drawn (its 10,831 houses on the canvas).
   Median of ``--repeat`` loads after one warm-up load each.
3. Changing the as-of date on the open page (05-25 → 06-08): until every figure is
   redrawn. The heatmap switched on: until its points are drawn.
4. Server time of the page's requests (Flask test client, median of ``--repeat``).

``--write`` replaces this benchmark's section of the Markdown file (between its markers),
creating the file if needed, and leaves the rest of it as it is.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.domain.tasks import read_task_table  # noqa: E402
from geoapp.services.demo.build import build_demo  # noqa: E402
from geoapp.store.db import Database  # noqa: E402
from geoapp.store.migrate import upgrade  # noqa: E402

TASKS = read_task_table(ROOT / "gis_data" / "task_table.csv")
USER, PASSWORD = "bench-leader", "Bench-password-1"
BEGIN, END = "<!-- bench_leaders: begin -->", "<!-- bench_leaders: end -->"
TARGET_MS = 1000

# Resolves with performance.now() at the first frame after the page is drawn.
HOOK = """
    window.__drawn = new Promise(resolve => {
      const frame = () => requestAnimationFrame(() => resolve(performance.now()));
      if (location.pathname === '/leaders') {
        let table = false, chart = false;
        const done = () => { if (table && chart) { table = chart = false; frame(); } };
        document.addEventListener('geoapp:leaders', () => { table = true; done(); });
        document.addEventListener('geoapp:leaders-chart', e => { if (e.detail.withForecast) { chart = true; done(); } });
      } else {
        document.addEventListener('geoapp:loaded', e => { if (e.detail.kind === 'buildings') frame(); });
      }
    });
"""
WAIT = """() => Promise.race([window.__drawn,
    new Promise((_, reject) => setTimeout(() => reject(new Error("not drawn in 60 s")), 60000))])"""


def build(work: Path) -> Path:
    path = work / "demo.sqlite"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    build_demo(db, TASKS, state="mid")
    from geoapp.services.accounts.passwords import make_hasher
    from geoapp.store.models import User

    with db.write() as s:
        s.add(
            User(
                username=USER,
                role="leader",
                password_hash=make_hasher().hash(PASSWORD),
                must_change_password=False,
            )
        )
    db.dispose()
    return path


def server_times(app, repeat: int) -> dict[str, float]:
    import re

    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").data.decode()).group(1)
    client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
    paths = {
        "page HTML": "/leaders?as_of=2016-05-25",
        "villages (outlines)": "/api/villages.geojson",
        "coverage table (as the API gives it)": "/api/coverage?kind=houses&as_of=2016-05-25",
        "coverage table with each row's forecast (what the page asks for)": (
            "/api/coverage?kind=houses&as_of=2016-05-25&forecast=1"
        ),
        "progress (town + village)": "/api/coverage/progress?kind=houses&as_of=2016-05-25&village=1",
        "heatmap points": "/api/heat?status=uncollected&as_of=2016-05-25",
    }
    out = {}
    for name, path in paths.items():
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - t0)
        out[name] = (statistics.median(times) * 1000, len(r.data))
    return out


def browser_times(app, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    out: dict[str, float] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            login = context.new_page()
            login.goto(base + "/login")
            login.fill("input[name=username]", USER)
            login.fill("input[name=password]", PASSWORD)
            login.click("button[type=submit]")
            login.wait_for_load_state()
            if "/leaders" not in login.url:
                raise RuntimeError(f"the benchmark's leader landed on {login.url}")
            login.close()
            pages = {
                "town map `/` (baseline)": "/",
                "leaders' page, as of 05-25": "/leaders?as_of=2016-05-25",
                "leaders' page, as of today": "/leaders",
            }
            for name, path in pages.items():
                times = []
                for _ in range(repeat + 1):
                    page = context.new_page()
                    page.add_init_script(HOOK)
                    page.goto(base + path)
                    times.append(page.evaluate(WAIT))
                    page.close()
                out[name] = statistics.median(times[1:])  # the first load warms the browser's cache
            switch, heat = [], []
            for _ in range(repeat):
                page = context.new_page()
                page.goto(base + "/leaders?as_of=2016-05-25")
                page.wait_for_function(
                    "() => geoapp.leadersView && geoapp.leadersView.ready && geoapp.leadersView.chart"
                )
                switch.append(
                    page.evaluate(
                        """() => new Promise(resolve => {
                            const t0 = performance.now();
                            let table = false, chart = false;
                            const done = () => { if (table && chart) requestAnimationFrame(() => resolve(performance.now() - t0)); };
                            document.addEventListener('geoapp:leaders', () => { table = true; done(); }, {once: true});
                            document.addEventListener('geoapp:leaders-chart', e => {
                                if (e.detail.asOf === '2016-06-08' && e.detail.withForecast) { chart = true; done(); } });
                            const input = document.getElementById('as-of');
                            input.value = '2016-06-08';
                            input.dispatchEvent(new Event('change'));
                        })"""
                    )
                )
                heat.append(
                    page.evaluate(
                        """() => new Promise(resolve => {
                            const t0 = performance.now();
                            const look = () => geoapp.leadersView.heat && geoapp.leadersView.heat.asOf === '2016-06-08'
                                ? requestAnimationFrame(() => resolve(performance.now() - t0)) : setTimeout(look, 5);
                            geoapp.leaders.map.addLayer(geoapp.leaders.heat);
                            look();
                        })"""
                    )
                )
                page.close()
            out["as-of date changed on the page (05-25 → 06-08), every figure redrawn"] = statistics.median(
                switch
            )
            out["heatmap switched on (uncollected houses as of 06-08)"] = statistics.median(heat)
            browser.close()
    finally:
        server.shutdown()
    return out


def report(browser: dict[str, float], server: dict[str, tuple[float, int]], repeat: int) -> str:
    base = browser["town map `/` (baseline)"]
    load = browser["leaders' page, as of 05-25"]
    lines = [
        f'Headless Chromium, 1440×900, median of {repeat} loads after a warm-up load; "drawn" is the first '
        "frame after the villages, table, card and chart (the town map: its 10,831 houses) are drawn.",
        "",
        "| figure | value | baseline / target | ratio |",
        "|---|---|---|---|",
    ]
    for name, ms in browser.items():
        if name == "town map `/` (baseline)":
            lines.append(
                f"| {name} drawn | {ms:.0f} ms | target < {TARGET_MS} ms | {ms / TARGET_MS:.2f} of budget |"
            )
        elif name.startswith("leaders' page"):
            lines.append(
                f"| {name}, drawn | {ms:.0f} ms | town map {base:.0f} ms; target < {TARGET_MS} ms | "
                f"{ms / base:.2f}× the town map, {ms / TARGET_MS:.2f} of budget |"
            )
        else:
            lines.append(
                f"| {name} | {ms:.0f} ms | whole page as of 05-25 {load:.0f} ms | {ms / load:.2f}× |"
            )
    lines += ["", "Server time of the page's requests (as of 2016-05-25, a past day), median:", ""]
    lines += ["| request | server time | size |", "|---|---|---|"]
    for name, (ms, size) in server.items():
        lines.append(f"| {name} | {ms:.0f} ms | {size / 1000:.1f} kB |")
    return "\n".join(lines)


def write_section(path: Path, body: str, load: tuple[float, float]) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = (
        f"{BEGIN}\n## The leaders' page\n\nMeasured {stamp} by `python bench/bench_leaders.py` on this 2-core "
        "machine, shared with other test runs (load average over 1 minute "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end): medians, and ratios against a baseline "
        "measured in the same run. The 1 s target is for a machine at rest; under load the ratio to the town "
        "map, drawn in the same run, is the figure that carries over.\n\n"
        f"{body}\n{END}"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else "# Coverage benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", type=Path, help="write this benchmark's section into this Markdown file")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="geoapp-bench-leaders-"))
    try:
        app = create_app(Settings(database_url=f"sqlite:///{build(work)}", secret_key="bench"))
        server = server_times(app, args.repeat)
        browser = browser_times(app, args.repeat)
        app.extensions["geoapp.db"].dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = report(browser, server, args.repeat)
    print(table)
    load = (load_before, os.getloadavg()[0])
    print(f"load average (1 min): {load[0]:.1f} at the start, {load[1]:.1f} at the end")
    if args.write:
        write_section(args.write, table, load)


if __name__ == "__main__":
    main()
