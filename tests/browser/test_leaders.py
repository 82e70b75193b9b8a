"""A leader on the leaders' page in a real browser, on a phone (390×844) and a desktop
(1440×900): lands on it after login, switches the choropleth's rate, sets the as-of date
to 05-25 and sees the table and a village's colour change, opens a village from the
ranking table and then its map; the heatmap loads; no request leaves the app and no
error is logged. Screenshots go to test-artifacts/ (looked at by a person)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import log_in, open_page
from tests.conftest import add_user

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"phone": (390, 844), "desktop": (1440, 900)}
READY = "(asOf) => window.geoapp && geoapp.leadersView && geoapp.leadersView.ready && geoapp.leadersView.asOf === asOf"
CHART = "(asOf) => geoapp.leadersView.chart && geoapp.leadersView.chart.asOf === asOf && geoapp.leadersView.chart.withForecast"


def _fills(page) -> dict:
    """Each village's colour on the map (canvas: read from the layers)."""
    return page.evaluate(
        """() => {
            const out = {};
            document.querySelectorAll('#ranking tbody tr').forEach(tr => {
                const id = Number(tr.dataset.village);
                out[id] = geoapp.leaders.fillOf(id);
            });
            return out;
        }"""
    )


def _total_row(page) -> list[str]:
    return page.locator("#ranking tfoot tr.total td").all_inner_texts()


def _class_of(value, classes):
    if value is None:
        return None
    return max(i for i, c in enumerate(classes) if value >= c - 1e-9)


