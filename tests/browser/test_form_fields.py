"""The house form on a phone: a corrected ID number brings its own sex and birth date;
in a returned house the collector shows the full number they must correct."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from geoapp.store.models import Building, Person
from tests.browser.conftest import log_in, open_page
from tests.browser.test_town_map import WAIT_HOUSES
from tests.conftest import add_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_a_corrected_id_number_updates_sex_and_birth_date(browser, live_server, demo_db):
    with demo_db.write() as s:
        person = s.scalar(
            select(Person).join(Building, Building.id == Person.building_id)
            .where(Person.id_type == "resident_id", Building.status == "collected").order_by(Person.id).limit(1)
        )  # fmt: skip
        house = s.get(Building, person.building_id)
        house.status, house.return_reason = "returned", "身份证号与证件不符"
        village, full = house.village_id, person.id_number
    add_user(demo_db, "dora", "collector", village_id=village)
    context, page, guard = open_page(browser, live_server.url, viewport=PHONE)
    log_in(page, live_server.url, "dora")
    page.wait_for_function(WAIT_HOUSES, timeout=20_000)
    page.evaluate("(id) => geoapp.openForm(id)", house.id)
    member = page.locator(f'.geoapp-form.open fieldset.member[data-id="{person.id}"]')
    id_input = member.locator("input[name=id_number]")
    assert "*" in id_input.input_value()  # masked until shown
    member.locator("button.reveal-id").click()
    member.locator("button.reveal-id").wait_for(state="detached")
    assert id_input.input_value() == full
    # A female born 1949-12-31 (the standard's sample), whatever was there before.
    id_input.fill("11010519491231002X")
    id_input.dispatch_event("change")
    assert member.locator("select[name=sex]").input_value() == "female"
    assert member.locator("input[name=birth_date]").input_value() == "1949-12-31"
    context.close()
    guard.check()
