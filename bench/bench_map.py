"""The whole-town map in headless Chromium, next to an ordinary folium page, in the same run.

    PYTHONPATH=. .venv/bin/python bench/bench_map.py [--repeat 7] [--profile] [--in-process]

Baseline: the page anyone who knows folium would write for the same 10,831 demo houses
(``folium.Map(prefer_canvas=True)``, ``folium.GeoJson(houses, marker=folium.CircleMarker(...))``
coloured by status, Leaflet served locally), served by the same server. Both are timed
from navigation start to the frame after every house is drawn (the folium page: its
``load`` event; the app's officer map: its ``geoapp:loaded`` event for the houses), in
fresh tabs of one warmed browser context (the browser's HTTP cache as a returning user
has it). ``--profile`` also prints the app page's requests (start, end, size, repeated)
and its long tasks, from the browser's Resource Timing.

The pages are served as in production: by cheroot (the server of ``geoapp serve``, 32
threads) in a process of its own. ``--in-process`` serves them as this script did before,
from werkzeug's development server on a thread of the process that drives the browser,
where every answer waits for the Playwright client's share of the same interpreter lock.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import add_officer, log_in_browser, seed  # noqa: E402

from geoapp import create_app  # noqa: E402
from geoapp.config import Settings  # noqa: E402
from geoapp.domain.status import STATUS_COLOURS  # noqa: E402
from geoapp.services.gis_io.exporter import layer_frames  # noqa: E402
from geoapp.store.db import Database  # noqa: E402

HOOK = """
    window.__drawn = new Promise(resolve => {
      const frame = () => requestAnimationFrame(() => resolve(performance.now()));
      document.addEventListener('geoapp:loaded', e => { if (e.detail.kind === 'buildings') frame(); });
      if (location.pathname === '/folium.html') window.addEventListener('load', frame);
    });
    window.__long = [];
    try {
      new PerformanceObserver(list => list.getEntries().forEach(e => window.__long.push([e.startTime, e.duration])))
        .observe({type: 'longtask', buffered: true});
    } catch (e) {}
