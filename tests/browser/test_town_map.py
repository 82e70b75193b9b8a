"""The town map in a real browser: houses drawn, popups work, nothing loads from outside."""

import re
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.conftest import WAIT_HOUSES, log_in, open_page
from tests.conftest import add_user

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.browser


def test_town_map_draws_every_house_offline(page_guard, live_server):
    page = page_guard
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    page.wait_for_function("() => geoapp.stats.villages && geoapp.stats.streets", timeout=20_000)
    stats = page.evaluate("() => geoapp.stats")
    assert stats["buildings"]["count"] == 10831
    assert stats["buildings"]["truncated"] is False
    assert stats["villages"]["count"] == 28
    drawn = page.evaluate("() => geoapp.layers.buildings.getLayers().length")
    assert drawn == 10831
    assert page.locator("canvas.leaflet-zoom-animated").count() >= 1
    assert "采集状态" in page.locator(".geoapp-legend").inner_text()
    control = page.locator(".leaflet-control-layers-list").text_content()  # collapsed on small screens
    assert "房屋" in control and "村界" in control and "街路巷" in control
    assert page.title() == "全镇地图"


def test_the_houses_dots_equal_the_canvas_own_drawing(page_guard, live_server):
    """The dots laid into one image (premultiplied, two channels at a time) are what the
    canvas itself paints when each house's dot is drawn on its own, in the same order:
    every house in place, overlaps blended "source over" (within rounding); a status change
    draws anew (the kept image is not shown stale)."""
    page = page_guard
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    compare = """() => {
        const c = geoapp.layers.buildings.cloud(), img = c._image, [ox, oy] = c._scratchAt;
        const ref = document.createElement("canvas");
        ref.width = img.width; ref.height = img.height;
        const ctx = ref.getContext("2d");
        const sprites = c._sprites().map(px => {
            const s = document.createElement("canvas"); s.width = s.height = 10;
            s.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(px), 10, 10), 0, 0);
            return s;
        });
        const b = c._renderer._bounds;
        let drawn = 0, bare = 0;
        for (let i = 0; i < c.ids.length; i++) {
            const x = c._px[i], y = c._py[i];
            if (x < b.min.x - 5 || x > b.max.x + 5 || y < b.min.y - 5 || y > b.max.y + 5 || c._hr[i] > 3) continue;
            ctx.drawImage(sprites[c.codes[i]], Math.round(x) - 5 - ox, Math.round(y) - 5 - oy);
            drawn++;
            if (!img.data[((Math.round(y) - oy) * img.width + Math.round(x) - ox) * 4 + 3]) bare++;
        }
        const want = ctx.getImageData(0, 0, ref.width, ref.height).data;
        let worst = 0, painted = 0;
        for (let k = 0; k < want.length; k += 4) {
            if (!want[k + 3]) continue;
            painted++;
            // compared as premultiplied colours (the canvas keeps them so; straight colours of
            // nearly transparent pixels are not exact anywhere)
            for (let ch = 0; ch < 3; ch++)
                worst = Math.max(worst, Math.abs(want[k + ch] * want[k + 3] - img.data[k + ch] * img.data[k + 3]) / 255);
            worst = Math.max(worst, Math.abs(want[k + 3] - img.data[k + 3]));
        }
        let extra = 0;
        for (let k = 3; k < want.length; k += 4) if (!want[k] && img.data[k]) extra++;
        return {drawn, bare, painted, worst, extra, key: c._dotsKey};
    }"""
    first = page.evaluate(compare)
    assert first["drawn"] == 10831 and first["bare"] == 0  # every house's centre painted
    assert first["painted"] > 0
    assert first["extra"] == 0  # nothing painted where no house is
    assert first["worst"] <= 3, first
    # A house turns collected: the next redraw lays the dots again, with its new colour.
    page.evaluate(
        """() => { const c = geoapp.layers.buildings.cloud();
            const i = c.codes.findIndex(code => c.statuses[code] === "uncollected");
            geoapp.setHouseStatus(c.ids[i], "collected"); }"""
    )
    page.wait_for_function(f"() => geoapp.layers.buildings.cloud()._dotsKey !== {first['key']!r}")
    again = page.evaluate(compare)
    assert again["worst"] <= 3 and again["extra"] == 0, again


def test_clicking_a_house_opens_its_popup(page_guard, live_server):
    page = page_guard
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    _click_a_house(page)
    popup = page.locator(".leaflet-popup-content h3")
    popup.wait_for(timeout=10_000)
    assert popup.inner_text().startswith("余坪镇")
    assert "状态" in page.locator(".leaflet-popup-content").inner_text()


