"""An officer on the town map: opens the review panel from a house's popup, returns a
collected house with a reason, then verifies another whose visit was flagged; the houses
change colour without a reload."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geoapp.domain.status import STATUS_COLOURS, Status
from geoapp.store.models import Building
from tests.browser.conftest import WAIT_HOUSES, open_house_popup, open_review_panel

pytestmark = pytest.mark.browser


def _two_collected(demo_db):
    """Two houses made collected for the test, the second with a flagged visit."""
    with demo_db.write() as s:
        houses = s.scalars(
            select(Building).where(Building.status == "uncollected").order_by(Building.id).limit(2)
        ).all()
        houses[0].status, houses[0].visit_flag = "collected", None
        houses[1].status, houses[1].visit_flag = "collected", "far"
        return [h.id for h in houses]


def _drawn(page, building_id: int):
    return page.evaluate(
        """(id) => {
            let c = null;
            geoapp.layers.buildings.eachLayer(l => { if (l.feature.id === id) c = [l.feature.properties.s, l.options.fillColor]; });
            return c;
        }""",
        building_id,
    )


def _open_panel(page, building_id: int) -> None:
    """From the house's popup, "Review…" opens the side panel with that house."""
    open_house_popup(page, building_id, ".geoapp-review-open")
    open_review_panel(page, building_id)


def test_an_officer_returns_and_verifies_from_the_panel(page_guard, live_server, demo_db):
    returned_id, flagged_id = _two_collected(demo_db)
    page = page_guard
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)

    _open_panel(page, returned_id)
    panel = page.locator(".review-panel")
    panel.locator("button.return").click()
    panel.locator("textarea[name=reason]").fill("门牌号与实地不符")
    panel.locator("button.confirm-return").click()
    panel.locator(".review-done").wait_for()
    assert _drawn(page, returned_id) == ["returned", STATUS_COLOURS[Status.RETURNED]]
    # The popup closes (its status line was out of date); the panel shows the new state.
    page.wait_for_function("() => document.querySelectorAll('.leaflet-popup-content').length === 0")
    with demo_db.session() as s:
        b = s.get(Building, returned_id)
        assert (b.status, b.return_reason) == ("returned", "门牌号与实地不符")

    _open_panel(page, flagged_id)
    panel = page.locator(".review-panel")
    assert "远" in panel.locator(".flag-box").inner_text()  # the flag, explained
    checked = panel.locator("input[name=visit_checked]")
    assert checked.count() == 1  # a flagged visit must be confirmed before verifying
    checked.check()
    panel.locator("button.verify").click()
    panel.locator(".review-done").wait_for()
    page.wait_for_function("() => document.querySelector('.review-panel').dataset.ready")
    assert panel.locator(".status-badge").inner_text() == "已核对"  # the new state only
    assert "待核对" not in panel.inner_text()
    assert _drawn(page, flagged_id) == ["verified", STATUS_COLOURS[Status.VERIFIED]]
    with demo_db.session() as s:
        b = s.get(Building, flagged_id)
        assert (b.status, b.visit_flag) == ("verified", None)


def test_the_queue_opens_a_house_on_the_map(page_guard, live_server, demo_db):
    _, flagged_id = _two_collected(demo_db)
    page = page_guard
    page.goto(live_server.url + "/review?flagged=1")
    row = page.locator(f'#review-queue tr[data-building="{flagged_id}"]')
    assert "远" in row.inner_text() or "定位" in row.inner_text()  # the flag is named
    row.locator("a.open").click()
    page.wait_for_function(
        """() => {
            const boxes = document.querySelectorAll(".leaflet-popup-content");
            return boxes.length === 1 && boxes[0].querySelector(".geoapp-review-open") !== null;
        }""",
        timeout=20_000,
    )
    popup = page.locator(".leaflet-popup-content")
    with demo_db.session() as s:
        assert popup.locator("h3").inner_text() == s.get(Building, flagged_id).address
    popup.locator("button.open-review").click()
    page.locator(".review-panel input[name=visit_checked]").wait_for()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_panel_beside_the_map(browser, live_server, demo_db, size):
    """The panel on the map: a bottom sheet on a phone, a right-side panel on a desktop."""
    from tests.browser.conftest import log_in, open_page
    from tests.browser.test_review_panel import SIZES, shot
    from tests.conftest import add_user

    _, flagged_id = _two_collected(demo_db)
    add_user(demo_db, "officer", "officer")
    phone = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size], **phone)
    try:
        log_in(page, live_server.url, "officer")
        page.wait_for_function(WAIT_HOUSES, timeout=20_000)
        open_house_popup(page, flagged_id, ".geoapp-review-open")
        shot(page, f"map-popup-{size}.png")
        _open_panel(page, flagged_id)
        box = page.locator(".review-panel").bounding_box()
        width, height = SIZES[size]["width"], SIZES[size]["height"]
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
        if size == "phone":  # a bottom sheet: full width, at the bottom, the map still visible above
            assert box["width"] == width and abs(box["y"] + box["height"] - height) < 1 and box["y"] > 150
        else:  # beside the map, on the right
            assert box["x"] > width / 2 and box["height"] > height * 0.8
        shot(page, f"map-panel-{size}.png")
    finally:
        context.close()
    guard.check()
