"""The service worker on the officer's town map: a layer unchanged since the last visit is
passed on without being written to the cache again (copying the houses' body to keep it cost
about 150 ms a visit); a changed one is kept anew and is what the map shows with no network."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from geoapp.domain.requests import BuildingPatchIn
from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign.buildings import update_building
from geoapp.store.models import Building
from tests.browser.conftest import WAIT_HOUSES, log_in, open_page
from tests.conftest import add_user

pytestmark = pytest.mark.browser
HOUSES = "/api/buildings.geojson?compact=1"
KEPT = """async (path) => {
    const hit = await caches.match(new URL(path, location.href).href);
    return hit ? [hit.headers.get('ETag'), hit.headers.get('Date')] : null; }"""


def _controlled(page, url: str) -> None:
    """The map loaded through the worker, once the worker has kept what the first visit loaded
    (a page loaded before the worker was active may be taken over late: the reload is not)."""
    page.goto(url + "/")
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=60_000)
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10_000)
    page.wait_for_function(WAIT_HOUSES, timeout=30_000)


def test_an_unchanged_layer_is_not_kept_again_a_changed_one_is(browser, live_server, demo_db):
    add_user(demo_db, "officer", "officer")
    user = add_user(demo_db, "oksana", "officer")
    with demo_db.session() as s:
        house = s.scalars(select(Building).order_by(Building.id).limit(1)).one()
        house_id, version, floors = house.id, house.version, house.floors or 1
    context, page, guard = open_page(browser, live_server.url, viewport={"width": 1280, "height": 800})
    try:
        log_in(page, live_server.url, "officer")
        _controlled(page, live_server.url)
        first = page.evaluate(KEPT, HOUSES)
        assert first and first[0] and first[1], first
        time.sleep(1.1)  # a copy written again would carry a later Date (whole seconds)
        page.reload()
        page.wait_for_function(WAIT_HOUSES, timeout=30_000)
        page.wait_for_timeout(1000)  # time for a write, had there been one
        assert page.evaluate(KEPT, HOUSES) == first  # unchanged: the first answer's copy stands

        with demo_db.write() as s:  # the station changes a house: the layer's ETag changes
            update_building(
                s,
                Scope(user, "oksana", Role.OFFICER),
                house_id,
                BuildingPatchIn(version=version, floors=floors + 1),
            )
        page.reload()
        page.wait_for_function(WAIT_HOUSES, timeout=30_000)
        now = page.evaluate(f"() => fetch('{HOUSES}').then(r => r.headers.get('ETag'))")
        assert now != first[0]
        page.wait_for_function(
            "([path, tag]) => caches.match(new URL(path, location.href).href).then(h => h && h.headers.get('ETag') === tag)",
            arg=[HOUSES, now],
            timeout=15_000,
        )
        context.set_offline(True)  # with no network, the map is drawn from the copy kept anew
        page.reload()
        page.wait_for_function(WAIT_HOUSES, timeout=30_000)
        assert page.evaluate("geoapp.stats.buildings.count") == 10831
        page.wait_for_function("() => geoapp.stats.blocks !== undefined", timeout=10_000)
        assert page.evaluate("geoapp.stats.blocks.error") is None  # the station's blocks, kept too
        kept_count = page.evaluate(
            f"() => caches.match(new URL('{HOUSES}', location.href).href).then(r => r.json()).then(d => d.ids.length)"
        )
        assert kept_count == 10831
    finally:
        context.close()
    guard.expect("ERR_INTERNET_DISCONNECTED")  # the page's calls while offline, logged by the browser
    guard.check()
