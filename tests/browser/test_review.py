"""An officer on the town map: returns a collected house with a reason, then verifies
another whose visit was flagged; the houses change colour without a reload."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geoapp.domain.status import STATUS_COLOURS, Status
from geoapp.store.models import Building
from tests.browser.conftest import open_house_popup
from tests.browser.test_town_map import WAIT_HOUSES

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


def test_an_officer_returns_and_verifies_from_the_popup(page_guard, live_server, demo_db):
    returned_id, flagged_id = _two_collected(demo_db)
    page = page_guard
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)

    open_house_popup(page, returned_id, ".geoapp-review")
    popup = page.locator(".leaflet-popup-content")
    popup.locator("button.return").click()
    popup.locator("textarea[name=reason]").fill("门牌号与实地不符")
    popup.locator("button.confirm-return").click()
    popup.locator(".review-done").wait_for()
    assert _drawn(page, returned_id) == ["returned", STATUS_COLOURS[Status.RETURNED]]
    with demo_db.session() as s:
        b = s.get(Building, returned_id)
        assert (b.status, b.return_reason) == ("returned", "门牌号与实地不符")

    open_house_popup(page, flagged_id, ".geoapp-review")
    popup = page.locator(".leaflet-popup-content")
    checked = popup.locator("input[name=visit_checked]")
    assert checked.count() == 1  # a flagged visit must be confirmed before verifying
    checked.check()
    popup.locator("button.verify").click()
    popup.locator(".review-done").wait_for()
    assert popup.locator(".review-done").inner_text() == "已核对"
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
            return boxes.length === 1 && boxes[0].querySelector(".geoapp-review") !== null;
        }""",
        timeout=20_000,
    )
    popup = page.locator(".leaflet-popup-content")
    with demo_db.session() as s:
        assert popup.locator("h3").inner_text() == s.get(Building, flagged_id).address
    assert popup.locator("input[name=visit_checked]").count() == 1
