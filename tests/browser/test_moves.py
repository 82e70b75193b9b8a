"""A move across villages on the map: collector A's form offers "ask for the move" for a
number registered in village B, without saying where; collector B sees the pending move
in the popup of their house, on a phone, and confirms it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from geoapp.store.models import Building, Person, PersonMove
from tests.browser.conftest import log_in, open_page
from tests.browser.test_town_map import WAIT_HOUSES
from tests.conftest import Clients

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def test_the_form_offers_to_ask_for_a_move_without_saying_where(browser, live_server, demo_app, demo_db):
    clients = Clients(demo_app, demo_db)
    with demo_db.session() as s:
        house = s.scalar(
            select(Building).where(Building.village_id == clients.village_a, Building.status == "uncollected")
            .order_by(Building.id).limit(1)
        )  # fmt: skip
        person = s.scalar(
            select(Person).join(Building, Building.id == Person.building_id)
            .where(Building.village_id == clients.village_b, Person.id_type == "resident_id")
            .order_by(Person.id).limit(1)
        )  # fmt: skip
        source = s.get(Building, person.building_id)
    context, page, guard = open_page(browser, live_server.url, viewport=PHONE, geolocation={"latitude": house.lat, "longitude": house.lon}, permissions=["geolocation"])  # fmt: skip
    guard.expect("400 (BAD REQUEST)")  # the first try is refused on purpose
    log_in(page, live_server.url, "collector_a")
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    page.evaluate("(id) => geoapp.openForm(id)", house.id)
    form = page.locator(".geoapp-form.open form.house-form")
    member = form.locator("fieldset.member").first
    member.locator("input[name=name]").fill("外村人")
    member.locator("input[name=id_number]").fill(person.id_number)
    form.locator("button.submit").click()
    ask = member.locator("button.confirm-move")
    ask.wait_for()
    error = member.locator("input[name=id_number] ~ .field-error").inner_text()
    assert "派出所" in error and source.address not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "moves-form-phone.png"), full_page=False)
    ask.click()
    form.locator("button.submit").click()
    page.wait_for_function("() => !document.querySelector('.geoapp-form.open')", timeout=10_000)
    with demo_db.session() as s:
        assert s.scalar(select(PersonMove.status).where(PersonMove.person_id == person.id)) == "pending"
        assert s.get(Person, person.id).building_id == source.id
    context.close()
    guard.check()
