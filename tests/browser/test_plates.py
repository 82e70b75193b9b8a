"""Scanning a door plate: the phone opens the plate's URL, logs in, and lands on the house —
a collector in its form, an officer in its popup. Screenshots of the plates pages and of a
rendered plate sheet go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from sqlalchemy import select

from geoapp.store.models import Building, Street
from tests.browser.conftest import open_page
from tests.conftest import PASSWORD, add_user
from tests.web.plates_fixtures import unnumber

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def _house(demo_db):
    with demo_db.session() as s:
        return s.scalar(
            select(Building).where(Building.status == "uncollected", Building.door_no.is_not(None))
            .order_by(Building.village_id, Building.id).limit(1)
        )  # fmt: skip


def _scan(page, url: str, username: str) -> None:
    """What a phone does with the QR code: open its URL; the login page comes first."""
    page.goto(url)
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_collector_scans_a_plate_and_lands_in_the_house_form(browser, live_server, demo_db):
    house = _house(demo_db)
    add_user(demo_db, "plate_collector", "collector", village_id=house.village_id)
    context, page, guard = open_page(browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        _scan(page, f"{live_server.url}/h/{house.id}", "plate_collector")
        page.wait_for_selector(".geoapp-form.open form.house-form", timeout=15_000)
        assert page.locator(".geoapp-form.open header h2").inner_text() == house.address
        assert page.evaluate("() => location.hash").endswith("&form=1")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "plates-scan-collector-phone.png"))
    finally:
        context.close()
    guard.check()


def test_an_officer_scans_a_plate_and_sees_the_house(browser, live_server, demo_db):
    house = _house(demo_db)
    add_user(demo_db, "plate_officer", "officer")
    context, page, guard = open_page(browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        _scan(page, f"{live_server.url}/h/{house.id}", "plate_officer")
        page.wait_for_function(
            "(a) => [...document.querySelectorAll('.leaflet-popup-content h3')].some(h => h.textContent === a)",
            arg=house.address,
            timeout=15_000,
        )
        assert page.locator(".geoapp-form.open").count() == 0
    finally:
        context.close()
    guard.check()


def test_the_plates_pages_on_a_phone_and_a_desktop(browser, live_server, demo_db):
    add_user(demo_db, "plate_admin", "admin")
    with demo_db.session() as s:
        street = s.scalar(select(Street.id).where(Street.name == "老街"))
    unnumber(demo_db, street, 1)  # one house waits for its number
    ARTIFACTS.mkdir(exist_ok=True)
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context, page, guard = open_page(browser, live_server.url, viewport=viewport)
        try:
            page.goto(live_server.url + "/login")
            page.fill("input[name=username]", "plate_admin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(live_server.url + "/addresses")
            assert page.locator("#street-list tbody tr").count() > 100
            assert page.locator(f"#street-{street} a.number").count() == 1
            page.screenshot(path=str(ARTIFACTS / f"plates-page-{name}.png"))
            page.goto(f"{live_server.url}/addresses/streets/{street}/numbering")
            assert page.locator("#numbering-plan tr.new").count() == 1
            page.screenshot(path=str(ARTIFACTS / f"plates-numbering-{name}.png"))
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"the page is wider than the screen by {overflow}px"
        finally:
            context.close()
        guard.check()
    pdf = page_pdf(live_server, street)
    document = pypdfium2.PdfDocument(pdf)
    document[0].render(scale=150 / 72).to_pil().save(ARTIFACTS / "plates-sheet-page1.png")
    document.close()


def page_pdf(live_server, street: int) -> bytes:
    from tests.conftest import login

    client = live_server.app.test_client()
    login(client, "plate_admin")
    r = client.get(f"/plates/street/{street}.pdf")
    assert r.status_code == 200
    return r.data
