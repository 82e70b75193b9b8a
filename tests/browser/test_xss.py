"""Names typed by users cannot run as code: script payloads stored in a village, a
street, a house address, a unit and a person (and in the audit trail) are shown as
text on the map's tooltips and popups, the people list and the audit log."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from geoapp.services.accounts import audit
from geoapp.store.models import Building, Person, Street, Unit, Village
from tests.browser.conftest import WAIT_HOUSES

pytestmark = pytest.mark.browser

PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "`${alert(1)}`",
    '"><svg onload=alert(1)>',
)
ALL = "".join(PAYLOADS)  # 89 characters: fits every name column
NAMES = {kind: f"{tag}{ALL}" for kind, tag in
         (("village", "村"), ("street", "街"), ("address", "址"), ("unit", "厂"), ("person", "人"), ("owner", "主"))}  # fmt: skip

TRAP = """
(() => {
  window.__xss = [];
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = function () { window.__xss.push(name + ":" + Array.from(arguments).join(",")); };
  }
})();
"""
# Elements a payload would have created had it been parsed as HTML.
INJECTED = """() => Array.from(document.querySelectorAll("[onerror], [onload], img[src='x'], script"))
  .filter(e => e.tagName !== "SCRIPT" || (e.textContent || "").includes("alert(1)"))
  .map(e => e.outerHTML.slice(0, 120))"""


def _plant(demo_db) -> dict:
    """Store the payloads in one house's village, street, address, unit and person."""
    with demo_db.write() as s:
        house = s.scalars(
            select(Building)
            .where(
                Building.street_id.is_not(None),
                Building.id.in_(select(Unit.building_id)),
                Building.id.in_(select(Person.building_id)),
            )
            .order_by(Building.id)
            .limit(1)
        ).one()
        unit_id = s.scalar(select(Unit.id).where(Unit.building_id == house.id).order_by(Unit.id).limit(1))
        person_id = s.scalar(
            select(Person.id).where(Person.building_id == house.id).order_by(Person.id).limit(1)
        )
        s.execute(update(Village).where(Village.id == house.village_id).values(name=NAMES["village"]))
        s.execute(update(Street).where(Street.id == house.street_id).values(name=NAMES["street"]))
        s.execute(update(Building).where(Building.id == house.id).values(address=NAMES["address"]))
        s.execute(update(Unit).where(Unit.id == unit_id).values(name=NAMES["unit"]))
        s.execute(update(Person).where(Person.id == person_id).values(name=NAMES["person"]))
        for payload in PAYLOADS:  # as if someone had tried each as a user name
            audit.record(s, "login.failure", actor=payload, changes={"reason": "credentials"})
        return {"house": house.id, "village": house.village_id, "street": house.street_id, "unit": unit_id}


class Watch:
    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)
        page.add_init_script(TRAP)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def check(self, where: str) -> None:
        page = self.page
        assert self.dialogs == [], (where, self.dialogs)
        assert page.evaluate("() => window.__xss") == [], where
        assert page.evaluate(INJECTED) == [], where


def _map_layer_text(page, kind: str, feature_id: int, event: str, zoom: int = 15) -> str:
    """Fire a Leaflet event on one canvas-drawn feature; return the tooltips'/popup's text."""
    return page.evaluate(
        """([kind, id, event, zoom]) => {
            const group = geoapp.layers[kind];
            const sub = group.getLayers().find(l => l.feature.id === id);
            const map = group._map;
            const at = sub.getCenter ? sub.getCenter() : sub.getBounds().getCenter();
            map.setView(at, zoom, {animate: false});
            sub.fire(event, {latlng: at, originalEvent: {}}, true);
            const boxes = document.querySelectorAll(event === "click" ? ".leaflet-popup-content" : ".leaflet-tooltip");
            return Array.from(boxes).map(b => b.innerText).join("\\n");
        }""",
        [kind, feature_id, event, zoom],
    )


def test_stored_payloads_stay_text_everywhere(page_guard, live_server, demo_db):
    page = page_guard
    planted = _plant(demo_db)
    watch = Watch(page)
    base = live_server.url

    # An officer edits the house's owner: the audit trail now holds the payload as before/after.
    page.goto(base + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    detail = page.request.get(f"{base}/api/buildings/{planted['house']}").json()
    edited = page.request.patch(
        f"{base}/api/buildings/{planted['house']}",
        data={"owner_name": NAMES["owner"], "version": detail["version"]},
        headers={"X-CSRFToken": token},
    )
    assert edited.status == 200, edited.text()

    # The map: village popup and tooltip, street tooltip, house popup.
    page.wait_for_function("() => geoapp.stats.villages && geoapp.stats.streets", timeout=20_000)
    assert NAMES["village"] in _map_layer_text(page, "villages", planted["village"], "mouseover")
    assert NAMES["village"] in _map_layer_text(page, "villages", planted["village"], "click")
    page.evaluate("() => { geoapp.layers.villages._map.closePopup(); }")  # the map itself: too deep to return
    # Close enough for the labels of unfinished streets too.
    assert NAMES["street"] in _map_layer_text(page, "streets", planted["street"], "mouseover", zoom=17)
    watch.check("map tooltips")
    _click_house(page, planted["house"])
    popup = page.locator(".leaflet-popup-content")
    popup.locator("h3").first.wait_for(timeout=10_000)
    assert popup.locator("h3").first.inner_text() == NAMES["address"]
    page.wait_for_timeout(300)  # the collector's form, if any, is added after the details
    text = popup.inner_text()
    assert NAMES["unit"] in text
    values = page.evaluate(
        "() => Array.from(document.querySelectorAll('.leaflet-popup-content input')).map(i => i.value)"
    )
    if values:  # the house form: names are input values, never markup
        assert NAMES["owner"] in values or NAMES["person"] in values
    watch.check("house popup")

    # The people list, searched by each payload (the search box shows it back).
    for payload in PAYLOADS:
        page.goto(f"{base}/people?q={quote(payload)}")
        assert page.input_value("input[name=q]") == payload
        names = page.locator("#people td.name").all_inner_texts()
        assert NAMES["person"] in names, (payload, names)
        assert NAMES["address"] in page.locator("#people").inner_text()
        watch.check(f"people ?q={payload}")

    # The audit log: user names tried at login, and the owner's before/after.
    page.goto(f"{base}/audit?per_page=200")
    table = page.locator("#audit").inner_text()
    for payload in PAYLOADS:
        assert payload in table
    assert NAMES["owner"] in table
    page.goto(f"{base}/audit?actor={quote(PAYLOADS[3])}")
    assert page.input_value("input[name=actor]") == PAYLOADS[3]
    assert page.locator("#audit td.actor").all_inner_texts() == [PAYLOADS[3]]
    watch.check("audit log")


def _click_house(page, house_id: int) -> None:
    """Zoom to the house and click where the canvas drew it (as test_town_map does)."""
    point = page.evaluate(
        """(id) => {
            const group = geoapp.layers.buildings;
            const map = group._map;
            map.closePopup();
            const house = group.getLayers().find(l => l.feature.id === id);
            const at = house.getLatLng ? house.getLatLng() : house.getBounds().getCenter();
            map.setView(at, 20, {animate: false});
            const p = map.latLngToContainerPoint(at);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        house_id,
    )
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])