def test_english_page(page_guard, live_server):
    page = page_guard
    page.goto(live_server.url + "/?lang=en")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    assert "Collection status" in page.locator(".geoapp-legend").inner_text()


def test_a_layer_too_big_for_one_answer_loads_by_view(browser, demo_url):
    from geoapp import create_app
    from tests.browser.conftest import log_in, open_page
    from tests.conftest import add_user, make_settings
    from tests.live import LiveServer

    app = create_app(make_settings(demo_url, max_features=1000))
    add_user(app.extensions["geoapp.db"], "officer", "officer")
    with LiveServer(app) as server:
        context, page, guard = open_page(browser, server.url, viewport={"width": 1280, "height": 800})
        try:
            log_in(page, server.url, "officer")
            _zoom_in_and_load_by_view(page, server)
        finally:
            context.close()
            app.extensions["geoapp.db"].dispose()
    guard.check()


def _zoom_in_and_load_by_view(page, server):
    """Too many houses for one answer: from the lowest zoom to county zoom, each village
    coloured by its progress; then squares counting the houses (never an empty map); from
    street level, the houses themselves."""
    page.goto(server.url + "/")
    bins = "() => geoapp.stats.buildings && geoapp.stats.buildings.bins > 0"
    page.wait_for_function(bins, timeout=20_000)
    # invalidateSize: the map takes a new window size at once (Leaflet waits a frame, and the
    # squares drawn for the old size may already cover the new view: then nothing reloads).
    # Centred on the town each time (the centre kept through the lowest zoom drifts off it).
    set_zoom = """(z) => { geoapp.stats.buildings = null; const map = geoapp.layers.buildings._map;
        map.invalidateSize();
        map.setView([27.09, 113.35], z === null ? map.getMinZoom() : z, {animate: false}); }"""
    for zoom in (None, 3, 10, 11):  # None: the lowest zoom the map allows
        page.evaluate(set_zoom, zoom)
        page.wait_for_function(bins, timeout=20_000)
        assert page.evaluate("() => geoapp.stats.buildings.county") is True
        drawn = page.evaluate(
            """() => geoapp.layers.buildings.getLayers().filter(l => l._bin).map(
                l => [l.feature.properties.name, l.options.fillColor, !!l.getTooltip()])"""
        )
        assert len(drawn) == page.evaluate("() => geoapp.stats.buildings.bins") > 0
        assert all(name and colour and tip for name, colour, tip in drawn)  # coloured, named
        assert page.locator(".geoapp-notice").inner_text() == "按进度为各村着色：放大地图可按方格统计房屋。"
        legends = page.locator(".geoapp-legend").all_inner_texts()
        assert any("各村房屋任务采集比例" in t and "无任务数" in t for t in legends)
        assert all("方格内房屋" not in t for t in legends)
    # A village's tooltip names it, with its counts and share.
    tip = page.evaluate(
        """() => { const v = geoapp.layers.buildings.getLayers().find(l => l._bin);
            return [v.feature.properties.name, v.getTooltip().getContent().textContent]; }"""
    )
    assert tip[1].startswith(tip[0] + "：房屋任务") and "%" in tip[1], tip
    for name, size in (("phone", (390, 844)), ("desktop", (1440, 900))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.evaluate(set_zoom, 10)
        page.wait_for_function(bins, timeout=20_000)
        page.wait_for_timeout(300)
        # A village's tooltip under the pointer, in the middle of the map: wrapped, on the screen.
        box = page.locator(".leaflet-container").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        shown = page.locator(".leaflet-tooltip.geoapp-tip")
        shown.wait_for(timeout=5_000)
        edge = shown.bounding_box()
        assert edge["x"] >= 0 and edge["x"] + edge["width"] <= size[0], (name, edge)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"town-map-county-zoom-{name}.png"))
        page.mouse.move(0, size[1] - 1)
    for zoom in (12, 13):  # a town: squares counting the houses
        page.evaluate(set_zoom, zoom)
        page.wait_for_function(bins, timeout=20_000)
        assert page.evaluate("() => geoapp.stats.buildings.county") is False
        squares = page.evaluate("() => geoapp.layers.buildings.getLayers().filter(l => l._bin).length")
        assert squares == page.evaluate("() => geoapp.stats.buildings.bins") > 0
        assert page.locator(".geoapp-notice").inner_text() == "方格统计房屋数：放大地图可查看每栋房屋。"
        legends = page.locator(".geoapp-legend").all_inner_texts()
        assert any("方格内房屋：采集比例" in t for t in legends)
        assert all("各村房屋任务采集比例" not in t for t in legends)
    page.evaluate("() => { geoapp.layers.buildings._map.setView([27.10, 113.35], 18, {animate: false}); }")
    page.wait_for_function(
        "() => geoapp.stats.buildings.count > 0 && !geoapp.stats.buildings.truncated", timeout=20_000
    )
    count = page.evaluate("() => geoapp.layers.buildings.getLayers().filter(l => !l._bin).length")
    assert 0 < count <= 1000 and count == page.evaluate("() => geoapp.layers.buildings.getLayers().length")
    assert not page.locator(".geoapp-notice").is_visible()
    assert all("方格内房屋" not in t for t in page.locator(".geoapp-legend").all_inner_texts())


