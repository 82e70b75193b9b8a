"""OGC API – Features at /ogc: landing page, conformance, collections from the layer
registry, paged items with bbox and numberMatched, single items, CRS, HTML, personal
API tokens, scope, and no personal data (on SQLite and PostGIS)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from geoapp.services.accounts.sessions import create_token
from geoapp.services.gis_io.registry import SOURCES
from geoapp.store.models import Building, Person, Unit, User, Village


def token_for(db, username: str) -> dict:
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        _, raw = create_token(s, user, "QGIS")
    return {"Authorization": f"Bearer {raw}"}


def local(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def officer(clients, demo_db):
    return clients.app.test_client(), token_for(demo_db, "officer")


def test_landing_conformance_and_collections_follow_the_registry(officer):
    client, bearer = officer
    landing = client.get("/ogc?f=json", headers=bearer)
    assert landing.status_code == 200
    rels = {link["rel"] for link in landing.get_json()["links"]}
    assert {"self", "conformance", "data", "service-desc"} <= rels
    conf = client.get("/ogc/conformance", headers=bearer).get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    listed = client.get("/ogc/collections", headers=bearer).get_json()["collections"]
    offered = [name for name, src in SOURCES.items() if src.features is not None]
    assert [c["id"] for c in listed] == offered
    assert {"villages", "streets", "buildings", "units", "shops", "factories"} <= set(offered)
    assert "people" not in offered
    one = client.get("/ogc/collections/buildings", headers=bearer).get_json()
    assert one["id"] == "buildings" and len(one["extent"]["spatial"]["bbox"][0]) == 4
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in one["crs"]
    assert client.get("/ogc/collections/people", headers=bearer).status_code == 404


def test_items_page_through_the_whole_layer(officer, demo_db):
    client, bearer = officer
    with demo_db.session() as s:
        total = s.scalar(select(func.count()).select_from(Building))
    r = client.get("/ogc/collections/buildings/items?limit=1000", headers=bearer)
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    seen, url = [], "/ogc/collections/buildings/items?limit=1000"
    while url:
        page = client.get(url, headers=bearer).get_json()
        assert page["numberMatched"] == total
        assert page["numberReturned"] == len(page["features"]) <= 1000
        seen += [f["id"] for f in page["features"]]
        url = next((local(link["href"]) for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == total == len(set(seen)) and seen == sorted(seen)
    beyond = client.get("/ogc/collections/buildings/items?offset=1000000", headers=bearer).get_json()
    assert beyond["numberMatched"] == total and beyond["features"] == []
    assert "next" not in {link["rel"] for link in beyond["links"]}
    # limit above the maximum is reduced to it; below 1 refused
    big = client.get("/ogc/collections/villages/items?limit=99999", headers=bearer).get_json()
    assert big["numberReturned"] == big["numberMatched"]
    assert client.get("/ogc/collections/villages/items?limit=0", headers=bearer).status_code == 400
    assert client.get("/ogc/collections/villages/items?limit=x", headers=bearer).status_code == 400


def test_bbox_single_items_and_crs(officer, demo_db):
    client, bearer = officer
    with demo_db.session() as s:
        b = s.execute(select(Building.id, Building.lon, Building.lat).order_by(Building.id).limit(1)).one()
        in_box = s.scalar(
            select(func.count())
            .select_from(Building)
            .where(Building.maxx >= b.lon - 0.001, Building.minx <= b.lon + 0.001)
            .where(Building.maxy >= b.lat - 0.001, Building.miny <= b.lat + 0.001)
        )
    box = f"{b.lon - 0.001},{b.lat - 0.001},{b.lon + 0.001},{b.lat + 0.001}"
    page = client.get(f"/ogc/collections/buildings/items?bbox={box}&limit=10000", headers=bearer).get_json()
    assert page["numberMatched"] == in_box == len(page["features"]) > 0
    assert b.id in {f["id"] for f in page["features"]}
    lat_first = f"{b.lat - 0.001},{b.lon - 0.001},{b.lat + 0.001},{b.lon + 0.001}"
    cgcs = "http://www.opengis.net/def/crs/EPSG/0/4490"
    r = client.get(
        f"/ogc/collections/buildings/items?bbox={lat_first}&bbox-crs={cgcs}&crs={cgcs}&limit=10000",
        headers=bearer,
    )
    assert r.headers["Content-Crs"] == f"<{cgcs}>"
    assert r.get_json()["numberMatched"] == in_box
    one = client.get(f"/ogc/collections/buildings/items/{b.id}", headers=bearer).get_json()
    assert one["type"] == "Feature" and one["id"] == b.id
    flipped = client.get(f"/ogc/collections/buildings/items/{b.id}?crs={cgcs}", headers=bearer).get_json()
    x, y = one["geometry"]["coordinates"][:2] if one["geometry"]["type"] == "Point" else (None, None)
    if x is not None:
        assert flipped["geometry"]["coordinates"][:2] == [y, x]
    assert client.get("/ogc/collections/buildings/items/999999", headers=bearer).status_code == 404
    assert client.get("/ogc/collections/buildings/items?crs=EPSG:3857", headers=bearer).status_code == 400
    assert client.get("/ogc/collections/buildings/items?bbox=1,2,3", headers=bearer).status_code == 400


def test_villages_carry_tasks_and_progress_and_nothing_personal(officer, demo_db):
    client, bearer = officer
    villages = client.get("/ogc/collections/villages/items?limit=100", headers=bearer).get_json()
    props = villages["features"][0]["properties"]
    assert {"code", "name", "task_houses", "task_people", "houses", "collected", "progress"} <= set(props)
    with demo_db.session() as s:
        owners = {o for o in s.scalars(select(Building.owner_name).where(Building.owner_name.is_not(None)))}
        reps = {r for r in s.scalars(select(Unit.legal_rep).where(Unit.legal_rep.is_not(None)))}
        phones = {p for p in s.scalars(select(Unit.phone).where(Unit.phone.is_not(None)))}
        names = set(s.scalars(select(Person.name).limit(200)))
    for name in SOURCES:
        if SOURCES[name].features is None:
            continue
        text = client.get(f"/ogc/collections/{name}/items?limit=10000", headers=bearer).get_data(as_text=True)
        for field in ("owner", "legal_rep", "phone", "id_number"):
            assert f'"{field}' not in text, (name, field)
        leaked = [v for v in (owners | reps | phones | names) if f'"{v}"' in text]
        assert leaked == [], (name, leaked[:5])


def test_scope_collectors_see_their_village_reporters_their_unit(clients, demo_db):
    collector = token_for(demo_db, "collector_a")
    program = clients.app.test_client()
    houses = program.get("/ogc/collections/buildings/items?limit=10000", headers=collector).get_json()
    with demo_db.session() as s:
        own = s.scalar(select(func.count()).where(Building.village_id == clients.village_a))
        other = s.scalar(select(Building.id).where(Building.village_id == clients.village_b).limit(1))
        village_name = s.scalar(select(Village.name).where(Village.id == clients.village_a))
    assert houses["numberMatched"] == own
    assert {f["properties"]["village_id"] for f in houses["features"]} == {clients.village_a}
    assert program.get(f"/ogc/collections/buildings/items/{other}", headers=collector).status_code == 404
    villages = program.get("/ogc/collections/villages/items", headers=collector).get_json()
    assert [f["properties"]["name"] for f in villages["features"]] == [village_name]
    reporter = token_for(demo_db, "reporter")
    units = program.get("/ogc/collections/units/items", headers=reporter).get_json()
    assert [f["id"] for f in units["features"]] == [clients.unit_id]


def test_tokens_are_required_and_checked(clients):
    program = clients.app.test_client()
    r = program.get("/ogc/collections?f=json")
    assert r.status_code == 401 and r.get_json()["error"] == "Unauthenticated"
    assert program.get("/ogc/collections", headers={"Authorization": "Bearer gat_forged"}).status_code == 401
    assert program.get("/ogc/collections?f=html").status_code == 302  # a browser: log in first


def test_html_pages_speak_chinese(clients):
    officer = clients("officer")
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/buildings"):
        r = officer.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200 and r.mimetype == "text/html", path
    r = officer.get("/ogc/collections/buildings/items?f=html&limit=5")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "下一页" in html and "状态" in html and "数据服务" in html
    assert "uncollected" not in html and "dwelling" not in html
    first = officer.get("/ogc/collections/units/items?f=json").get_json()["features"][0]["id"]
    r = officer.get(f"/ogc/collections/units/items/{first}?f=html")
    assert r.status_code == 200 and "enterprise" not in r.get_data(as_text=True).split("<main")[1]
