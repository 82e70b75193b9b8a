"""The collector's bottom sheet on the town map (the officer's too: officers collect units):
closed, it is only its 退回修改 tab, no empty white bar; the tab opens the returned list and
× folds it back, on a phone and on a desktop. Screenshots at 390×844 and 1440×900."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from geoapp.store.models import Village
from tests.browser.conftest import log_in, open_page
from tests.conftest import add_user

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
# The sheet's box and its tab's (the returned list's button), in CSS pixels.
BOXES = """() => {
    const box = (n) => { const r = n.getBoundingClientRect(); return {w: r.width, h: r.height, bottom: r.bottom}; };
    return {sheet: box(document.querySelector('.geoapp-sheet')), tab: box(document.querySelector('button.returned'))};
}"""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", ["officer", "collector"])
def test_the_closed_sheet_is_a_tab_that_opens_it(browser, live_server, demo_db, role, size):
    with demo_db.session() as s:
        village_id = s.scalar(select(Village.id).order_by(Village.code).limit(1))
    add_user(demo_db, f"sheet_{role}", role, **({"village_id": village_id} if role == "collector" else {}))
    options = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size], **options)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        log_in(page, live_server.url, f"sheet_{role}")
        page.wait_for_function("() => window.geoapp && geoapp.stats.buildings && geoapp.progress")
        page.screenshot(path=str(ARTIFACTS / f"sheet-closed-{role}-{size}.png"))
        closed = page.evaluate(BOXES)
        # nothing but the tab: no white bar around it
        assert closed["sheet"]["w"] <= closed["tab"]["w"] + 2
        assert closed["sheet"]["h"] <= closed["tab"]["h"] + 2
        assert closed["sheet"]["bottom"] <= SIZES[size]["height"]
        page.click("button.returned")
        page.wait_for_function("() => document.querySelector('.geoapp-sheet').dataset.list === 'returned'")
        assert page.locator(".geoapp-sheet .sheet-list").is_visible()
        assert page.locator(".geoapp-sheet .sheet-title").inner_text() == "已退回修改"
        page.screenshot(path=str(ARTIFACTS / f"sheet-open-{role}-{size}.png"))
        page.click(".geoapp-sheet .sheet-close")
        assert not page.locator(".geoapp-sheet .sheet-list").is_visible()
        again = page.evaluate(BOXES)
        assert again["sheet"]["w"] <= again["tab"]["w"] + 2
    finally:
        context.close()
    guard.check()