def _use_leaders_page(page, server, shots: str, api) -> None:
    url = server.url
    page.wait_for_function(READY, arg="2016-09-25", timeout=30_000)  # today is after the demo campaign
    page.wait_for_function(CHART, arg="2016-09-25", timeout=30_000)
    assert page.url.startswith(url + "/leaders")
    assert page.title() == "各村采集进度"
    assert page.locator("#ranking tbody tr").count() == 28
    assert "合计" in page.locator("#ranking tfoot").inner_text()
    assert "采集率（房屋）" in page.locator(".leaders-legend").inner_text()
    headers = page.locator("#ranking thead th")
    assert headers.filter(has_text="及时率").get_attribute("title").startswith("及时率")  # the definition
    page.screenshot(path=str(ARTIFACTS / f"leaders-{shots}-start.png"))
    # The first answers were preloaded while the scripts loaded, and each was asked for once.
    asked = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/api/'))"
    )
    assert len(asked) == len(set(asked)) == 3, asked  # villages, coverage with forecasts, progress

    # Sort the table by a column, both ways.
    page.locator("#ranking thead button.sort", has_text="已采集").click()
    collected = [
        int(t.replace(",", "")) for t in page.locator("#ranking tbody td:nth-child(4)").all_inner_texts()
    ]
    assert collected == sorted(collected, reverse=True)
    page.locator("#ranking thead button.sort", has_text="已采集").click()
    collected = [
        int(t.replace(",", "")) for t in page.locator("#ranking tbody td:nth-child(4)").all_inner_texts()
    ]
    assert collected == sorted(collected)
    page.locator("#ranking thead button.sort", has_text="采集率").click()  # back to the rate shown

    # Switch the choropleth to the accuracy rate: the legend, colours and the sorted column follow.
    before = _fills(page)
    page.select_option("#rate", "accuracy_rate")
    page.wait_for_function("() => geoapp.leadersView.rate === 'accuracy_rate'")
    after = _fills(page)
    assert "准确率（房屋）" in page.locator(".leaders-legend").inner_text()
    assert after != before
    assert page.locator("#ranking thead th[aria-sort]").inner_text().startswith("准确率")
    assert "rate=accuracy_rate" in page.url
    page.select_option("#rate", "collection_rate")
    page.wait_for_function("() => geoapp.leadersView.rate === 'collection_rate'")

    # Where were we on 05-25? Every figure follows the date.
    total_before = _total_row(page)
    fills_before = _fills(page)
    page.fill("#as-of", "2016-05-25")
    page.wait_for_function(READY, arg="2016-05-25", timeout=30_000)
    page.wait_for_function(CHART, arg="2016-05-25", timeout=30_000)
    assert "as_of=2016-05-25" in page.url
    assert page.locator("#workbook-link").get_attribute("href").endswith("as_of=2016-05-25")
    total_after = _total_row(page)
    may25 = api("/api/coverage?kind=houses&as_of=2016-05-25")
    sep25 = api("/api/coverage?kind=houses&as_of=2016-09-25")
    assert total_after != total_before
    assert (
        f"{may25['total']['collected']:,}" in total_after
        and f"{sep25['total']['collected']:,}" in total_before
    )
    assert "第一阶段目标" in page.locator(".leaders-legend").inner_text()  # the target in force on 05-25
    fills_after = _fills(page)
    classes = [c["lower"] for c in page.evaluate("() => geoapp.leadersOptions.classes")]
    changed = [
        v["village_id"]
        for v, w in zip(may25["villages"], sep25["villages"], strict=True)
        if _class_of(v["collection_rate"], classes) != _class_of(w["collection_rate"], classes)
    ]
    assert changed, "the demo's villages change class between 05-25 and 09-25"
    for village in changed:
        assert fills_after[str(village)] != fills_before[str(village)], village
    chart = page.evaluate("() => geoapp.leadersView.chart")
    assert chart["lastValue"] == pytest.approx(100 * may25["total"]["collected"] / may25["total"]["task"])
    assert chart["datasets"][0] == "工作方案计划"

    # The heatmap of houses not collected by then.
    page.evaluate("() => geoapp.leaders.map.addLayer(geoapp.leaders.heat)")
    page.wait_for_function("() => geoapp.leadersView.heat && geoapp.leadersView.heat.asOf === '2016-05-25'")
    heat = api("/api/heat?as_of=2016-05-25")
    assert page.evaluate("() => geoapp.leadersView.heat.count") == heat["count"] > 0
    assert page.locator(".leaflet-heatmap-layer").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"leaders-{shots}-0525-heat.png"))
    page.evaluate("() => geoapp.leaders.map.removeLayer(geoapp.leaders.heat)")

    # Open a village from the ranking table: its card, its curve, then its map.
    row = may25["villages"][3]
    page.locator("#ranking tbody button.village-link", has_text=row["name"]).click()
    page.wait_for_function(
        "(id) => geoapp.leadersView.chart && geoapp.leadersView.chart.village === id", arg=row["village_id"]
    )
    card = page.locator("#village-card")
    assert card.locator("h2").inner_text() == row["name"]
    assert f"{row['collected']:,}" in card.inner_text()
    assert f"village={row['village_id']}" in page.url
    assert page.locator("#chart-village").input_value() == str(row["village_id"])
    assert page.locator("#ranking tbody tr.selected").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"leaders-{shots}-village.png"), full_page=True)
    card.locator("a.open-map").click()
    page.wait_for_url(f"{url}/#village={row['village_id']}")
    page.wait_for_function("(id) => window.geoapp && geoapp.focusedVillage === id", arg=row["village_id"])
    assert row["name"] in page.locator(".leaflet-popup-content").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"leaders-{shots}-village-map.png"))


def test_a_leader_follows_coverage_by_village(browser, live_server, demo_db, demo_app):
    add_user(demo_db, "leader", "leader")
    ARTIFACTS.mkdir(exist_ok=True)
    api_client = demo_app.test_client()
    from tests.conftest import login

    assert login(api_client, "leader").status_code == 302

    def api(path: str) -> dict:
        return api_client.get(path).get_json()

    for shots, (width, height) in VIEWPORTS.items():
        context, page, guard = open_page(
            browser, live_server.url, viewport={"width": width, "height": height}
        )
        try:
            log_in(page, live_server.url, "leader")
            _use_leaders_page(page, live_server, shots, api)
        finally:
            context.close()
        guard.check()