"""
DRAWN = """() => Promise.race([window.__drawn,
    new Promise((_, reject) => setTimeout(() => reject(new Error("houses not drawn in 60 s")), 60000))])"""


def folium_page(db: Database) -> str:
    """The ordinary folium page: every house on one canvas as a circle marker coloured by
    status, from GeoJSON embedded in the page, Leaflet from the app's own /vendor/."""
    import folium

    with db.session() as s:
        houses = layer_frames(s)["buildings"][["id", "status", "geometry"]]
    colours = {s.value: c for s, c in STATUS_COLOURS.items()}
    minx, miny, maxx, maxy = houses.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=13,
        tiles=None,
        max_zoom=20,
        prefer_canvas=True,
    )
    m.default_js = [("leaflet", "/vendor/leaflet/dist/leaflet.js")]
    m.default_css = [("leaflet_css", "/vendor/leaflet/dist/leaflet.css")]
    folium.GeoJson(
        houses,
        name="houses",
        marker=folium.CircleMarker(radius=4, weight=0.6, color="#333", fill=True, fill_opacity=0.85),
        style_function=lambda f: {"fillColor": colours.get(f["properties"]["status"], "#777")},
    ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m.get_root().render()


def build(work: Path) -> Path:
    path = work / "demo.sqlite"
    db = Database(f"sqlite:///{path}")
    seed(db)  # the mid-campaign demo town
    add_officer(db)
    db.dispose()
    return path


PROFILE = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource').map(r => ({
        name: r.name.replace(location.origin, ''), start: r.startTime, end: r.responseEnd,
        bytes: r.transferSize, body: r.decodedBodySize, type: r.initiatorType}));
    return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, responseEnd: nav.responseEnd,
            resources: res, long: window.__long, stats: window.geoapp ? geoapp.stats : null};
}"""


def pages(path: Path, html_path: Path):
    """The WSGI app serving both pages: the folium page at /folium.html, the app elsewhere."""
    from werkzeug.wrappers import Response

    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="bench"))
    html = html_path.read_text()

    def dispatcher(environ, start_response):
        if environ["PATH_INFO"] == "/folium.html":
            return Response(html, mimetype="text/html")(environ, start_response)
        return app(environ, start_response)

    return app, dispatcher


def serve(path: Path, html_path: Path) -> None:
    """``--serve``: both pages from cheroot in this process until stdin closes; the port on stdout."""
    from cheroot import wsgi

    app, dispatcher = pages(path, html_path)
    server = wsgi.Server(("127.0.0.1", 0), dispatcher, numthreads=32, request_queue_size=512)
    server.prepare()
    print(server.bind_addr[1], flush=True)
    threading.Thread(target=server.serve, daemon=True).start()
    sys.stdin.read()  # the benchmark closes it when done (or dies)
    server.stop()
    app.extensions["geoapp.db"].dispose()


def start_server(path: Path, html_path: Path, in_process: bool):
    """(base URL, stop function)."""
    if in_process:
        from werkzeug.serving import make_server

        app, dispatcher = pages(path, html_path)
        server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()

        def stop() -> None:
            server.shutdown()
            app.extensions["geoapp.db"].dispose()

        return f"http://127.0.0.1:{server.server_port}", stop
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(path), str(html_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    port = proc.stdout.readline().strip()
    if not port.isdigit():
        proc.kill()
        raise SystemExit(f"the page server did not start (said {port!r})")

    def stop() -> None:
        proc.stdin.close()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()

    return f"http://127.0.0.1:{port}", stop


def officer_browser(playwright, base: str):
    """Headless Chromium (Debian's) and a 1280×800 context logged in as the benchmark officer."""
    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    log_in_browser(context, base)
    return browser, context


def measure(path: Path, repeat: int, profile: bool, in_process: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    db = Database(f"sqlite:///{path}")
    t0 = time.perf_counter()
    html = folium_page(db)
    folium_render_ms = (time.perf_counter() - t0) * 1000
    db.dispose()
    html_path = path.parent / "folium.html"
    html_path.write_text(html)
    base, stop = start_server(path, html_path, in_process)
    times: dict[str, list[float]] = {"app": [], "folium": []}
    profiles = []
    with sync_playwright() as p:
        browser, context = officer_browser(p, base)
        # Alternate the two pages so that both see the same machine load; the first of each warms up.
        for i in range(repeat + 1):
            for name, url in (("app", base + "/"), ("folium", base + "/folium.html")):
                page = context.new_page()
                page.add_init_script(HOOK)
                page.goto(url)
                ms = page.evaluate(DRAWN)
                if i:
                    times[name].append(ms)
                    if profile and name == "app":
                        page.wait_for_timeout(300)
                        profiles.append(page.evaluate(PROFILE))
                page.close()
        browser.close()
    stop()
    return {"times": times, "profiles": profiles, "folium_html_bytes": len(html.encode()),
            "folium_render_ms": folium_render_ms}  # fmt: skip


def print_profile(profiles: list[dict]) -> None:
    last = profiles[len(profiles) // 2]
    print(f"\napp page (a median run): HTML done {last['responseEnd']:.0f} ms, DOMContentLoaded "
          f"{last['dcl']:.0f} ms, load {last['load']:.0f} ms")  # fmt: skip
    seen: dict[str, int] = {}
    for r in sorted(last["resources"], key=lambda r: r["start"]):
        seen[r["name"]] = seen.get(r["name"], 0) + 1
        again = "  (again)" if seen[r["name"]] > 1 else ""
        print(f"  {r['start']:7.0f} → {r['end']:7.0f} ms  {r['bytes']:>9} B sent {r['body']:>9} B  "
              f"{r['type']:<10} {r['name'][:90]}{again}")  # fmt: skip
    print("  long tasks (start, ms):", [(round(s), round(d)) for s, d in last["long"]])
    print("  layers:", {k: round(v.get("fetchMs", 0)) for k, v in (last["stats"] or {}).items() if v})


def report(result: dict) -> str:
    app, base = statistics.median(result["times"]["app"]), statistics.median(result["times"]["folium"])
    n = len(result["times"]["app"])
    return "\n".join(
        [
            "| page (10,831 demo houses, headless Chromium, 1280×800) | navigation → all houses drawn, median of "
            f"{n} | ratio |",
            "|---|---|---|",
            f"| folium page the ordinary way (`prefer_canvas=True`, `GeoJson(marker=CircleMarker)`, "
            f"{result['folium_html_bytes'] / 1e6:.1f} MB of HTML) | {base:.0f} ms "
            f"(runs: {', '.join(f'{t:.0f}' for t in sorted(result['times']['folium']))}) | baseline |",
            f"| the app's officer map (cached page shell, houses as columns drawn by one canvas path) | {app:.0f} ms "
            f"(runs: {', '.join(f'{t:.0f}' for t in sorted(result['times']['app']))}) | "
            f"{base / app:.2f}× {'faster' if app < base else 'slower'}; target ≤ 600 ms |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="the old way: see above")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "HTML"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), Path(args.serve[1]))
        return
    with tempfile.TemporaryDirectory(prefix="geoapp-map-") as work:
        path = build(Path(work))
        result = measure(path, args.repeat, args.profile, args.in_process)
    if args.profile:
        print_profile(result["profiles"])
    print(report(result))


if __name__ == "__main__":
    main()