class _SlowHouses:
    """WSGI middleware: the houses' answer held back (``delay`` s) or refused (``fail``)."""

    def __init__(self, app, delay: float = 0.0, fail: bool = False) -> None:
        self.app, self.delay, self.fail = app, delay, fail

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/api/buildings.geojson":
            if self.fail:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"down"]
            time.sleep(self.delay)
        return self.app(environ, start_response)


ORDER = "window.__order = []; document.addEventListener('geoapp:loaded', e => __order.push(e.detail.kind));"
OTHERS = ("villages", "streets", "shops", "factories")


@contextmanager
def _map_with(browser, demo_url, middleware, init: str):
    """The officer's town map served through ``middleware``: yields (page, guard); the page
    logged in, ``init`` run before each page's own scripts."""
    from geoapp import create_app
    from tests.browser.conftest import log_in, open_page
    from tests.conftest import add_user, make_settings
    from tests.live import LiveServer

    app = create_app(make_settings(demo_url))
    app.wsgi_app = middleware(app.wsgi_app)
    add_user(app.extensions["geoapp.db"], "officer", "officer")
    try:
        with LiveServer(app) as server:
            context, page, guard = open_page(browser, server.url, viewport={"width": 1280, "height": 800})
            try:
                page.add_init_script(ORDER + init)
                log_in(page, server.url, "officer")
                yield page, guard
            finally:
                context.close()
    finally:
        app.extensions["geoapp.db"].dispose()


def test_the_houses_are_drawn_before_the_other_layers(browser, demo_url):
    """The houses' answer comes last (held 0.6 s), yet the houses are laid first and the
    streets, villages and shops after them: nothing stands between the houses and the screen."""
    with _map_with(browser, demo_url, lambda a: _SlowHouses(a, delay=0.6), "") as (page, guard):
        page.wait_for_function(
            f"() => {list(('buildings', *OTHERS))}.every(k => geoapp.stats[k] && !geoapp.stats[k].error)",
            timeout=20_000,
        )
        order = page.evaluate("window.__order")
        assert order[0] == "buildings" and set(OTHERS) <= set(order[1:]), order
        assert page.evaluate("geoapp.stats.buildings.count") == 10831
    guard.check()


def test_the_other_layers_do_not_wait_for_houses_that_fail(browser, demo_url):
    """The houses refused (503): the other layers are drawn at once, not after the wait for the
    houses (set to a minute here, so that only the failure can let them through)."""
    slow = "window.geoapp = {housesFirstMs: 60000};"
    with _map_with(browser, demo_url, lambda a: _SlowHouses(a, fail=True), slow) as (page, guard):
        page.wait_for_function(f"() => {list(OTHERS)}.every(k => geoapp.stats[k])", timeout=20_000)
        assert page.evaluate("geoapp.stats.buildings.error") == "HTTP 503"
        assert "buildings" not in page.evaluate("window.__order")
        assert page.evaluate("geoapp.stats.villages.count") == 28
    guard.expect("503")  # the browser logs the refusal
    guard.check()


@pytest.mark.parametrize("size", [(390, 844), (1440, 900)], ids=["phone", "desk"])
def test_a_refused_record_shows_the_servers_reason(browser, live_server, demo_db, size):
    """A call the server refuses rejects with an Error carrying its reason, status and body
    (dom.js); a house's popup whose record is refused shows that reason, not "HTTP 404"."""
    add_user(demo_db, "officer", "officer")
    context, page, guard = open_page(browser, live_server.url, viewport={"width": size[0], "height": size[1]})
    try:
        _refused_record(page, live_server.url)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-popup-refused-{size[0]}.png"))
    finally:
        context.close()
    guard.expect("status of 404")  # the browser logs both refusals
    guard.check()


