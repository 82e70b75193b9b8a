"""Entering old records in the browser: an officer opens 录入 from the menu, uploads a register,
reviews the sorted rows, picks the house of an ambiguous row and stores the matched rows.
Screenshots at 390×844 and 1440×900 go to test-artifacts/; no request leaves the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from geoapp.store.models import Person
from tests.browser.conftest import log_in, open_page
from tests.conftest import add_user
from tests.services.test_entry import register, town

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


@pytest.mark.parametrize("size", list(SIZES))
def test_upload_review_confirm(browser, live_server, demo_db, tmp_path, size):
    t = town(demo_db)
    path = tmp_path / "旧档案.csv"
    path.write_bytes(register(t))
    add_user(demo_db, "entry_officer", "officer")
    with demo_db.session() as s:
        before = s.scalar(select(func.count(Person.id)))
    phone = size == "phone"
    options = {"is_mobile": True, "has_touch": True} if phone else {}
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size], **options)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        log_in(page, live_server.url, "entry_officer")
        page.goto(live_server.url + "/entry")  # the menu link is checked in tests/web/test_entry.py
        assert page.locator("h1").inner_text() == "录入旧档案"
        assert page.locator("#entry-upload .file-name").inner_text() == "未选择文件"
        page.screenshot(path=str(ARTIFACTS / f"entry-upload-{size}.png"), full_page=True)
        page.set_input_files("#entry-upload input[type=file]", str(path))
        assert page.locator("#entry-upload .file-name").inner_text() == "旧档案.csv"
        page.click("#entry-upload button[type=submit]")
        page.wait_for_selector("#entry-counts")
        counts = {
            li.get_attribute("data-outcome"): li.locator("strong").inner_text()
            for li in page.locator("#entry-counts li").all()
        }
        assert counts == {"matched": "2", "ambiguous": "1", "unmatched": "1", "invalid": "1",
                          "registered": "1", "repeated": "1"}  # fmt: skip
        assert page.locator(".row-errors li[data-field=id_number]").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"entry-review-{size}.png"), full_page=True)
        page.select_option("select[name=row-4]", str(t["twins"][1]))
        page.click("#entry-store")
        page.wait_for_selector("#entry-stored")
        assert "已录入 3 人" in page.locator("#entry-stored").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"entry-stored-{size}.png"), full_page=True)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1]  # nothing pushes the page sideways
    finally:
        context.close()
    guard.check()
    with demo_db.session() as s:
        assert s.scalar(select(func.count(Person.id))) == before + 3
