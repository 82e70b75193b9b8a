"""Where the town map's page spends its time: a CPU profile of one load of the officer's map
in headless Chromium (through the DevTools protocol), after warm-up loads, served as
``bench_map.py`` serves it. Prints the functions with the most time of their own and the
call tree (functions with at least 2 ms, to depth 7).

    PYTHONPATH=. .venv/bin/python bench/profile_map.py [--warm 4] [--interval-us 200]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_map  # noqa: E402


def profile(warm: int, interval_us: int) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="geoapp-map-profile-") as work:
        path = bench_map.build(Path(work))
        html = Path(work) / "folium.html"
        html.write_text("")  # the app's page only
        base, stop = bench_map.start_server(path, html, in_process=False)
        try:
            with sync_playwright() as p:
                browser, context = bench_map.officer_browser(p, base)
                for i in range(warm + 1):
                    page = context.new_page()
                    page.add_init_script(bench_map.HOOK)
                    if i == warm:
                        cdp = context.new_cdp_session(page)
                        cdp.send("Profiler.enable")
                        cdp.send("Profiler.setSamplingInterval", {"interval": interval_us})
                        cdp.send("Profiler.start")
                    page.goto(base + "/")
                    drawn = page.evaluate(bench_map.DRAWN)
                    if i == warm:
                        result = cdp.send("Profiler.stop")["profile"]
                    page.close()
                browser.close()
        finally:
            stop()
    print(f"houses drawn at {drawn:.0f} ms in the profiled load (the profiler slows the page)")
    return result


def label(node: dict) -> str:
    frame = node["callFrame"]
    where = frame["url"].rsplit("/", 1)[-1].split("?")[0]
    return f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber'] + 1}"


def report(prof: dict) -> None:
    nodes = {n["id"]: n for n in prof["nodes"]}
    parent = {c: n["id"] for n in prof["nodes"] for c in n.get("children", [])}
    own: collections.Counter = collections.Counter()
    total: collections.Counter = collections.Counter()  # per node, with its callees
    for sample, dt in zip(prof["samples"], [*prof["timeDeltas"][1:], 0], strict=True):
        own[label(nodes[sample])] += dt
        node = sample
        while node in nodes:
            total[node] += dt
            node = parent.get(node)
    print("\nown time (ms):")
    for name, us in own.most_common(20):
        print(f"  {us / 1000:7.1f}  {name}")
    print("\ncall tree (ms, with callees):")

    def show(node_id: int, depth: int) -> None:
        if total[node_id] < 2000 or depth > 7:
            return
        print(f"  {'  ' * depth}{total[node_id] / 1000:6.1f}  {label(nodes[node_id])}")
        for child in sorted(nodes[node_id].get("children", []), key=lambda c: -total[c]):
            show(child, depth + 1)

    root = prof["nodes"][0]["id"]
    for child in sorted(nodes[root].get("children", []), key=lambda c: -total[c]):
        if label(nodes[child]).startswith(("(program)", "(idle)", "(garbage")):
            print(f"  {total[child] / 1000:6.1f}  {label(nodes[child])}")
        else:
            show(child, 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warm", type=int, default=4, help="loads before the profiled one")
    parser.add_argument("--interval-us", type=int, default=200)
    args = parser.parse_args()
    report(profile(args.warm, args.interval_us))


if __name__ == "__main__":
    main()
