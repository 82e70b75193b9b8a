"""Beijing time in the browser: the JS helper ignores the device's time zone, and the
pages that show times (audit log, tokens, users, campaign) show them +8 h; screenshots
of those pages at phone and desktop size go to test-artifacts/."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from geoapp.store.models import AuditEvent, User
from tests.browser.conftest import log_in, open_page
from tests.browser.test_review_panel import SIZES, shot
from tests.conftest import add_user

pytestmark = pytest.mark.browser


def test_the_js_helper_shows_beijing_time_whatever_the_devices_zone(browser, live_server, demo_db):
    add_user(demo_db, "officer", "officer")
    context, page, guard = open_page(
        browser, live_server.url, viewport=SIZES["desktop"], timezone_id="America/New_York"
    )
    try:
        log_in(page, live_server.url, "officer")
        page.goto(live_server.url + "/review")
        page.wait_for_function("() => window.geoapp && geoapp.beijingTime && geoapp._reviewPanel")
        got = page.evaluate(
            """() => [geoapp.beijingTime("2016-05-02T16:30:00Z"), geoapp.beijingTime("2016-05-02T01:02:03Z", true),
                      geoapp.beijingTime(null), geoapp.beijingTime("not a time")]"""
        )
        assert got == ["2016-05-03 00:30", "2016-05-02 09:02:03", "—", "—"]
    finally:
        context.close()
    guard.check()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_pages_with_times_show_beijing_time(browser, live_server, demo_db, size):
    add_user(demo_db, "admin", "admin")
    with demo_db.write() as s:
        s.add(
            AuditEvent(
                at=datetime(2016, 6, 30, 16, 30, 5),
                actor="officer",
                action="house.verify",
                object_type="building",
                object_id="1",
                changes=orjson.dumps({"status": ["collected", "verified"]}).decode(),
            )
        )
    phone = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size], **phone)
    try:
        log_in(page, live_server.url, "admin")
        page.goto(live_server.url + "/audit?since=2016-07-01&until=2016-07-01")  # a Beijing day
        assert "2016-07-01 00:30:05" in page.locator("#audit").inner_text()
        assert "时间（北京时间）" in page.locator("#audit").inner_text()
        shot(page, f"audit-{size}.png")
        page.goto(live_server.url + "/account/tokens")
        page.fill("#create-token input[name=name]", "QGIS")
        page.click("#create-token button[type=submit]")
        assert "时间为北京时间" in page.inner_text("main")
        shot(page, f"tokens-{size}.png")
        with demo_db.session() as s:
            login = s.scalar(select(User.last_login_at).where(User.username == "admin"))
        page.goto(live_server.url + "/admin/users")
        text = page.inner_text("main")
        assert (
            "最近登录（北京时间）" in text and (login + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") in text
        )
        shot(page, f"admin-users-{size}.png", full_page=True)
        page.goto(live_server.url + "/admin/campaign")
        shot(page, f"admin-campaign-{size}.png", full_page=True)
    finally:
        context.close()
    guard.check()
