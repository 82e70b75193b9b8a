"""The map page and the GeoJSON endpoints it fetches."""

import json
import re

import orjson
import pytest


@pytest.fixture
def officer_client(clients):
    return clients("officer")


def test_houses_geojson_for_the_whole_town(officer_client):
    r = officer_client.get("/api/buildings.geojson")
    assert r.status_code == 200
    assert r.mimetype == "application/geo+json"
    data = orjson.loads(r.data)
    assert len(data["features"]) == 10831 and data["truncated"] is False
    statuses = {f["properties"]["s"] for f in data["features"]}
    assert statuses == {"uncollected", "collected", "verified", "returned"}
    kinds = {f["geometry"]["type"] for f in data["features"]}
    assert kinds == {"Point", "Polygon"}


def test_houses_by_village_and_by_view(officer_client):
    villages = orjson.loads(officer_client.get("/api/villages.geojson").data)["features"]
    fangu = next(v for v in villages if v["properties"]["name"] == "范固村")
    assert fangu["properties"]["houses"] == fangu["properties"]["task_houses"] == 927
    by_village = orjson.loads(officer_client.get(f"/api/buildings.geojson?village={fangu['id']}").data)
    assert len(by_village["features"]) == 927
    xs = [f["geometry"]["coordinates"][0] for f in by_village["features"] if f["geometry"]["type"] == "Point"]
    ys = [f["geometry"]["coordinates"][1] for f in by_village["features"] if f["geometry"]["type"] == "Point"]
    bbox = f"{min(xs)},{min(ys)},{(min(xs) + max(xs)) / 2},{max(ys)}"
    in_view = orjson.loads(officer_client.get(f"/api/buildings.geojson?bbox={bbox}").data)["features"]
    assert 0 < len(in_view) < 10831
    for f in in_view:
        if f["geometry"]["type"] == "Point":
            x, y = f["geometry"]["coordinates"]
            assert min(xs) <= x <= (min(xs) + max(xs)) / 2 and min(ys) <= y <= max(ys)
    inside = [f for f in by_village["features"] if f["geometry"]["type"] == "Point"]
    inside = [f["id"] for f in inside if f["geometry"]["coordinates"][0] <= (min(xs) + max(xs)) / 2]
    assert set(inside) <= {f["id"] for f in in_view}


def test_layer_is_truncated_past_the_limit(demo_url):
    from geoapp import create_app
    from tests.conftest import add_user, login, make_settings

    app = create_app(make_settings(demo_url, max_features=100))
    add_user(app.extensions["geoapp.db"], "officer", "officer")
    client = app.test_client()
    login(client, "officer")
    data = orjson.loads(client.get("/api/buildings.geojson").data)
    assert data["truncated"] is True and data["features"] == []  # the map then asks by view
    x, y = _first_point(demo_url)
    in_view = orjson.loads(
        client.get(f"/api/buildings.geojson?bbox={x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}").data
    )
    app.extensions["geoapp.db"].dispose()
    assert in_view["truncated"] is False and 0 < len(in_view["features"]) <= 100


def _first_point(url):
    from sqlalchemy import select

    from geoapp.store.db import Database
    from geoapp.store.models import Building

    db = Database(url)
    with db.session() as s:
        row = s.execute(select(Building.lon, Building.lat).order_by(Building.id).limit(1)).one()
    db.dispose()
    return row


@pytest.mark.parametrize("bad", ["1,2,3", "a,b,c,d", "2,2,1,1"])
def test_bad_bbox_is_a_clear_400(officer_client, bad):
    r = officer_client.get(f"/api/buildings.geojson?bbox={bad}")
    assert r.status_code == 400
    assert r.json["field"] == "bbox"


def test_house_detail_and_missing_house(officer_client):
    feature = orjson.loads(officer_client.get("/api/buildings.geojson").data)["features"][0]
    detail = officer_client.get(f"/api/buildings/{feature['id']}").json
    assert detail["address"].startswith("余坪镇") and detail["status"] == feature["properties"]["s"]
    r = officer_client.get("/api/buildings/99999999")
    assert r.status_code == 404 and "99999999" in r.json["message"]