def _refused_record(page, url: str) -> None:
    log_in(page, url, "officer")
    page.goto(url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    refused = page.evaluate(
        """() => geoapp.call("GET", "/api/buildings/987654321").then(() => null,
            e => [e instanceof Error, e.status, e.message, e.body && e.body.message])"""
    )
    assert refused[0] is True and refused[1] == 404, refused
    assert refused[2] == refused[3] and refused[2] and not refused[2].startswith("HTTP"), refused
    _click_a_house(page, "house.feature.id = 987654321;  // a house deleted since the map was drawn")
    assert _popup_text(page) == refused[2]


def _click_a_house(page, before: str = "") -> None:
    """Zoom to the first house drawn and click where the canvas drew it (after the script
    ``before``, which may change ``house``)."""
    point = page.evaluate(
        """() => {
            const map = geoapp.layers.buildings._map;
            const house = geoapp.layers.buildings.getLayers().find(l => l.getLatLng);
            BEFORE
            map.setView(house.getLatLng(), 19, {animate: false});
            const p = map.latLngToContainerPoint(house.getLatLng());
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""".replace("BEFORE", before)
    )
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])


def _popup_text(page) -> str:
    """A house popup's text once its record's answer (or refusal) has replaced its "…"."""
    popup = page.locator(".leaflet-popup-content .geoapp-popup")
    popup.wait_for(timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('.leaflet-popup-content .geoapp-popup').textContent !== '…'"
    )
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    return popup.inner_text()


@pytest.mark.parametrize("size", [(390, 844), (1440, 900)], ids=["phone", "desk"])
def test_no_network_is_said_in_the_pages_language(browser, live_server, demo_db, size):
    """A call that reaches no server rejects with the page's own "no network" text (dom.js,
    from the page's meta tag), not the browser's English "Failed to fetch": a house's popup
    whose record cannot be fetched says so in Chinese."""
    add_user(demo_db, "officer", "officer")
    context, page, guard = open_page(
        browser, live_server.url, viewport={"width": size[0], "height": size[1]}, service_workers="block"
    )
    try:
        log_in(page, live_server.url, "officer")
        page.goto(live_server.url + "/")
        page.wait_for_function(WAIT_HOUSES, timeout=20_000)
        text = page.get_attribute('meta[name="geoapp-no-network"]', "content")
        assert text and "网络" in text, text
        page.route(re.compile(r".*/api/buildings/\d+$"), lambda route: route.abort("internetdisconnected"))
        said = page.evaluate(
            """() => geoapp.call("GET", "/api/buildings/1").then(() => null,
                e => [e instanceof Error, e.status === undefined, e.message])"""
        )
        assert said == [True, True, text], said
        _click_a_house(page)
        assert _popup_text(page) == text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-popup-no-network-{size[0]}.png"))
    finally:
        context.close()
    guard.expect("ERR_INTERNET_DISCONNECTED")  # the browser logs the failed fetches
    guard.check()


def test_the_tools_load_after_the_houses_are_drawn(page_guard, live_server):
    """The officer's tools (units, collector, offline queue, review, moves, blocks) are
    fetched only once the houses are painted, then set up: the locate and block-editing
    buttons are there and a house's popup carries the tools' buttons."""
    page = page_guard
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    seen = page.evaluate(
        """() => ({
            drawn: geoapp.stats.buildings.at,
            state: geoapp.tools,
            tools: performance.getEntriesByType('resource')
                .filter(r => /\\/static\\/js\\/(units|collect|offline|review|moves|blocks)\\.js/.test(r.name))
                .map(r => [r.name.match(/js\\/(\\w+)\\.js/)[1], r.startTime]),
        })"""
    )
    assert seen["state"] == "ready", seen
    assert {name for name, _ in seen["tools"]} == {
        "units",
        "collect",
        "offline",
        "review",
        "moves",
        "blocks",
    }, seen
    assert all(start > seen["drawn"] for _, start in seen["tools"]), seen
    assert page.locator(".leaflet-control-locate a").count() == 1
    _click_a_house(page)
    page.locator(".leaflet-popup-content h3").wait_for(timeout=10_000)
    page.locator(".leaflet-popup-content button").first.wait_for(timeout=10_000)
