"""Basemaps in a real browser (issue 11 part 4): the offline tile file drawn with no outside
request, the 底图 switch kept across reloads, and on a GCJ-02 basemap (Gaode, its tile server
stubbed here: tests never reach the internet) the town shifted for display while a position
placed on the map is stored in WGS84."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from pyproj import Geod
from sqlalchemy import select

from geoapp.domain.basemaps import Basemap
from geoapp.domain.gcj02 import wgs_to_gcj
from geoapp.services.gis_io.basemap_tiles import build_town_tiles
from geoapp.store.models import Building, Unit, Village
from tests.browser.conftest import WAIT_HOUSES, log_in, open_page
from tests.conftest import add_user

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1440, "height": 900}}
LOADED_TILES = """() => Array.from(document.querySelectorAll('.geoapp-basemap-tiles img.leaflet-tile-loaded'))
    .filter(img => img.complete && img.naturalWidth === 256 && new URL(img.src).pathname.startsWith('/tiles/base/'))
    .length"""
GEOD = Geod(ellps="WGS84")


CACHED_TILES = """async () => {
    let n = 0;
    for (const name of await caches.keys()) {
        const keys = await (await caches.open(name)).keys();
        n += keys.filter(r => new URL(r.url).pathname.startsWith('/tiles/base/')).length;
    }
    return n;
}"""


def wait_until_cached(page, tiles: int, timeout_s: float = 20.0) -> None:
    """Until the service worker's cache holds ``tiles`` basemap tiles (it stores what it
    fetched after answering the page: a loaded tile is not yet a kept one)."""
    deadline = time.monotonic() + timeout_s
    while (cached := page.evaluate(CACHED_TILES)) < tiles:
        assert time.monotonic() < deadline, f"{cached} of {tiles} tiles kept by the service worker"
        page.wait_for_timeout(200)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def configure(app, *basemaps: Basemap) -> None:
    settings = app.extensions["geoapp.settings"]
    app.extensions["geoapp.settings"] = dataclasses.replace(settings, basemaps=basemaps)


@pytest.fixture
def tile_file(demo_db, tmp_path):
    path = tmp_path / "demo-tiles.mbtiles"
    with demo_db.session() as s:
        build_town_tiles(s, path, min_zoom=12, max_zoom=16)
    return path


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_the_offline_tile_file_is_served_and_drawn(browser, demo_app, live_server, demo_db, tile_file, size):
    configure(demo_app, Basemap("mbtiles", str(tile_file)))
    with demo_db.session() as s:
        village = s.scalar(select(Village.id).order_by(Village.id).limit(1))
    add_user(demo_db, "officer", "officer")
    add_user(demo_db, "cathy", "collector", village_id=village)
    for who, name in (("officer", "town"), ("cathy", "collector")):
        context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size])
        tiles_seen = []
        page.on(
            "response", lambda r, seen=tiles_seen: "/tiles/base/" in r.url and seen.append((r.status, r.url))
        )
        log_in(page, live_server.url, who)
        page.wait_for_function(WAIT_HOUSES, timeout=20_000)
        page.wait_for_function(LOADED_TILES + " >= 2", timeout=20_000)
        assert (
            page.evaluate("() => document.querySelector('.leaflet-container').dataset.basemap") == "mbtiles"
        )
        assert any(status == 200 for status, _ in tiles_seen)
        assert page.locator(".geoapp-basemap-control .leaflet-control-layers-toggle").inner_text() == "底图"
        page.wait_for_timeout(300)
        shot(page, f"basemap-{name}-{size}")
        page.evaluate(  # closer, where the house footprints are drawn into the tiles
            "() => { const m = geoapp.layers.buildings._map;"
            " const h = geoapp.layers.buildings.getLayers()[0];"
            " m.setView(h.getLatLng ? h.getLatLng() : h.getBounds().getCenter(), 16, {animate: false}); }"
        )
        page.wait_for_function(LOADED_TILES + " >= 2", timeout=20_000)
        page.wait_for_timeout(500)
        shot(page, f"basemap-{name}-z16-{size}")
        context.close()
        guard.check()  # nothing left 127.0.0.1, no console error


def test_the_switch_changes_the_basemap_and_is_kept(browser, demo_app, live_server, demo_db, tile_file):
    configure(demo_app, Basemap("mbtiles", str(tile_file)))
    add_user(demo_db, "officer", "officer")
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES["phone"])
    log_in(page, live_server.url, "officer")
    page.wait_for_function(LOADED_TILES + " >= 1", timeout=20_000)
    page.click(".geoapp-basemap-control .leaflet-control-layers-toggle")
    labels = page.locator(".geoapp-basemap-control label").all_inner_texts()
    assert [t.strip() for t in labels] == ["离线底图", "无底图"]
    box = page.locator(".geoapp-basemap-control label", has_text="无底图").bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone
    shot(page, "basemap-switch-phone")
    page.locator(".geoapp-basemap-control label", has_text="无底图").click()
    page.wait_for_function("() => document.querySelectorAll('.geoapp-basemap-tiles').length === 0")
    assert page.evaluate("() => localStorage.getItem('geoapp.basemap')") == "none"
    page.reload()
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    assert page.evaluate("() => document.querySelector('.leaflet-container').dataset.basemap") == "none"
    assert page.locator(".geoapp-basemap-tiles").count() == 0
    page.click(".geoapp-basemap-control .leaflet-control-layers-toggle")
    page.locator(".geoapp-basemap-control label", has_text="离线底图").click()
    page.wait_for_function(LOADED_TILES + " >= 1", timeout=20_000)
    assert page.evaluate("() => localStorage.getItem('geoapp.basemap')") == "mbtiles"
    context.close()
    guard.check()


def test_on_a_gcj02_basemap_the_town_is_shifted_and_a_placed_unit_stored_in_wgs84(
    browser, demo_app, live_server, demo_db
):
    configure(demo_app, Basemap("gaode"))
    add_user(demo_db, "officer", "officer")
    with demo_db.write() as s:
        unit = Unit(name="余坪火星坐标商店", kind="shop", status="collected", version=1)
        s.add(unit)
        s.flush()
        unit_id = unit.id
        village = s.scalars(select(Village).order_by(Village.id).limit(1)).one()
        target = village.geom.representative_point()  # a WGS84 point inside the town
    # Requests passing through a service worker escape page.route: no worker here, so the stub sees them.
    context, page, guard = open_page(
        browser,
        live_server.url,
        viewport=SIZES["desk"],
        service_workers="block",
        geolocation={"longitude": target.x, "latitude": target.y, "accuracy": 5},
        permissions=["geolocation"],
    )
    blank = (Path(__file__).resolve().parents[2] / "static" / "icons" / "icon-192.png").read_bytes()
    stubbed = []

    def gaode(route):  # the tile server stands in for autonavi.com: nothing leaves the machine
        stubbed.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=blank)

    page.route("https://*.is.autonavi.com/**", gaode)
    guard.stand_in(".is.autonavi.com")
    log_in(page, live_server.url, "officer")
    page.goto(live_server.url + "/units?unplaced=1")
    page.click(f"a.place[href$='#place={unit_id}']")
    page.wait_for_function(WAIT_HOUSES + " && geoapp.clickHook", timeout=20_000)
    assert page.evaluate("() => geoapp.mapIsGcj02()") is True
    page.wait_for_function(
        "() => document.querySelectorAll('.geoapp-basemap-tiles img.leaflet-tile-loaded').length > 0",
        timeout=20_000,
    )
    assert stubbed and all(u.startswith("https://webrd0") for u in stubbed)
    # A house is drawn at its GCJ-02 position, not at its stored WGS84 one.
    drawn = page.evaluate(
        "() => { const h = geoapp.layers.buildings.getLayers().find(l => l.getLatLng);"
        " const p = h.getLatLng(); return [p.lng, p.lat, h.feature.geometry.coordinates]; }"
    )
    glon, glat = wgs_to_gcj(*drawn[2][:2])
    assert GEOD.inv(drawn[0], drawn[1], glon, glat)[2] < 0.01
    assert GEOD.inv(drawn[0], drawn[1], *drawn[2][:2])[2] > 100  # really shifted
    # The phone's position (WGS84 from the browser) is drawn where the basemap shows it.
    located = page.evaluate(
        """() => new Promise((resolve) => {
            const map = geoapp.layers.buildings._map;
            map.once("locationfound", (e) => resolve([e.latlng.lng, e.latlng.lat]));
            map.locate({setView: false});
        })"""
    )
    shown_lon, shown_lat = wgs_to_gcj(target.x, target.y)
    assert GEOD.inv(located[0], located[1], shown_lon, shown_lat)[2] < 0.05
    # Click the map where the basemap shows the target: it is stored at the target's WGS84 position.
    shown = wgs_to_gcj(target.x, target.y)
    page.evaluate(
        """([lon, lat]) => {
            const map = geoapp.layers.buildings._map;
            const at = L.latLng(lat, lon);
            map.setView(at, 19, {animate: false});
            map.fire("click", {latlng: at, originalEvent: {}});
        }""",
        list(shown),
    )
    page.click(".unit-place-bar button.confirm-place")
    page.locator(".leaflet-popup-content .unit-popup h3", has_text="余坪火星坐标商店").wait_for(
        timeout=10_000
    )
    with demo_db.session() as s:
        building = s.get(Building, s.get(Unit, unit_id).building_id)
        stored = (building.lon, building.lat)
    assert GEOD.inv(stored[0], stored[1], target.x, target.y)[2] < 0.05  # WGS84, to a few cm (7 decimals)
    context.close()
    guard.check()


def test_the_tiles_a_collector_has_seen_are_there_offline(browser, demo_app, live_server, demo_db, tile_file):
    configure(demo_app, Basemap("mbtiles", str(tile_file)))
    with demo_db.session() as s:
        village = s.scalar(select(Village.id).order_by(Village.id).limit(1))
    add_user(demo_db, "cathy", "collector", village_id=village)
    context, page, guard = open_page(
        browser, live_server.url, viewport=SIZES["phone"], is_mobile=True, has_touch=True
    )
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function(WAIT_HOUSES, timeout=20_000)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
        page.wait_for_function("() => document.documentElement.dataset.offlinePrefetched !== undefined")
        page.wait_for_function(LOADED_TILES + " >= 2", timeout=20_000)
        online = page.evaluate(LOADED_TILES)
        wait_until_cached(page, min(online, 2))
        context.set_offline(True)
        page.reload()
        page.wait_for_function(WAIT_HOUSES, timeout=20_000)
        page.wait_for_function(LOADED_TILES + f" >= {min(online, 2)}", timeout=20_000)
        shot(page, "basemap-collector-offline-phone")
        context.set_offline(False)
    finally:
        context.close()
    guard.expect("Failed to load resource")  # tiles never seen online have no copy offline
    guard.check()