def test_streets_geojson(officer_client):
    data = orjson.loads(officer_client.get("/api/streets.geojson").data)
    names = {f["properties"]["name"] for f in data["features"]}
    assert "余坪大道" in names
    assert {f["properties"]["kind"] for f in data["features"]} >= {"main", "market", "road", "lane"}


def test_map_page_embeds_no_features_and_no_outside_assets(officer_client):
    r = officer_client.get("/")
    html = r.data.decode()
    assert r.status_code == 200
    # The houses are fetched, not embedded (embedding them is ~3 MB; "FeatureCollection" below).
    # The page holds its tools' texts, each Chinese character \\u-escaped in 6 bytes: ~41 kB.
    assert len(r.data) < 50_000
    assert "余坪大道" not in html and "FeatureCollection" not in html
    assert not re.search(r"(src|href)=\"https?://", html)
    assert "/api/buildings.geojson" in html and "/vendor/leaflet/dist/leaflet.js" in html
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    for tag in re.findall(r"<(?:script|style)(?![^>]*\bsrc=)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag


def test_the_map_tools_are_listed_not_in_the_head(officer_client):
    """The tools' files are not in the page's head (they would hold the houses back): each
    tool is one ``geoapp.tool(map, name, options, files, styles)`` call naming its files, its
    helpers and vendor files before its own script; the basemap's (which the houses' positions
    depend on) would be in the head."""
    html = officer_client.get("/").data.decode()
    head = html.split("</head>")[0]
    calls = re.findall(r'geoapp\.tool\(\w+, "(\w+)", .*?,\s+(\[[^\]]*\]), (\[[^\]]*\])\);', html, re.S)
    tools = {name: (json.loads(js), json.loads(css)) for name, js, css in calls}
    assert set(tools) == {"units", "collector", "offline", "reviewer", "moves", "blockEditor"}, tools
    for name, (js, css) in tools.items():
        for url in js + css:
            assert url.startswith(("/static/", "/vendor/")) and url not in head, (name, url)
    assert tools["collector"][0][0].startswith("/vendor/leaflet.locatecontrol/")
    assert tools["collector"][0][-1].startswith("/static/js/collect.js?")
    assert tools["blockEditor"][0][0].startswith("/vendor/leaflet-draw/")
    assert '"locate": {' in html  # the "show where I am" button comes with the collector's tools
    assert "/static/js/geoapp-map.js" in head  # geoapp.tool itself


def test_page_is_chinese_by_default_and_english_on_request(officer_client):
    zh = officer_client.get("/").data.decode()
    assert '<html lang="zh-CN">' in zh and "<title>全镇地图</title>" in zh
    assert "\\u6751\\u754c" in zh  # 村界, as folium writes it in the script
    en = officer_client.get("/?lang=en").data.decode()
    assert '<html lang="en">' in en and "Village boundaries" in en and "<title>Town map</title>" in en


def test_http_errors_speak_the_users_language_not_werkzeugs(officer_client):
    page = officer_client.get("/no-such-page")
    text = page.data.decode()
    assert page.status_code == 404 and "没有该页面或记录" in text and "requested URL" not in text
    api = officer_client.get("/api/no-such-thing", headers={"Accept": "application/json"})
    assert api.status_code == 404 and "没有该页面或记录" in api.json["message"]
    wrong = officer_client.delete("/", headers={"Accept": "application/json"})
    assert wrong.status_code == 405 and "此网址不接受这种请求" in wrong.json["message"]
    officer_client.get("/?lang=en")
    english = officer_client.get("/no-such-page").data.decode()
    assert "There is no such page or record" in english


def test_security_headers(officer_client):
    r = officer_client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"


def test_vendor_assets_are_served_locally_and_only_from_declared_packages(demo_client):
    def status(url):
        with demo_client.get(url) as r:  # file responses stream: close them
            return r.status_code

    assert status("/vendor/leaflet/dist/leaflet.js") == 200
    assert status("/vendor/leaflet/dist/leaflet.css") == 200
    assert status("/vendor/leaflet.locatecontrol/dist/L.Control.Locate.min.js") == 200
    assert status("/vendor/left-pad/index.js") == 404
    assert status("/vendor/leaflet/../../package.json") == 404
