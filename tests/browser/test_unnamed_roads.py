"""An unnamed road (from an OpenStreetMap extract) in the browser: 无名路 on the addresses page
and in the units page's street list, with no numbering offered. Screenshots at 390×844 and
1440×900 go to test-artifacts/; no request leaves the app."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.conftest import log_in, open_page
from tests.conftest import add_user
from tests.web.test_unnamed_roads import unname

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


@contextmanager
def signed_in(browser, live_server, demo_db, size: str, role: str):
    """A page at ``size`` (phone: touch), logged in as a new user of ``role``; then the guard."""
    add_user(demo_db, f"road_{role}", role)
    options = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size], **options)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        log_in(page, live_server.url, f"road_{role}")
        yield page
    finally:
        context.close()
    guard.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_unnamed_road_pages(browser, live_server, demo_db, size):
    street = unname(demo_db, "老街")
    with signed_in(browser, live_server, demo_db, size, "admin") as page:
        page.goto(live_server.url + "/addresses")
        row = page.locator(f"#street-{street}")
        assert row.locator("td.name").inner_text() == "无名路"
        assert row.locator("a.number").count() == 0
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"addresses-unnamed-road-{size}.png"))  # the row in view
        page.goto(live_server.url + "/units")
        assert "无名路" in page.locator("select[name=street]").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"units-unnamed-road-{size}.png"))
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_map_names_an_unnamed_road(browser, live_server, demo_db, size):
    street = unname(demo_db, "老街")
    with signed_in(browser, live_server, demo_db, size, "officer") as page:
        page.goto(live_server.url + "/")
        page.wait_for_function("() => window.geoapp && geoapp.stats.streets", timeout=20_000)
        texts = page.evaluate(
            """(id) => {
                const layer = geoapp.layers.streets;
                const road = layer.getLayers().find(l => l.feature.id === id);
                const map = layer._map;
                map.fitBounds(road.getBounds(), {animate: false});
                map.setZoom(17, {animate: false});
                const middle = road.getLatLngs()[Math.floor(road.getLatLngs().length / 2)];
                layer.fire("mouseover", {layer: road, latlng: middle});
                const tip = road.getTooltip() && road.getTooltip().getContent().textContent;
                const left = road._leftLabel && road._leftLabel.getContent().textContent;
                return {name: road.feature.properties.name, tip, left};
            }""",
            street,
        )
        assert texts["name"] == ""
        # Named on hover, or by the permanent "… left" label when houses are left to collect.
        assert texts["tip"] == "无名路" if texts["left"] is None else texts["left"].startswith("无名路：")
        page.screenshot(path=str(ARTIFACTS / f"map-unnamed-road-{size}.png"))
