"""An officer's review in the side panel (a bottom sheet on a phone): search the list by
address, open a house in the panel, return it with a common reason (the panel then shows
the new state only), look through one collector's unflagged submissions and verify them
together; a re-visit sample drawn and recorded from the panel. Screenshots of each step
go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from geoapp.domain.roles import Role, Scope
from geoapp.domain.schema import parse
from geoapp.domain.submission import SubmissionIn
from geoapp.services.campaign.collect import submit_house
from geoapp.store.models import Building, Revisit
from tests.browser.conftest import log_in, open_page, wait_for_panel
from tests.conftest import add_user, make_settings
from tests.web.test_collect import _member, _payload

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shot(page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def _submissions(demo_db, n: int = 3) -> tuple[int, list[int]]:
    """A collector of a village submits ``n`` houses (the last far away: flagged)."""
    with demo_db.session() as s:
        village = s.scalar(
            select(Building.village_id)
            .where(Building.status == "uncollected", Building.street_id.is_not(None))
            .limit(1)
        )
        houses = s.scalars(
            select(Building)
            .where(
                Building.village_id == village,
                Building.status == "uncollected",
                Building.street_id.is_not(None),
            )
            .order_by(Building.id)
            .limit(n)
        ).all()
    user = add_user(demo_db, "collector_a", "collector", village_id=village)
    scope = Scope(user, "collector_a", Role.COLLECTOR, village)
    ids = []
    for i, house in enumerate(houses):
        payload = _payload(house, [_member(2 * i, "户主", phone="13800001111"), _member(2 * i + 1)])
        if i == n - 1:
            payload["visit"]["lat"] += 0.01
        with demo_db.write() as s:
            ids.append(
                submit_house(s, scope, make_settings("sqlite://"), house.id, parse(SubmissionIn, payload))[
                    "building_id"
                ]
            )
    return village, ids


def _fits(page, selector: str) -> None:
    """Nothing of the element is cut off at the sides of the viewport."""
    box = page.locator(selector).bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box, width)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_review_in_the_panel_return_with_a_reason_and_bulk_verify(browser, live_server, demo_db, size):
    _, (first, second, flagged) = _submissions(demo_db)
    add_user(demo_db, "officer", "officer")
    with demo_db.session() as s:
        address = s.get(Building, first).address
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size], **({"is_mobile": True, "has_touch": True} if size == "phone" else {}))  # fmt: skip
    try:
        log_in(page, live_server.url, "officer")
        # Search the list by address; open the house in the panel.
        page.goto(live_server.url + "/review")
        page.fill("#review-filter input[name=q]", address)
        page.click("#review-filter button[type=submit]")
        rows = page.locator("#review-queue tbody tr[data-building]")
        assert rows.count() == 1 and rows.first.get_attribute("data-building") == str(first)
        shot(page, f"review-list-{size}.png")
        rows.first.locator("button.open-panel").click()
        wait_for_panel(page, first)
        panel = page.locator(".review-panel")
        assert panel.locator(".panel-title").inner_text() == address
        assert panel.locator(".status-badge").inner_text() == "已采集，待核对"
        text = panel.inner_text()
        assert "上门凭证" in text and "已证明上门" in text and "collector_a" in text
        assert "从未核对过" in text and "新增：王0" in text  # what changed: everything, never checked
        assert (
            "王0" in panel.locator(".people").inner_text()
            and "138****1111" in panel.locator(".people").inner_text()
        )
        assert "13800001111" not in text  # masked
        _fits(page, ".review-panel")
        shot(page, f"review-panel-{size}.png")

        # Return it with a common reason and a word of our own.
        panel.locator("button.return").click()
        panel.locator("select[name=reason_code]").select_option("door_number")
        panel.locator("textarea[name=reason]").fill("应为12号")
        shot(page, f"review-return-{size}.png")
        panel.locator("button.confirm-return").click()
        panel.locator(".review-done").wait_for()
        wait_for_panel(page, first)
        assert panel.locator(".status-badge").inner_text() == "已退回修改"
        assert panel.locator(".status-badge").count() == 1
        assert "待核对" not in panel.inner_text()  # the new state only, not the old status above it
        assert "地址或门牌号与实地不符：应为12号" in panel.locator("tr.reason").inner_text()
        assert page.locator(f'#review-queue tr[data-building="{first}"] .status').inner_text() == "已退回修改"
        shot(page, f"review-returned-{size}.png")
        with demo_db.session() as s:
            b = s.get(Building, first)
            assert (b.status, b.return_reason) == ("returned", "地址或门牌号与实地不符：应为12号")
        panel.locator("button.panel-close").click()
        assert panel.is_hidden()

        # The collector's unflagged submissions: look through them, then verify them together.
        page.click(f'#review-queue tr[data-building="{first}"] a.collector')
        page.wait_for_load_state()
        listed = page.locator("#review-queue tbody tr[data-building]")
        assert [listed.nth(i).get_attribute("data-building") for i in range(listed.count())] == [str(second)]
        assert page.locator("#bulk-verify").is_disabled()  # until the officer says they looked
        listed.first.locator("button.open-panel").click()
        wait_for_panel(page, second)
        page.locator(".review-panel button.panel-close").click()
        page.check("#bulk-viewed")
        shot(page, f"review-bulk-{size}.png")
        page.click("#bulk-verify")
        page.locator("#bulk-message.review-done").wait_for()
        assert "1" in page.locator("#bulk-message").inner_text()
        assert listed.first.locator(".status").inner_text() == "已核对"
        with demo_db.session() as s:
            assert [s.get(Building, i).status for i in (first, second, flagged)] == [
                "returned",
                "verified",
                "collected",
            ]
        shot(page, f"review-bulk-done-{size}.png")
    finally:
        context.close()
    guard.check()


def test_a_sample_drawn_and_a_revisit_recorded_from_the_panel(browser, live_server, demo_db):
    village, _ = _submissions(demo_db, 2)
    add_user(demo_db, "officer", "officer")
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES["desktop"])
    try:
        log_in(page, live_server.url, "officer")
        page.goto(live_server.url + "/review")
        page.select_option("#sample-form select[name=drawfrom]", f"village:{village}")
        page.fill("#sample-form input[name=size]", "3")
        page.fill("#sample-form input[name=seed]", "2016")
        page.click("#sample-form button[type=submit]")
        page.locator("#samples tbody tr").first.wait_for()
        assert page.locator("#samples tbody tr .seed").first.inner_text() == "2016"
        tasks = page.locator("#pending-revisits tbody tr")
        assert tasks.count() == 3
        building = int(tasks.first.get_attribute("data-building"))
        tasks.first.locator("button.open-panel").click()
        wait_for_panel(page, building)
        panel = page.locator(".review-panel")
        assert "复查（随机抽样）" in panel.inner_text()
        shot(page, "review-revisit-desktop.png")
        panel.locator("button.revisit-wrong").click()
        panel.locator(".revisit select[name=reason_code]").select_option("people_missing")
        panel.locator("button.confirm-wrong").click()
        panel.locator(".review-done").wait_for()
        wait_for_panel(page, building)
        assert "复查有误" in panel.locator(".revisit").inner_text()
        assert panel.locator(".status-badge").inner_text() == "已退回修改"
        shot(page, "review-revisit-done-desktop.png")
        with demo_db.session() as s:
            task = s.scalar(select(Revisit).where(Revisit.building_id == building))
            assert task.status == "wrong" and s.get(Building, building).revisit_failed_at is not None
    finally:
        context.close()
    guard.check()


def test_a_version_conflict_is_shown_clearly_and_reloads(browser, live_server, demo_db):
    _, (first, *_) = _submissions(demo_db, 2)
    add_user(demo_db, "officer", "officer")
    context, page, guard = open_page(
        browser, live_server.url, viewport=SIZES["phone"], is_mobile=True, has_touch=True
    )
    guard.expect("status of 409")  # the refused verification, provoked on purpose
    try:
        log_in(page, live_server.url, "officer")
        page.goto(live_server.url + "/review?collector=collector_a")
        page.locator(f'#review-queue tr[data-building="{first}"] button.open-panel').click()
        wait_for_panel(page, first)
        with demo_db.write() as s:  # meanwhile the station changes the house
            s.get(Building, first).floors = 9
        panel = page.locator(".review-panel")
        panel.locator("button.verify").click()
        conflict = panel.locator(".review-conflict")
        conflict.wait_for()
        assert "有人修改了此房屋" in conflict.inner_text() and "重新" in conflict.inner_text()
        assert "house" not in conflict.inner_text()  # the kind of record is named in Chinese too
        _fits(page, ".review-conflict")
        shot(page, "review-conflict-phone.png")
        with demo_db.session() as s:
            assert s.get(Building, first).status == "collected"
        conflict.locator("button.reload-house").click()
        page.wait_for_function("() => !document.querySelector('.review-conflict')")
        wait_for_panel(page, first)
        panel.locator("button.verify").click()
        panel.locator(".review-done").wait_for()
        assert panel.locator(".status-badge").inner_text() == "已核对"
    finally:
        context.close()
    guard.check()
