"""A new collector on a 390×844 phone (issue 11, parts 2–3): every button and link at least
44×44 px; the menu, village name and legend reachable; the nearest houses numbered once and
drawn as a numbered route; a confirmation after each submission (flagged or not, and why);
the returned list sorted by distance with 修改; a draft surviving a reload; and no English
catalogue string on the Chinese pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from geoapp.domain.identifiers import make_resident_id
from geoapp.store.models import Building, Village
from tests.browser.conftest import log_in, open_house_popup, open_page
from tests.conftest import add_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CATALOGUE = Path(__file__).resolve().parents[2] / "geoapp/translations/zh/LC_MESSAGES/messages.po"
MIN_TAP = 44

# Every visible button and link (and the map's controls) with its size.
MEASURE = """() => {
    const nodes = document.querySelectorAll('button, a[href], .leaflet-control a, input[type=submit], [role=button]');
    const out = [];
    for (const n of nodes) {
        const r = n.getBoundingClientRect();
        const style = getComputedStyle(n);
        if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
        if (r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) continue;
        // covered by an overlay (the form over the map): not tappable, not measured
        const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
        const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
        const top = document.elementFromPoint(x, y);
        if (top && !n.contains(top) && !top.contains(n)) continue;
        out.push({what: String(n.getAttribute('class') || n.tagName) + ' ' + String(n.textContent || n.title || '').trim().slice(0, 20),
                  w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10});
    }
    return out;
}"""


def _small(page) -> list[dict]:
    return [t for t in page.evaluate(MEASURE) if t["w"] < MIN_TAP or t["h"] < MIN_TAP]


def _start_house(demo_db):
    with demo_db.session() as s:
        house = s.scalar(
            select(Building)
            .where(Building.status == "uncollected", Building.street_id.is_not(None))
            .order_by(Building.village_id, Building.id)
            .limit(1)
        )
        village = s.scalar(select(Village.name).where(Village.id == house.village_id))
        return house, village


def _phone(browser, live_server, house, *, located: bool = True, viewport=PHONE):
    options = {"viewport": viewport}
    if viewport is PHONE:
        options |= {"is_mobile": True, "has_touch": True}
    if located:
        options |= {
            "geolocation": {"latitude": house.lat, "longitude": house.lon, "accuracy": 8},
            "permissions": ["geolocation"],
        }
    return open_page(browser, live_server.url, **options)


def _locate(page):
    page.click(".leaflet-control-locate a")
    page.wait_for_function("() => geoapp.next && geoapp.next.items.length > 0")
    page.wait_for_function("() => document.querySelectorAll('.route-number').length > 0")


def _fill_head(form, name: str, sequence: int) -> None:
    head = form.locator("fieldset.member").nth(0)
    head.locator("input[name=name]").fill(name)
    head.locator("input[name=id_number]").fill(make_resident_id("430101", date(1970, 3, 4), sequence))


def test_every_button_and_link_on_the_collectors_pages_is_big_enough(browser, live_server, demo_db):
    house, village = _start_house(demo_db)
    add_user(demo_db, "cathy", "collector", village_id=house.village_id)
    context, page, guard = _phone(browser, live_server, house)
    seen: dict[str, list] = {}
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function("() => geoapp.stats.buildings && geoapp.progress")
        assert village in page.locator(".topbar").inner_text()  # the village name on the phone
        assert page.locator(".geoapp-legend").is_visible()  # and the colour legend
        seen["map"] = _small(page)
        page.click(".topbar .menu-toggle")
        menu = page.locator("#topbar-menu")
        assert menu.is_visible() and menu.locator("a", has_text="人员").is_visible()
        seen["menu"] = _small(page)
        page.click(".topbar .menu-toggle")
        # the layer control does not cover the counts bar
        counts = page.locator(".geoapp-progress").bounding_box()
        layers = page.locator(".leaflet-control-layers").bounding_box()
        zoom = page.locator(".leaflet-control-zoom").bounding_box()
        assert counts["x"] + counts["width"] <= layers["x"] and zoom["x"] + zoom["width"] <= counts["x"]
        _locate(page)
        seen["nearest"] = _small(page)
        open_house_popup(page, house.id, "button.register")
        seen["popup"] = _small(page)
        page.evaluate("() => { geoapp.layers.buildings._map.closePopup(); }")
        page.locator(".sheet-item button.open").first.click()
        page.locator(".geoapp-form.open form.house-form").wait_for()
        page.click(".house-form button.add-member")
        page.click(".house-form button.add-unit")
        seen["form"] = _small(page)
        page.locator(".house-form").evaluate("f => f.parentNode.scrollTo(0, f.parentNode.scrollHeight)")
        seen["form-end"] = _small(page)
        page.click(".house-form button.cancel")
        page.click("button.returned")
        page.wait_for_function("() => document.querySelector('.geoapp-sheet').dataset.list === 'returned'")
        seen["returned"] = _small(page)
        page.goto(live_server.url + "/people")
        seen["people"] = _small(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")  # nothing cut off
    finally:
        context.close()
    guard.check()
    assert {where: small for where, small in seen.items() if small} == {}


def test_nearest_list_route_confirmation_and_returned_order(browser, live_server, demo_db):
    house, _ = _start_house(demo_db)
    add_user(demo_db, "cathy", "collector", village_id=house.village_id)
    context, page, guard = _phone(browser, live_server, house)
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function("() => geoapp.stats.buildings && geoapp.progress")
        _locate(page)
        items = page.locator(".sheet-item")
        count = items.count()
        # numbered once: the badge only (no list marker, no second number in the text)
        assert page.locator(".sheet-list").evaluate("l => getComputedStyle(l).listStyleType") == "none"
        assert [items.nth(i).locator(".num").inner_text() for i in range(count)] == [
            str(i + 1) for i in range(count)
        ]
        details = [items.nth(i).locator(".detail").inner_text() for i in range(count)]
        assert all(d.startswith(("步行", "直线距离")) for d in details)
        assert all(("（" in d) for d in details if d.startswith("直线距离"))  # says why it is a straight line
        # the route: the same numbers on the map, in the list's order
        route = page.evaluate(
            "() => geoapp.route.getLayers().filter(l => l.getTooltip && l.getTooltip()).map(l => [l.getTooltip().getContent(), l.getLatLng().lat])"
        )
        assert [r[0] for r in route] == [str(i + 1) for i in range(count)]
        assert page.evaluate(
            "() => geoapp.route.getLayers().some(l => l instanceof L.Polyline && !(l instanceof L.CircleMarker))"
        )
        first_id = items.first.get_attribute("data-building")

        items.first.locator("button.open").click()
        form = page.locator(".geoapp-form.open form.house-form")
        form.wait_for()
        _fill_head(form, "赵大", 15)
        form.locator("button.submit").click()
        confirm = page.locator(".geoapp-confirm")
        confirm.wait_for(state="visible")
        text = confirm.inner_text()
        assert "已保存" in text and house.address in text and "1 户、1 人" in text
        assert "走访已证实" in text and "flagged" not in (confirm.get_attribute("class") or "")
        # the list and the route were asked for again: numbers still 1..n, the house gone
        page.wait_for_function(
            "(id) => ![...document.querySelectorAll('.sheet-item')].some(li => li.dataset.building === id)",
            arg=first_id,
        )
        nums = page.locator(".sheet-item .num").all_inner_texts()
        assert nums == [str(i + 1) for i in range(len(nums))]
        tips = page.evaluate(
            "() => geoapp.route.getLayers().filter(l => l.getTooltip && l.getTooltip()).map(l => l.getTooltip().getContent())"
        )
        assert tips == nums
        page.click(".geoapp-confirm .confirm-close")
        assert not confirm.is_visible()

        # returned houses: nearest first, each to be corrected (修改)
        page.click("button.returned")
        page.wait_for_function("() => document.querySelector('.geoapp-sheet').dataset.list === 'returned'")
        returned = page.locator(".sheet-item")
        assert returned.count() > 1
        metres = [
            float(d.split(" ")[0]) * (1000 if " km" in d else 1)
            for d in returned.locator(".detail").all_inner_texts()
        ]
        assert metres == sorted(metres)
        assert set(returned.locator("button.open").all_inner_texts()) == {"修改"}
        assert page.evaluate("() => geoapp.route.getLayers().length") == 0  # no route for this list
        page.click(".geoapp-sheet .sheet-close")
        assert not page.locator(".geoapp-sheet .sheet-list").is_visible()  # the list closes
        page.screenshot(path=str(ARTIFACTS / "phone-after-submit-390.png"))
    finally:
        context.close()
    guard.check()


def test_a_submission_without_a_position_tells_the_collector(browser, live_server, demo_db):
    house, _ = _start_house(demo_db)
    add_user(demo_db, "cathy", "collector", village_id=house.village_id)
    context, page, guard = _phone(browser, live_server, house, located=False)
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function("() => geoapp.stats.buildings && geoapp.progress")
        page.evaluate("(id) => { geoapp.openForm(id); }", house.id)
        form = page.locator(".geoapp-form.open form.house-form")
        form.wait_for()
        _fill_head(form, "孙三", 17)
        form.locator("button.submit").click()
        confirm = page.locator(".geoapp-confirm.flagged")
        confirm.wait_for(state="visible", timeout=30_000)
        text = confirm.inner_text()
        assert "已保存" in text and "此次走访已被标记" in text and "没有提供位置" in text
        page.screenshot(path=str(ARTIFACTS / "phone-flagged-390.png"))
    finally:
        context.close()
    guard.check()
    with demo_db.session() as s:
        assert s.get(Building, house.id).visit_flag == "no_position"


def test_what_was_typed_survives_a_reload(browser, live_server, demo_db):
    house, _ = _start_house(demo_db)
    add_user(demo_db, "cathy", "collector", village_id=house.village_id)
    context, page, guard = _phone(browser, live_server, house)
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function("() => geoapp.stats.buildings && geoapp.progress")
        page.evaluate("(id) => { geoapp.openForm(id); }", house.id)
        form = page.locator(".geoapp-form.open form.house-form")
        form.wait_for()
        form.locator("input[name=floors]").fill("4")
        form.locator("fieldset.member input[name=name]").first.fill("周四")
        form.locator("button.add-member").click()
        second = form.locator("fieldset.member").nth(1)
        second.locator("input[name=name]").fill("吴五")
        second.locator("select[name=relation]").select_option("配偶")
        client_id = form.get_attribute("data-client-id")
        page.reload()  # the phone locked and the browser dropped the page
        form = page.locator(".geoapp-form.open form.house-form")
        form.wait_for()
        assert form.locator(".draft-restored").is_visible()
        assert form.locator("input[name=floors]").input_value() == "4"
        names = form.locator("fieldset.member input[name=name]")
        assert [names.nth(i).input_value() for i in range(names.count())] == ["周四", "吴五"]
        assert form.locator("fieldset.member").nth(1).locator("select[name=relation]").input_value() == "配偶"
        assert form.get_attribute("data-client-id") == client_id  # the same submission, if it was sent
        page.screenshot(path=str(ARTIFACTS / "phone-draft-restored-390.png"))
        form.locator("button.discard-draft").click()
        page.wait_for_function(
            "() => !document.querySelector('.house-form .draft-restored')"
            " && document.querySelector('.house-form input[name=name]').value === ''"
        )
    finally:
        context.close()
    guard.check()


def _english_msgids() -> list[str]:
    """Catalogue ids that are English sentences or phrases (long enough not to be a code)."""
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    ids = []
    for m in catalog:
        if not m.id or not isinstance(m.id, str) or not m.string:
            continue
        text = m.id.split("%(")[0].split("{")[0].strip()
        if len(text) >= 8 and " " in text and text.isascii() and any(c.isalpha() for c in text):
            ids.append(text)
    return ids


VISIBLE_TEXT = """() => {
    const parts = [document.body.innerText, document.title];
    for (const n of document.querySelectorAll('option, [title], [placeholder], [aria-label]')) {
        parts.push(n.textContent || '', n.title || '', n.placeholder || '', n.getAttribute('aria-label') || '');
    }
    return parts.join('\\n');
}"""


def test_no_english_catalogue_string_on_the_chinese_pages(browser, live_server, demo_db):
    house, _ = _start_house(demo_db)
    add_user(demo_db, "cathy", "collector", village_id=house.village_id)
    add_user(demo_db, "olga", "officer")
    english = _english_msgids()
    assert len(english) > 200
    found: dict[str, list[str]] = {}

    def scan(where: str, page) -> None:
        text = page.evaluate(VISIBLE_TEXT)
        hits = [e for e in english if e in text]
        if hits:
            found[where] = hits

    context, page, guard = _phone(browser, live_server, house)
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function("() => geoapp.stats.buildings && geoapp.progress")
        scan("map", page)
        _locate(page)
        scan("nearest", page)
        open_house_popup(page, house.id, "button.register")
        scan("popup", page)
        page.evaluate("() => { geoapp.layers.buildings._map.closePopup(); }")
        page.evaluate("(id) => { geoapp.openForm(id); }", house.id)
        page.locator(".geoapp-form.open form.house-form").wait_for()
        page.click(".house-form button.add-unit")
        scan("form", page)
        page.click(".house-form button.cancel")
        page.click("button.returned")
        page.wait_for_function("() => document.querySelector('.geoapp-sheet').dataset.list === 'returned'")
        scan("returned", page)
        page.goto(live_server.url + "/people")
        scan("people", page)
    finally:
        context.close()
    context, page, officer_guard = open_page(browser, live_server.url, viewport=DESKTOP)
    try:
        log_in(page, live_server.url, "olga")
        page.goto(live_server.url + "/audit")
        scan("audit", page)
        page.screenshot(path=str(ARTIFACTS / "audit-1440.png"))
    finally:
        context.close()
    guard.check()
    officer_guard.check()
    assert found == {}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1440x900"])
def test_screenshots_of_the_collectors_pages(browser, live_server, demo_db, viewport):
    """Pictures for a person to look at (test-artifacts/), and the page fits the screen."""
    house, _ = _start_house(demo_db)
    add_user(demo_db, "cathy", "collector", village_id=house.village_id)
    context, page, guard = _phone(browser, live_server, house, viewport=viewport)
    size = f"{viewport['width']}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function("() => geoapp.stats.buildings && geoapp.progress")
        page.screenshot(path=str(ARTIFACTS / f"phone-map-{size}.png"))
        if viewport is PHONE:
            page.click(".topbar .menu-toggle")
            page.screenshot(path=str(ARTIFACTS / f"phone-menu-{size}.png"))
            page.click(".topbar .menu-toggle")
        _locate(page)
        page.screenshot(path=str(ARTIFACTS / f"phone-nearest-{size}.png"))
        open_house_popup(page, house.id, "button.register")
        page.screenshot(path=str(ARTIFACTS / f"phone-popup-{size}.png"))
        page.evaluate("() => { geoapp.layers.buildings._map.closePopup(); }")
        page.click("button.returned")
        page.wait_for_function("() => document.querySelector('.geoapp-sheet').dataset.list === 'returned'")
        page.screenshot(path=str(ARTIFACTS / f"phone-returned-{size}.png"))
        page.evaluate("(id) => { geoapp.openForm(id); }", house.id)
        page.locator(".geoapp-form.open form.house-form").wait_for()
        page.screenshot(path=str(ARTIFACTS / f"phone-form-{size}.png"))
        page.click(".house-form button.cancel")
        page.goto(live_server.url + "/people")
        page.screenshot(path=str(ARTIFACTS / f"phone-people-{size}.png"))
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    finally:
        context.close()
    guard.check()
