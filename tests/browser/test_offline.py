"""A collector's phone with no signal (issue 11, part 1), on a 390×844 phone: the map loaded
online keeps working offline; three houses registered offline wait in the queue (badge,
colours), survive a reload, and are stored exactly once when the network is back, even
when the page is closed in the middle of sending; an officer's change made meanwhile to
the same part of a house is shown as a conflict, side by side, not overwritten."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from geoapp.domain.identifiers import make_resident_id
from geoapp.domain.requests import BuildingPatchIn
from geoapp.domain.roles import Role, Scope
from geoapp.domain.status import STATUS_COLOURS, Status
from geoapp.services.campaign.buildings import update_building
from geoapp.store.models import Building, Visit
from tests.browser.conftest import WAIT_HOUSES, log_in, open_page
from tests.browser.test_collector_flow import artifact
from tests.conftest import add_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
COLLECTED = STATUS_COLOURS[Status.COLLECTED]


def _houses(demo_db, n: int) -> list[Building]:
    """``n`` uncollected houses of one village."""
    with demo_db.session() as s:
        first = s.scalar(
            select(Building)
            .where(Building.status == "uncollected", Building.street_id.is_not(None))
            .order_by(Building.village_id, Building.id)
            .limit(1)
        )
        return list(
            s.scalars(
                select(Building)
                .where(Building.status == "uncollected", Building.village_id == first.village_id)
                .order_by(Building.id)
                .limit(n)
            )
        )


def _phone(browser, live_server, house):
    return open_page(
        browser,
        live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": house.lat, "longitude": house.lon, "accuracy": 8},
        permissions=["geolocation"],
    )


def _ready_offline(page) -> None:
    """The map is drawn, the worker controls the page and has kept what offline use needs."""
    page.wait_for_function(WAIT_HOUSES)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function("() => document.documentElement.dataset.offlinePrefetched !== undefined")


def _register(page, house_id: int, n: int) -> None:
    page.evaluate("id => geoapp.openForm(id)", house_id)
    form = page.locator(".geoapp-form.open form.house-form")
    form.wait_for()
    head = form.locator("fieldset.member").nth(0)
    head.locator("input[name=name]").fill(f"孙{n}")
    head.locator("input[name=id_number]").fill(make_resident_id("430101", date(1975, 1, 1 + n), 11 + 2 * n))
    form.locator("button.submit").click()
    page.locator(".geoapp-form.open").wait_for(state="hidden")


def _colour(page, house_id: int) -> str | None:
    return page.evaluate(
        """(id) => {
            let colour = null;
            geoapp.layers.buildings.eachLayer(l => { if (l.feature.id === id) colour = l.options.fillColor; });
            return colour;
        }""",
        house_id,
    )


def _visits(demo_db, ids) -> dict[int, int]:
    with demo_db.session() as s:
        rows = s.execute(
            select(Visit.building_id, func.count())
            .where(Visit.building_id.in_(ids))
            .group_by(Visit.building_id)
        )
        return {i: 0 for i in ids} | dict(rows.all())


def test_three_houses_registered_offline_are_stored_once(browser, live_server, demo_db, tmp_path):
    houses = _houses(demo_db, 3)
    ids = [h.id for h in houses]
    add_user(demo_db, "olga", "collector", village_id=houses[0].village_id)
    context, page, guard = _phone(browser, live_server, houses[0])
    try:
        log_in(page, live_server.url, "olga")
        _ready_offline(page)
        badge = page.locator(".geoapp-offline-badge")
        assert badge.inner_text() == "0 条未上传"

        context.set_offline(True)
        for n, house_id in enumerate(ids):
            _register(page, house_id, n)
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge').dataset.count === '3'")
        assert badge.inner_text().startswith("3 条未上传")
        assert [_colour(page, i) for i in ids] == [COLLECTED] * 3
        # The confirmation says the record is kept on the phone: no counts stored, no visit proven yet.
        confirm = page.locator(".geoapp-confirm")
        assert "已保存在本机" in confirm.inner_text() and "undefined" not in confirm.inner_text()
        assert confirm.locator("p.visit").count() == 0
        page.screenshot(path=artifact("offline-queued-390.png"))
        assert _visits(demo_db, ids) == {i: 0 for i in ids}

        page.reload()  # offline: the page, its files and the layers come from the worker's cache
        page.wait_for_function(WAIT_HOUSES)
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge').dataset.count === '3'")
        page.wait_for_function(
            "([ids, c]) => ids.every(id => { let f = null; geoapp.layers.buildings.eachLayer(l => {"
            " if (l.feature.id === id) f = l.options.fillColor; }); return f === c; })",
            arg=[ids, COLLECTED],
        )
        badge.click()
        panel = page.locator(".geoapp-offline-panel.open")
        assert panel.locator(".queued").count() == 3 and "网络：无" in panel.inner_text()
        page.screenshot(path=artifact("offline-panel-390.png"))
        with page.expect_download() as download:  # the collector keeps a copy outside the browser
            panel.locator("button.save-file").click()
        saved = tmp_path / "queue.json"
        download.value.save_as(saved)
        assert download.value.suggested_filename.startswith("未上传记录-")
        items = json.loads(saved.read_text(encoding="utf-8"))["items"]
        assert [i["building_id"] for i in items] == ids
        for item in items:  # what the server needs: client id, base version, parts changed, visit proof
            assert item["payload"]["client_id"] == item["client_id"] and item["payload"]["version"] >= 1
            assert "households" in item["payload"]["changed"] and item["payload"]["visit"]["accuracy"] == 8
        panel.locator("button.close").click()

        # Back online, the first submission reaches the server but its answer never comes
        # back: the page is closed in the middle of sending.
        reached = threading.Event()

        def cut(route):
            route.fetch()  # the server stores it
            reached.set()
            route.abort()  # …and the phone never hears the answer

        page.route("**/submission", cut)
        guard.expect("net::ERR_FAILED")  # the answer cut on purpose
        context.set_offline(False)
        page.evaluate("() => { geoapp.offline.api.sync(); }")  # also started by the "online" event
        for _ in range(300):  # the route handler runs while Playwright waits
            if reached.is_set():
                break
            page.wait_for_timeout(100)
        assert reached.is_set()
        page.close()
        assert sum(_visits(demo_db, ids).values()) == 1

        page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and guard.said(f"console: {msg.text}"))
        page.goto(live_server.url + "/")
        page.wait_for_function(WAIT_HOUSES)
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge').dataset.count === '0'")
        assert _visits(demo_db, ids) == {i: 1 for i in ids}  # each exactly once
        with demo_db.session() as s:
            assert {s.get(Building, i).status for i in ids} == {"collected"}
        assert [_colour(page, i) for i in ids] == [COLLECTED] * 3
        page.screenshot(path=artifact("offline-synced-390.png"))

        # The saved file loaded back: the same submissions again, answered from the server's
        # record of them (replayed client ids), still stored once.
        page.locator(".geoapp-offline-badge").click()
        page.locator(".geoapp-offline-panel.open input.file-picker").set_input_files(saved)
        page.locator(".geoapp-offline-panel.open .message", has_text="已从文件载入 3 条记录").wait_for()
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge').dataset.count === '0'")
        assert _visits(demo_db, ids) == {i: 1 for i in ids}
    finally:
        context.close()
    guard.check()


def test_an_officers_change_made_meanwhile_is_a_conflict_not_overwritten(browser, live_server, demo_db):
    (house,) = _houses(demo_db, 1)
    add_user(demo_db, "pavel", "collector", village_id=house.village_id)
    officer = add_user(demo_db, "oksana", "officer")
    context, page, guard = _phone(browser, live_server, house)
    try:
        log_in(page, live_server.url, "pavel")
        _ready_offline(page)
        _register(page, house.id, 7)  # online: stored at once
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge').dataset.count === '0'")
        with demo_db.session() as s:
            version = s.get(Building, house.id).version
            assert s.get(Building, house.id).status == "collected"
            floors = s.get(Building, house.id).floors or 1
        mine, theirs = str(floors + 1), floors + 2
        page.evaluate("id => geoapp.openForm(id)", house.id)  # the phone keeps the house as it is now
        page.locator(".geoapp-form.open form.house-form").wait_for()
        page.locator(".geoapp-form.open button.cancel").click()

        context.set_offline(True)
        page.evaluate("id => geoapp.openForm(id)", house.id)
        form = page.locator(".geoapp-form.open form.house-form")
        form.wait_for()
        form.locator("input[name=floors]").fill(mine)
        form.locator("button.submit").click()
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge').dataset.count === '1'")

        with demo_db.write() as s:  # meanwhile the station corrects the same field
            update_building(
                s,
                Scope(officer, "oksana", Role.OFFICER),
                house.id,
                BuildingPatchIn(version=version, floors=theirs),
            )

        guard.expect("status of 409")  # the conflict is the server's answer, as it should be
        context.set_offline(False)
        page.evaluate("() => { geoapp.offline.api.sync(); }")
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge.conflict') !== null")
        with demo_db.session() as s:
            assert s.get(Building, house.id).floors == theirs  # not overwritten
        badge = page.locator(".geoapp-offline-badge")
        assert "1 条未上传" in badge.inner_text()
        badge.click()
        item = page.locator(".geoapp-offline-panel.open .queued.conflict")
        item.locator("button.compare").click()
        row = item.locator("table.compare tr[data-part=floors]")
        row.wait_for()
        assert row.locator("td.mine").inner_text() == mine
        assert row.locator("td.theirs").inner_text() == str(theirs)
        page.screenshot(path=artifact("offline-conflict-390.png"))
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=artifact("offline-conflict-1440.png"))
        page.set_viewport_size(PHONE)

        item.locator("button.keep-mine").click()  # the collector decides: theirs is replaced by mine
        page.wait_for_function("() => document.querySelector('.geoapp-offline-badge').dataset.count === '0'")
        with demo_db.session() as s:
            assert s.get(Building, house.id).floors == int(mine)
            visits = s.scalar(select(func.count()).select_from(Visit).where(Visit.building_id == house.id))
        assert visits == 2

        # Logging out forgets the offline copies of the houses (the queue is empty anyway).
        kept = """async () => { const urls = [];
            for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) urls.push(r.url);
            return urls.filter(u => !/\\/(static|vendor)\\//.test(u)); }"""
        assert any("/api/buildings/" in u for u in page.evaluate(kept))
        page.click(".topbar .menu-toggle")  # on a phone, 退出 is in the menu drawer
        page.locator("form.inline-form button").click()
        page.wait_for_url("**/login**")
        assert page.evaluate(kept) == []  # only the app's own files may stay
    finally:
        context.close()
    guard.check()


class _HeldCall:
    """WSGI middleware: the page's ``/api/progress?held=1`` held until ``release`` is set;
    the times the houses' offline copies (``/api/buildings/<id>``) were asked, kept."""

    def __init__(self, app) -> None:
        self.app = app
        self.release = threading.Event()
        self.held_at: float | None = None
        self.copies: list[float] = []

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/api/progress" and "held=1" in environ.get("QUERY_STRING", ""):
            self.held_at = time.monotonic()
            self.release.wait(30)
        elif re.fullmatch(r"/api/buildings/\d+", path):
            self.copies.append(time.monotonic())
        return self.app(environ, start_response)


# A call of the person's own, still waiting, from the moment the map page's scripts are in.
HOLD = """document.addEventListener("DOMContentLoaded", () => {
    if (location.pathname === "/" && window.geoapp && geoapp.call) geoapp.call("GET", "/api/progress?held=1");
});"""


def test_the_offline_copies_wait_for_the_persons_own_calls(browser, demo_url):
    """The houses' offline copies are fetched in the background only while no call the person
    made is waiting: none is asked while one is held, they start once it is answered."""
    from tests.browser.test_town_map import _map_with

    held: list[_HeldCall] = []

    def middleware(app):
        held.append(_HeldCall(app))
        return held[0]

    with _map_with(browser, demo_url, middleware, HOLD) as (page, guard):
        gate = held[0]
        page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=30_000)
        page.wait_for_timeout(1500)  # the copies would have started by now
        assert gate.held_at is not None
        assert (
            gate.copies == [] and page.evaluate("document.documentElement.dataset.offlinePrefetched") is None
        )
        released = time.monotonic()
        gate.release.set()
        deadline = released + 20
        while len(gate.copies) < 5 and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert len(gate.copies) >= 5 and min(gate.copies) >= released
    guard.check()
