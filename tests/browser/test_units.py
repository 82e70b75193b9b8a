"""The officer's units in a real browser: the shop layer and a shop's popup, the units
register filtered, a unit edited (a wrong credit code refused, then saved), a unit
without a building placed on the map; at a phone's and a desk's size, with screenshots."""

from pathlib import Path

import pytest
from sqlalchemy import select

from geoapp.domain.identifiers import make_organisation_code, make_uscc
from geoapp.store.models import Building, Unit
from tests.browser.conftest import log_in, open_page
from tests.conftest import add_user

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1440, "height": 900}}
WAIT_UNITS = "() => window.geoapp && geoapp.stats.shops && geoapp.stats.factories && geoapp.unitCounts"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_unit_popup(page, kind: str) -> int:
    """Click the first unit of a layer (canvas: through Leaflet); returns its id."""
    unit_id = page.evaluate(
        """(kind) => {
            const group = geoapp.layers[kind];
            const sub = group.getLayers()[0];
            group._map.closePopup();
            group._map.setView(sub.getLatLng(), 18, {animate: false});
            sub.fire("click", {latlng: sub.getLatLng(), originalEvent: {}}, true);
            return sub.feature.id;
        }""",
        kind,
    )
    page.locator(".leaflet-popup-content .unit-popup h3").wait_for(timeout=10_000)
    return unit_id


@pytest.fixture
def officer_page(browser, live_server, demo_db, request):
    add_user(demo_db, "officer", "officer")
    size = request.param
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES[size])
    log_in(page, live_server.url, "officer")
    yield page, size, guard
    context.close()
    guard.check()


@pytest.mark.parametrize("officer_page", list(SIZES), indirect=True)
def test_officer_opens_a_shop_then_filters_and_edits_in_the_register(officer_page, live_server, demo_db):
    page, size, guard = officer_page
    guard.expect("status of 400")  # the wrong credit code below is refused on purpose
    page.goto(live_server.url + "/")
    page.wait_for_function(WAIT_UNITS, timeout=20_000)
    assert page.evaluate("() => geoapp.unitCounts") == {"shops": 280, "factories": 120}
    control = page.locator(".leaflet-control-layers-list").text_content()
    assert "沿街铺面" in control and "厂矿企业" in control
    if size == "desk":
        legend = page.locator(".geoapp-unit-legend").inner_text()
        assert "沿街铺面" in legend and "280" in legend and "120" in legend
        shot(page, f"units-map-{size}")
    unit_id = open_unit_popup(page, "shops")
    popup = page.locator(".leaflet-popup-content").inner_text()
    for label in ("信用代码", "类别", "沿街铺面", "从业人数", "所在房屋", "状态", "在单位登记簿中查看"):
        assert label in popup, label
    box = page.locator(".leaflet-popup-content").bounding_box()
    assert box["width"] >= min(300, SIZES[size]["width"] - 120) - 2  # readable on a phone
    page.wait_for_timeout(400)  # the popup fades in (and the map pans it clear of the buttons)
    covered = page.evaluate(  # the map's buttons and boxes at the top reaching into the popup
        """() => {
            const p = document.querySelector('.leaflet-popup-content-wrapper').getBoundingClientRect();
            return [...document.querySelectorAll('.leaflet-top .leaflet-control')]
                .filter(e => e.checkVisibility({visibilityProperty: true}))
                .map(e => e.getBoundingClientRect())
                .filter(b => b.bottom > p.top && b.top < p.bottom && b.right > p.left && b.left < p.right)
                .map(b => [b.left, b.top, b.right, b.bottom]);
        }"""
    )
    assert covered == []  # none: the map panned the popup clear once its details were in
    shot(page, f"units-popup-{size}")

    page.click(".leaflet-popup-content a.record")
    page.wait_for_load_state()
    assert f"unit={unit_id}" in page.url and "1 个单位" in page.locator("#unit-counts").inner_text()

    page.goto(live_server.url + "/units")
    page.select_option("select[name=kind]", "shop")
    page.select_option("select[name=status]", "uncollected")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state()
    statuses = page.eval_on_selector_all("#units tbody tr", "rows => rows.map(r => r.dataset.status)")
    assert statuses and set(statuses) == {"uncollected"}
    with demo_db.session() as s:
        total = len(s.scalars(select(Unit.id).where(Unit.kind == "shop", Unit.status == "uncollected")).all())
    assert f"{total} 个单位" in page.locator("#unit-counts").inner_text()
    shot(page, f"units-register-{size}")

    row = page.locator("#units tbody tr").first
    unit = int(row.get_attribute("data-unit"))
    row.locator("button.edit-unit").click()
    page.locator(".units-editor.open input[name=name]").wait_for()
    page.fill(".units-editor input[name=name]", "余坪浏览器测试商店")
    page.fill(".units-editor input[name=uscc]", "91350100M000100Y44")  # wrong check character
    page.fill(".units-editor input[name=staff]", "5")
    page.click(".units-editor button.save")
    error = page.locator(".units-editor .field-error").filter(has_text="统一社会信用代码")
    error.wait_for(timeout=10_000)
    assert (
        page.locator(".units-editor input[name=name]").input_value() == "余坪浏览器测试商店"
    )  # nothing typed is lost
    shot(page, f"units-editor-{size}")
    good = make_uscc("92439901" + make_organisation_code(f"{unit:08d}"))
    page.fill(".units-editor input[name=uscc]", good)
    with page.expect_navigation():
        page.click(".units-editor button.save")
    assert "余坪浏览器测试商店" not in page.locator("#units").inner_text()  # now collected: filtered out
    with demo_db.session() as s:
        saved = s.get(Unit, unit)
        assert (saved.name, saved.uscc, saved.staff, saved.status) == (
            "余坪浏览器测试商店",
            good,
            5,
            "collected",
        )


def test_a_unit_without_a_building_is_placed_on_the_map(browser, live_server, demo_db):
    add_user(demo_db, "officer", "officer")
    with demo_db.write() as s:
        unit = Unit(name="余坪待上图商店", kind="shop", status="collected", version=1)
        s.add(unit)
        s.flush()
        unit_id = unit.id
        house = s.execute(
            select(Building.id).where(Building.use == "shop").order_by(Building.id).limit(1)
        ).scalar()
    context, page, guard = open_page(browser, live_server.url, viewport=SIZES["desk"])
    log_in(page, live_server.url, "officer")
    page.goto(live_server.url + "/units?unplaced=1")
    page.click(f"a.place[href$='#place={unit_id}']")
    page.wait_for_function(WAIT_UNITS + " && geoapp.stats.buildings && geoapp.clickHook", timeout=20_000)
    assert "余坪待上图商店" in page.locator(".unit-place-bar").inner_text()
    page.evaluate(
        """(id) => {
            const group = geoapp.layers.buildings;
            const sub = group.getLayers().find(l => l.feature.id === id);
            const at = sub.getLatLng ? sub.getLatLng() : sub.getBounds().getCenter();
            group._map.setView(at, 18, {animate: false});
            sub.fire("click", {latlng: at, originalEvent: {}}, true);
        }""",
        house,
    )
    page.click(".unit-place-bar button.confirm-place")
    page.locator(".leaflet-popup-content .unit-popup h3", has_text="余坪待上图商店").wait_for(timeout=10_000)
    page.wait_for_timeout(400)
    shot(page, "units-placed-desk")
    with demo_db.session() as s:
        assert s.get(Unit, unit_id).building_id == house
    context.close()
    guard.check()
