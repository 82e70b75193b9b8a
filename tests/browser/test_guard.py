"""The browser tests' guard itself: a request leaving the app is seen (and cannot be
answered: the browser resolves no other host), a stand-in host is not counted."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_page

pytestmark = pytest.mark.browser


def test_a_request_leaving_the_app_is_seen_and_fails(browser, live_server):
    context, page, guard = open_page(browser, live_server.url)
    try:
        # A page of no CSP (the app's own pages would refuse the request before it is made).
        page.goto("about:blank")
        answer = page.evaluate(
            "() => fetch('http://tiles.example.com/1/2/3.png').then(r => 'answered ' + r.status, e => 'failed')"
        )
        guard.stand_in(".stand-in.example.com")
        page.evaluate("() => fetch('http://a.stand-in.example.com/x').catch(() => null)")
    finally:
        context.close()
    assert answer == "failed"
    assert guard.outside == ["http://tiles.example.com/1/2/3.png"]
    with pytest.raises(AssertionError, match="requests left the app"):
        guard.check()
