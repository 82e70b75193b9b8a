"""The leaders' page and its data on the demo town, per role (both backends): GET /leaders,
/api/coverage?forecast=1, /api/coverage/progress and /api/heat."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from geoapp.store.models import Building, Village
from tests.conftest import add_user, login

TOWN_ROLES = ("leader", "officer", "admin")


@pytest.mark.parametrize("role", TOWN_ROLES)
def test_town_roles_get_every_row_with_its_forecast(clients, role):
    client = clients(role)
    body = client.get("/api/coverage?kind=houses&as_of=2016-06-08&forecast=1").get_json()
    assert body["forecast_window"] == {"start": "2016-06-01", "days": 7}
    plain = client.get("/api/coverage?kind=houses&as_of=2016-06-08").get_json()
    earlier = client.get("/api/coverage?kind=houses&as_of=2016-06-01").get_json()
    rows = [*body["villages"], body["station"], body["total"]]
    # The same rows as without the forecast, each with it besides.
    assert [{k: v for k, v in r.items() if k != "forecast"} for r in rows] == [
        *plain["villages"],
        plain["station"],
        plain["total"],
    ]
    assert "forecast" not in plain["total"] and "forecast_window" not in plain
    # The pace reads the table's own figures a week before.
    assert [v["forecast"]["collected_before"] for v in body["villages"]] == [
        v["collected"] for v in earlier["villages"]
    ]
    outlooks = {v["forecast"]["outlook"] for v in body["villages"]}
    assert outlooks <= {"reached", "on_time", "late", "stalled"} and len(outlooks) > 1
    for v in body["villages"]:
        f = v["forecast"]
        assert f["deadline"] == "2016-06-30" and f["need"] == v["task"]
        if f["outlook"] in ("on_time", "late"):
            assert f["reach_date"] > "2016-06-08" and f["on_time"] == (f["reach_date"] <= "2016-06-30")
            assert f["pace_per_day"] == pytest.approx((v["collected"] - f["collected_before"]) / 7)


@pytest.mark.parametrize("role", TOWN_ROLES)
def test_town_roles_get_the_town_and_a_village_progress(clients, role):
    client = clients(role)
    village = clients.village_a
    body = client.get(f"/api/coverage/progress?kind=people&village={village}&as_of=2016-05-25").get_json()
    assert body["days"][0] == "2016-04-27" and body["days"][-1] == "2016-05-25"
    assert len(body["town"]["collected"]) == len(body["days"]) == len(body["village"]["collected"])
    assert body["town"]["name"] == "全镇" and body["town"]["task"] == 41115
    assert body["stages"] == [{"end": "2016-05-25", "target": 0.6}, {"end": "2016-06-30", "target": 1.0}]
    table = client.get("/api/coverage?kind=people&as_of=2016-05-25").get_json()
    own = next(v for v in table["villages"] if v["village_id"] == village)
    assert body["village"]["collected"][-1] == own["collected"] and body["village"]["task"] == own["task"]
    assert body["town"]["collected"][-1] == table["total"]["collected"]
    town_only = client.get("/api/coverage/progress?kind=houses&as_of=2016-05-25").get_json()
    assert town_only["village"] is None and town_only["town"]["task"] == 10831


@pytest.mark.parametrize("role", TOWN_ROLES)
def test_town_roles_get_the_uncollected_houses_of_the_town(clients, demo_db, role):
    client = clients(role)
    body = client.get("/api/heat?status=uncollected&as_of=2016-05-25").get_json()
    table = client.get("/api/coverage?kind=houses&as_of=2016-05-25").get_json()
    with demo_db.session() as s:
        houses = s.scalar(select(func.count()).select_from(Building))
        minx, miny, maxx, maxy = s.execute(
            select(
                func.min(Village.minx), func.min(Village.miny), func.max(Village.maxx), func.max(Village.maxy)
            )
        ).one()
    assert body["as_of"] == "2016-05-25" and body["current"] is False
    assert body["count"] == len(body["points"]) == houses - table["total"]["collected"]
    assert all(miny <= lat <= maxy and minx <= lon <= maxx for lat, lon in body["points"])  # [lat, lon]
    now = client.get("/api/heat").get_json()  # today is after the demo campaign: its end
    assert now["as_of"] == "2016-09-25" and now["count"] < body["count"]


def test_a_collector_gets_their_own_village_only(clients, demo_db):
    client = clients("collector")
    own, other = clients.village_a, clients.village_b
    forecast = client.get("/api/coverage?as_of=2016-06-08&forecast=1").get_json()
    assert [v["village_id"] for v in forecast["villages"]] == [own]
    assert "station" not in forecast and "total" not in forecast  # they would reveal the others
    town = clients("leader").get("/api/coverage?as_of=2016-06-08&forecast=1").get_json()
    assert forecast["villages"][0] == next(v for v in town["villages"] if v["village_id"] == own)
    progress = client.get("/api/coverage/progress?as_of=2016-06-08").get_json()
    assert progress["town"] is None and progress["village"]["village_id"] == own
    assert client.get(f"/api/coverage/progress?village={other}").status_code == 404
    missing = client.get("/api/coverage/progress?village=999999")
    assert missing.status_code == 404
    heat = client.get("/api/heat?as_of=2016-09-25").get_json()
    with demo_db.session() as s:
        left = s.scalar(
            select(func.count())
            .select_from(Building)
            .where(Building.village_id == own, Building.status.not_in(("collected", "verified")))
        )
    assert heat["count"] == left
    town = clients("leader").get("/api/heat?as_of=2016-09-25").get_json()
    assert heat["count"] < town["count"]
    assert clients("collector").get("/leaders").status_code == 403


@pytest.mark.parametrize(
    "path", ["/api/coverage?forecast=1", "/api/coverage/progress", "/api/heat", "/leaders"]
)
def test_reporters_and_strangers_are_refused(clients, path):
    assert clients("reporter").get(path).status_code == 403
    anonymous = clients(None).get(path)
    assert anonymous.status_code == 401 or (anonymous.status_code == 302 and "/login" in anonymous.location)


@pytest.mark.parametrize(
    "query, field",
    [
        ("/api/coverage?forecast=yes", "forecast"),
        ("/api/coverage?forecast=1&as_of=2016-02-30", "as_of"),
        ("/api/coverage/progress?village=abc", "village"),
        ("/api/coverage/progress?kind=rooms", "kind"),
        ("/api/heat?status=collected", "status"),
        ("/api/heat?as_of=25/05/2016", "as_of"),
    ],
)
def test_bad_arguments_are_a_400_naming_the_field(clients, query, field):
    r = clients("leader").get(query)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.get_json()["field"] == field


def test_a_leader_lands_on_the_coverage_page_and_others_on_the_map(clients, demo_app, demo_db):
    leader = demo_app.test_client()
    r = login(leader, "leader")
    assert r.status_code == 302 and r.location.endswith("/leaders")
    officer = demo_app.test_client()
    r = login(officer, "officer")
    assert r.status_code == 302 and r.location.endswith("/")
    # A next= address still wins, for leaders too.
    add_user(demo_db, "leader2", "leader")
    other = demo_app.test_client()
    html = other.get("/login?next=/account/tokens").data.decode()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    r = other.post(
        "/login",
        data={
            "username": "leader2",
            "password": "Test-password-1",
            "csrf_token": csrf,
            "next": "/account/tokens",
        },
    )
    assert r.location.endswith("/account/tokens")
    # The title in the top bar leads home too.
    page = clients("leader").get("/account/tokens").get_data(as_text=True)
    assert 'class="title" href="/leaders"' in page
    assert 'class="title" href="/"' in clients("officer").get("/account/tokens").get_data(as_text=True)


@pytest.mark.parametrize("role", ["leader", "officer", "admin", "collector"])
def test_the_menu_leads_town_roles_to_the_page(clients, role):
    page = clients(role).get("/account/tokens").get_data(as_text=True)
    assert ('href="/leaders">采集进度</a>' in page) == (role in TOWN_ROLES)


def test_the_page_embeds_no_town_data_and_only_nonced_scripts(clients, demo_db):
    r = clients("leader").get("/leaders?as_of=2016-05-25&kind=people&rate=timeliness_rate")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    with demo_db.session() as s:
        names = s.scalars(select(Village.name)).all()
    assert not any(name in html for name in names)  # fetched by the script, not written in the page
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<style\b[^>]*>", html))
    assert " style=" not in html  # no inline style attributes (the CSP refuses them)
    assert "http://" not in html and "https://" not in html  # nothing from outside
    # The state from the address: the date capped to the campaign, the choices selected.
    assert 'value="2016-05-25"' in html and 'min="2016-04-10"' in html and 'max="2016-09-25"' in html
    assert '<option value="people" selected>' in html and '<option value="timeliness_rate" selected>' in html
    assert (
        "/vendor/chart.js/dist/chart.umd.js" in html and "/vendor/leaflet.heat/dist/leaflet-heat.js" in html
    )
    assert 'href="/reports/coverage.xlsx?as_of=2016-05-25"' in html
    late = clients("leader").get("/leaders?as_of=2030-01-01").get_data(as_text=True)
    assert 'value="2016-09-25"' in late
    assert clients("leader").get("/leaders?rate=speed").status_code == 400


def test_the_libraries_are_served_by_the_app(clients):
    for path in ("/vendor/chart.js/dist/chart.umd.js", "/vendor/leaflet.heat/dist/leaflet-heat.js"):
        r = clients(None).get(path)
        assert r.status_code == 200 and len(r.data) > 1000
        r.close()


def test_village_boundaries_carry_a_label_point_inside(clients):
    import shapely

    body = clients("leader").get("/api/villages.geojson").get_json()
    for feature in body["features"]:
        lon, lat = feature["properties"]["label"]
        assert shapely.geometry.shape(feature["geometry"]).contains(shapely.Point(lon, lat))


def test_the_printable_page_shows_the_villages_map(clients, demo_db):
    """The printable page's map slot holds the villages coloured by their collection rate of
    people and of houses (as on the leaders' page), drawn as SVG: no script, no outside URL."""
    from geoapp.maps.leaders import class_colour

    client = clients("leader")
    html = client.get("/reports/coverage?as_of=2016-05-25").get_data(as_text=True)
    assert html.count('<svg class="print-map"') == 2 and html.count('<svg class="print-legend"') == 1
    assert "实有人口采集率" in html and "实有房屋采集率" in html
    assert (
        "余坪镇“三实”信息采集进度图（截至2016年5月25日）" in html and "第一阶段目标：05-25 前完成 60%" in html
    )
    assert (
        "<script" not in html and " style=" not in html and "http://" not in html and "https://" not in html
    )
    houses = client.get("/api/coverage?kind=houses&as_of=2016-05-25").get_json()
    houses_map = html.split('<svg class="print-map"')[2]  # people first, as in the tables
    for village in houses["villages"]:
        colour = class_colour(village["collection_rate"])
        assert (
            f'fill="{colour}" stroke="#333" stroke-width="1.2" stroke-linejoin="round"><title>{village["name"]}</title>'
            in houses_map
        )
        assert f'font-weight="bold">{village["collection_rate"]:.1%}</tspan>' in houses_map


def test_the_printed_map_escapes_names():
    import shapely

    from geoapp.maps.print_map import choropleth_svg
    from geoapp.services.reports.outlines import Outline

    outlines = [
        Outline(1, "<script>alert(1)</script>", shapely.box(113, 27, 113.01, 27.01), (113.005, 27.005)),
        Outline(2, "乙村", shapely.box(113.01, 27, 113.02, 27.01), (113.015, 27.005)),
    ]
    svg = str(choropleth_svg(outlines, {1: 0.25, 2: None}, label='"地图"'))
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert 'aria-label="&#34;地图&#34;"' in svg
    assert svg.count("<path") == 2 and 'fill="#fc8d59"' in svg and 'fill="#bdbdbd"' in svg  # 20–40 %, no data
    assert ">—</tspan>" in svg and ">25.0%</tspan>" in svg
