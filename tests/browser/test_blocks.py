"""The officer's day in a real browser: open "我的街区", see a block's progress, open a shop
of that block from the shop layer, verify the house's submission in the side panel, see the
block's progress change. No request leaves the app (the guard). Screenshots at a phone's
and a desk's size go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from geoapp.domain.roles import Role, Scope
from geoapp.domain.schema import parse
from geoapp.domain.submission import SubmissionIn
from geoapp.services.campaign import blocks as blocks_service
from geoapp.services.campaign.collect import submit_house
from geoapp.store.models import BlockBuilding, Building, Unit
from tests.browser.conftest import log_in, open_house_popup, open_page, open_review_panel
from tests.conftest import add_user, make_settings
from tests.web.test_collect import _member, _payload

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1440, "height": 900}}
ADMIN = Scope(None, "admin", Role.ADMIN)


def shot(page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def _a_block_with_a_submitted_shop(demo_db) -> tuple[int, int, int]:
    """Blocks generated; an uncollected shop's house in one of them submitted by its village's
    collector; that block (and two more) assigned to the officer. (block, house, unit)."""
    add_user(demo_db, "officer", "officer")
    with demo_db.write() as s:
        blocks_service.generate_blocks(s, ADMIN)
    with demo_db.session() as s:
        block, house, unit = s.execute(
            select(BlockBuilding.block_id, Building.id, Unit.id)
            .join(Building, Building.id == BlockBuilding.building_id)
            .join(Unit, Unit.building_id == Building.id)
            .where(Building.status == "uncollected", Unit.kind == "shop")
            .order_by(BlockBuilding.block_id, Building.id)
            .limit(1)
        ).one()
        others = list(s.scalars(select(BlockBuilding.block_id).where(BlockBuilding.block_id != block).distinct()
                                .order_by(BlockBuilding.block_id).limit(2)))  # fmt: skip
        building = s.get(Building, house)
    user = add_user(demo_db, "collector_a", "collector", village_id=building.village_id)
    scope = Scope(user, "collector_a", Role.COLLECTOR, building.village_id)
    with demo_db.write() as s:
        submit_house(
            s,
            scope,
            make_settings("sqlite://"),
            house,
            parse(SubmissionIn, _payload(building, [_member(1, "户主")])),
        )
    with demo_db.write() as s:
        blocks_service.assign_blocks(
            s, ADMIN, [block], "officer", blocks_service.beijing_today() + timedelta(days=5)
        )
        blocks_service.assign_blocks(
            s, ADMIN, others, "officer", blocks_service.beijing_today() + timedelta(days=12)
        )
    return block, house, unit


def _figures(page, block: int) -> tuple[int, int, int]:
    text = page.locator(f"#my-block-{block} .figures").inner_text()
    total, collected, verified = (int(n) for n in re.findall(r"\d+", text))
    return total, collected, verified


@pytest.mark.parametrize("size", list(SIZES))
def test_the_officers_day(browser, live_server, demo_db, size):
    block, house, unit = _a_block_with_a_submitted_shop(demo_db)
    extra = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size], **extra)
    try:
        log_in(page, live_server.url, "officer")
        page.goto(live_server.url + "/")
        link = page.locator("nav.menu a", has_text="我的街区")
        assert link.get_attribute("href") == "/my-blocks"
        if size == "desk":
            link.click()
            page.wait_for_load_state()
        else:  # the top bar hides its menu on a phone
            page.goto(live_server.url + "/my-blocks")
        assert page.url.endswith("/my-blocks")
        cards = page.locator("article.block-card")
        assert cards.count() == 3
        assert cards.first.get_attribute("data-block") == str(block)  # due first
        total, collected, verified = _figures(page, block)
        assert total > 0 and collected >= 1 and "剩余 5 天" in cards.first.inner_text()
        page.wait_for_function(
            "() => window.geoapp && geoapp.stats.blocks && geoapp.stats.shops", timeout=30_000
        )
        assert page.evaluate("() => geoapp.layers.blocks.getLayers().length") == 3
        shot(page, f"my-blocks-{size}.png")
        shot(page, f"my-blocks-full-{size}.png", full_page=True)
        page.click("button.block-edit-toggle")  # the block editor unfolds, then folds away
        assert page.locator("button.block-edit-split").is_visible()
        shot(page, f"my-blocks-editor-{size}.png")
        page.click("button.block-edit-toggle")
        assert not page.locator("button.block-edit-split").is_visible()

        # The shop of that block, from the shop layer.
        page.evaluate(
            """(id) => {
                const group = geoapp.layers.shops;
                const sub = group.getLayers().find(l => l.feature.id === id);
                group._map.closePopup();
                group._map.setView(sub.getLatLng(), 18, {animate: false});
                sub.fire("click", {latlng: sub.getLatLng(), originalEvent: {}}, true);
            }""",
            unit,
        )
        page.locator(".leaflet-popup-content .unit-popup h3").wait_for(timeout=10_000)
        page.wait_for_timeout(300)
        shot(page, f"my-blocks-shop-{size}.png")

        # Its house's submission, verified in the side panel.
        open_house_popup(page, house, "button.open-review")
        open_review_panel(page, house)
        panel = page.locator(".review-panel")
        assert panel.locator(".status-badge").inner_text() == "已采集，待核对"
        shot(page, f"my-blocks-panel-{size}.png")
        panel.locator("button.verify").click()
        panel.locator(".review-done").wait_for()
        with demo_db.session() as s:
            assert s.get(Building, house).status == "verified"

        # The block's progress, changed.
        page.goto(live_server.url + "/my-blocks")
        assert _figures(page, block) == (total, collected, verified + 1)
        shot(page, f"my-blocks-after-{size}.png")
    finally:
        context.close()
    guard.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_admin_generates_blocks_and_assigns_two_from_the_list(browser, live_server, demo_db, size):
    add_user(demo_db, "officer", "officer")
    add_user(demo_db, "admin", "admin")
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size])
    try:
        log_in(page, live_server.url, "admin")
        page.goto(live_server.url + "/blocks")
        assert "0 个街区段" in page.locator("p.total").inner_text()
        shot(page, f"blocks-empty-{size}.png")
        page.click("#generate-blocks button[type=submit]")
        page.wait_for_load_state()
        assert "已在 5 条街路巷生成" in page.locator("p.notice").inner_text()
        rows = page.locator("table.blocks tbody tr")
        assert rows.count() > 40
        for i in range(2):
            rows.nth(i).locator("input[type=checkbox]").check()
        page.select_option("#assign-blocks select[name=officer]", "officer")
        page.fill(
            "#assign-blocks input[name=due]", (blocks_service.beijing_today() + timedelta(days=3)).isoformat()
        )
        page.click("#assign-blocks button[type=submit]")
        page.wait_for_load_state()
        assert "已将 2 个街区段分配给 officer" in page.locator("p.notice").inner_text()
        assert rows.nth(0).locator("td").nth(4).inner_text() == "officer"
        shot(page, f"blocks-assigned-{size}.png")
        shot(page, f"blocks-assigned-full-{size}.png", full_page=True)
        # A village assigned to a collector: its history on the administrator's user page.
        collector = add_user(demo_db, "collector_v", "collector")
        with demo_db.session() as s:
            village = s.scalar(select(Building.village_id).limit(1))
        with demo_db.write() as s:
            blocks_service.assign_village(s, ADMIN, village, "collector_v", None)
        page.goto(f"{live_server.url}/admin/users/{collector}")
        assert "村分配记录" in page.locator("#village-history").inner_text()
        shot(page, f"admin-user-villages-{size}.png", full_page=True)
    finally:
        context.close()
    guard.check()


def _draw(page, handler_js: str, points: list[tuple[float, float]]) -> None:
    """Add the points to the active Leaflet.draw handler (as clicks would) and finish the shape."""
    page.evaluate(
        """([points]) => {
            const h = geoapp.blockEditorState.handler;
            points.forEach(p => h.addVertex(L.latLng(p[1], p[0])));
            h.completeShape ? h.completeShape() : h._finishShape();
        }""",
        [points],
    )


def _click_block(page, block_id: int) -> None:
    page.evaluate(
        """(id) => {
            const group = geoapp.layers.blocks;
            const sub = group.getLayers().find(l => l.feature.id === id);
            const at = sub.getBounds().getCenter();
            sub.fire("click", {latlng: at, originalEvent: {}}, true);
        }""",
        block_id,
    )


def test_an_officer_draws_splits_and_merges_a_block_and_an_empty_one_is_refused(
    browser, live_server, demo_db
):
    from sqlalchemy import func

    from geoapp.store.models import Block
    from tests.web.blocks_fixtures import fresh_pair, members

    add_user(demo_db, "officer", "officer")
    pair = fresh_pair(demo_db)
    minx, miny, maxx, maxy = pair["both"].bounds
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES["desk"])
    guard.expect("status of 400")  # the empty block below is refused on purpose

    def count() -> int:
        with demo_db.session() as s:
            return s.scalar(select(func.count()).select_from(Block))

    try:
        log_in(page, live_server.url, "officer")
        page.goto(live_server.url + "/my-blocks")
        page.wait_for_function("() => window.geoapp && geoapp.stats.blocks && geoapp.blockEditorState")
        page.evaluate("([x, y]) => { geoapp.layers.blocks._map.setView([y, x], 18, {animate: false}); }",
                      [(minx + maxx) / 2, (miny + maxy) / 2])  # fmt: skip
        # An empty block: refused with the reason, nothing stored.
        page.click("button.block-edit-toggle")  # the tools unfold
        page.click("button.block-edit-draw")
        _draw(
            page, "", [(maxx + 0.001, miny), (maxx + 0.002, miny), (maxx + 0.002, maxy), (maxx + 0.001, maxy)]
        )
        page.wait_for_function("() => document.querySelector('.block-edit-status.error')")
        assert "没有房屋" in page.locator(".block-edit-status").inner_text()
        shot(page, "blocks-edit-refused-desk.png")
        before = count()
        # A block around the two houses.
        page.click("button.block-edit-draw")
        _draw(page, "", [(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)])
        page.wait_for_function("() => document.querySelector('.block-edit-status') && "
                               "document.querySelector('.block-edit-status').textContent.includes('已保存')")  # fmt: skip
        assert count() == before + 1
        page.wait_for_timeout(1000)  # the page reloads
        with demo_db.session() as s:
            block = s.scalar(select(Block.id).order_by(Block.id.desc()).limit(1))
        assert members(demo_db, block) == set(pair["houses"])
        with demo_db.write() as s:
            blocks_service.assign_blocks(s, ADMIN, [block], "officer", None)
        page.reload()
        page.wait_for_function("() => window.geoapp && geoapp.stats.blocks && geoapp.blockEditorState")
        page.evaluate("([x, y]) => { geoapp.layers.blocks._map.setView([y, x], 18, {animate: false}); }",
                      [(minx + maxx) / 2, (miny + maxy) / 2])  # fmt: skip
        page.click("button.block-edit-toggle")
        shot(page, "blocks-edit-drawn-desk.png")
        # Split along the line between the houses.
        page.click("button.block-edit-split")
        _click_block(page, block)
        (x0, y0), (x1, y1) = pair["line"].coords
        _draw(page, "", [(x0, y0), (x1, y1)])
        page.wait_for_function("() => document.querySelector('.block-edit-status') && "
                               "document.querySelector('.block-edit-status').textContent.includes('已分割')")  # fmt: skip
        with demo_db.session() as s:
            halves = list(s.scalars(select(Block.id).where(Block.officer_id.is_not(None)).order_by(Block.id)))
        assert len(halves) == 2 and all(len(members(demo_db, b)) == 1 for b in halves)
        page.wait_for_timeout(1000)  # the page reloads
        page.wait_for_function("() => window.geoapp && geoapp.stats.blocks && geoapp.blockEditorState")
        page.evaluate("([x, y]) => { geoapp.layers.blocks._map.setView([y, x], 18, {animate: false}); }",
                      [(minx + maxx) / 2, (miny + maxy) / 2])  # fmt: skip
        page.click("button.block-edit-toggle")
        shot(page, "blocks-edit-split-desk.png")
        # Merge the two halves again.
        page.click("button.block-edit-merge")
        _click_block(page, halves[0])
        _click_block(page, halves[1])
        page.wait_for_function("() => document.querySelector('.block-edit-status') && "
                               "document.querySelector('.block-edit-status').textContent.includes('已合并')")  # fmt: skip
        assert members(demo_db, halves[0]) == set(pair["houses"]) and count() == before + 1
    finally:
        context.close()
    guard.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_admin_chooses_blocks_on_the_map_and_assigns_them(browser, live_server, demo_db, size):
    """Select on the map: two blocks clicked (a third clicked twice is left out), an officer
    and a due date chosen; only those two are assigned, with their history."""
    from geoapp.store.models import Block, BlockAssignment

    add_user(demo_db, "officer", "officer")
    add_user(demo_db, "admin", "admin")
    with demo_db.write() as s:
        blocks_service.generate_blocks(s, ADMIN)
    with demo_db.session() as s:
        first, second, third = s.scalars(select(Block.id).order_by(Block.id).limit(3)).all()
    due = blocks_service.beijing_today() + timedelta(days=4)
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size])
    try:
        log_in(page, live_server.url, "admin")
        page.goto(live_server.url + "/")
        page.wait_for_function("() => window.geoapp && geoapp.stats.blocks && geoapp.blockEditorState")
        page.click("button.block-edit-toggle")
        page.click("button.block-edit-assign")
        for block in (first, second, third, third):
            _click_block(page, block)
        assert page.locator(".block-assign-count").inner_text() == "已选街区段：2"
        page.select_option(".block-assign select[name=officer]", "officer")
        page.fill(".block-assign input[name=due]", due.isoformat())
        shot(page, f"blocks-map-assign-{size}.png")
        page.click("button.block-assign-send")
        page.wait_for_function("() => document.querySelector('.block-edit-status') && "
                               "document.querySelector('.block-edit-status').textContent.includes('已分配')")  # fmt: skip
        with demo_db.session() as s:
            assigned = dict(s.execute(select(Block.id, Block.due).where(Block.officer_id.is_not(None))).all())
            history = s.scalars(select(BlockAssignment.block_id).order_by(BlockAssignment.block_id)).all()
        assert assigned == {first: due, second: due}
        assert list(history) == [first, second]
        # The page reloads after an assignment: let it finish before the server stops.
        page.wait_for_timeout(1000)
        page.wait_for_function("() => window.geoapp && geoapp.stats.blocks && geoapp.blockEditorState")
    finally:
        context.close()
    guard.check()
