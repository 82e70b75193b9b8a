"""A collector on a phone: log in → locate → nearest house → add a household with two
people (a wrong ID first) → submit → the house turns orange and its street's count drops."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from geoapp.domain.identifiers import make_resident_id
from geoapp.domain.status import STATUS_COLOURS, Status
from geoapp.store.models import Building, Person, Visit
from tests.browser.conftest import log_in, open_page
from tests.conftest import add_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _start_house(demo_db):
    """An uncollected house with a street, in a village with a collector."""
    with demo_db.session() as s:
        return s.scalar(
            select(Building)
            .where(Building.status == "uncollected", Building.street_id.is_not(None))
            .order_by(Building.village_id, Building.id)
            .limit(1)
        )


def _left_on_street(page, street_id: int) -> int:
    return page.evaluate(
        """(sid) => {
            let left = null;
            geoapp.layers.streets.eachLayer(l => { if (l.feature.id === sid) left = l.feature.properties.left; });
            return left;
        }""",
        street_id,
    )


def test_collector_flow_on_a_phone(browser, live_server, demo_db):
    house = _start_house(demo_db)
    add_user(demo_db, "cathy", "collector", village_id=house.village_id)
    context, page, guard = open_page(
        browser,
        live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": house.lat, "longitude": house.lon, "accuracy": 8},
        permissions=["geolocation"],
    )
    try:
        log_in(page, live_server.url, "cathy")
        page.wait_for_function("() => geoapp.stats.buildings && geoapp.stats.streets && geoapp.progress")
        counts = page.locator(".geoapp-progress").inner_text()
        assert "房屋" in counts and f"/ {house_task(demo_db, house)}" in counts
        left_before = _left_on_street(page, house.street_id)
        assert left_before > 0

        page.click(".leaflet-control-locate a")
        page.wait_for_function("() => geoapp.next && geoapp.next.items.length > 0")
        first = page.locator(".sheet-item").first
        assert first.get_attribute("data-building") == str(house.id)  # we stand at its door
        first.locator("button.open").click()
        form = page.locator(".geoapp-form.open form.house-form")
        form.wait_for()

        head = form.locator("fieldset.member").nth(0)
        head.locator("input[name=name]").fill("赵大")
        good = make_resident_id("430101", date(1970, 3, 4), 15)
        wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
        head.locator("input[name=id_number]").fill(wrong)
        head.locator("input[name=phone]").fill("13900001111")
        guard.expect("status of 400")  # the wrong ID number is refused by the server, as it should be
        form.locator("button.submit").click()
        error = head.locator("input[name=id_number] + .field-error")
        error.wait_for(state="visible")
        page.wait_for_function("() => !document.querySelector('.house-form button.submit').disabled")
        assert "校验" in error.inner_text() or "GB 11643" in error.inner_text()
        assert head.locator("input[name=name]").input_value() == "赵大"  # nothing typed is lost
        with demo_db.session() as s:
            assert s.scalar(select(func.count()).select_from(Visit).where(Visit.building_id == house.id)) == 0

        head.locator("input[name=id_number]").fill(good)
        form.locator("button.add-member").click()
        spouse = form.locator("fieldset.member").nth(1)
        spouse.locator("input[name=name]").fill("钱二")
        spouse.locator("select[name=relation]").select_option("配偶")
        spouse.locator("input[name=id_number]").fill(make_resident_id("430101", date(1972, 8, 9), 24))
        form.locator("button.submit").click()
        page.wait_for_function("() => !document.querySelector('.geoapp-form').classList.contains('open')")

        colour = page.evaluate(
            """(id) => {
                let c = null;
                geoapp.layers.buildings.eachLayer(l => { if (l.feature.id === id) c = [l.feature.properties.s, l.options.fillColor]; });
                return c;
            }""",
            house.id,
        )
        assert colour == ["collected", STATUS_COLOURS[Status.COLLECTED]]
        page.wait_for_function(
            "([sid, before]) => { let left = null; geoapp.layers.streets.eachLayer(l => { if (l.feature.id === sid) left = l.feature.properties.left; }); return left === before - 1; }",
            arg=[house.street_id, left_before],
        )
        with demo_db.session() as s:
            b = s.get(Building, house.id)
            assert b.status == "collected" and b.visit_flag is None
            people = s.scalars(select(Person).where(Person.building_id == house.id).order_by(Person.id)).all()
            assert [(p.name, p.relation, p.sex) for p in people] == [
                ("赵大", "户主", "male"),
                ("钱二", "配偶", "female"),
            ]
        page.screenshot(path=str(artifact("collector-after-submit.png")))
    finally:
        context.close()
    guard.check()


def house_task(demo_db, house) -> int:
    from geoapp.store.models import Village

    with demo_db.session() as s:
        return s.scalar(select(Village.task_houses).where(Village.id == house.village_id))


def artifact(name: str):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name
