"""The map at every zoom: houses counted per cell (the low-zoom aggregate), and the layers'
ETags (an unchanged layer is answered 304 without being built)."""

import math
from collections import Counter

import orjson
import pytest
from sqlalchemy import select, update

from geoapp.services.gis_io.aggregates import cell_degrees
from geoapp.store.models import Building, Village


def _bins(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.data
    assert r.mimetype == "application/geo+json"
    return orjson.loads(r.data)


def _cells(data, size):
    out = Counter()
    for f in data["features"]:
        w, s = f["geometry"]["coordinates"][0][0]
        gx, gy = round((w + 180) / size), round((s + 90) / size)
        for status, n in f["properties"]["s"].items():
            out[(gx, gy, status)] += n
        p = f["properties"]
        assert p["n"] == sum(p["s"].values()) and p["c"] == p["n"] - p["s"].get("uncollected", 0)
        assert p["v"] == p["s"].get("verified", 0)
    return out


def test_bins_are_the_houses_in_the_view_regrouped(clients, demo_db):
    officer = clients("officer")
    with demo_db.session() as s:
        cols = (Building.id, Building.lon, Building.lat, Building.status, Building.minx, Building.miny)
        rows = s.execute(select(*cols, Building.maxx, Building.maxy)).all()
    xs, ys = sorted(r[1] for r in rows), sorted(r[2] for r in rows)
    bbox = (xs[len(xs) // 4], ys[len(ys) // 4], xs[3 * len(xs) // 4], ys[3 * len(ys) // 4])
    query = ",".join(map(str, bbox))
    houses = orjson.loads(officer.get(f"/api/buildings.geojson?bbox={query}").data)["features"]
    # The houses the view holds (a polygon reaching into it too), each at its point.
    in_view = [r for r in rows if r[6] >= bbox[0] and r[4] <= bbox[2] and r[7] >= bbox[1] and r[5] <= bbox[3]]
    assert {r[0] for r in in_view} == {f["id"] for f in houses}
    for zoom in (11, 14, 16):
        size = cell_degrees(zoom)
        data = _bins(officer, f"/api/buildings/bins.geojson?zoom={zoom}&bbox={query}")
        assert data["cell"] == size and data["count"] == len(data["features"]) > 0
        expected = Counter(
            (math.floor((r[1] + 180) / size), math.floor((r[2] + 90) / size), r[3]) for r in in_view
        )
        assert _cells(data, size) == expected
    whole = _bins(officer, "/api/buildings/bins.geojson?zoom=10")
    assert sum(f["properties"]["n"] for f in whole["features"]) == len(rows) == 10831


def test_a_collector_gets_only_their_villages_bins(clients, demo_db):
    with demo_db.session() as s:
        rows = s.execute(select(Building.lon, Building.lat, Building.status).where(
            Building.village_id == clients.village_a)).all()  # fmt: skip
    size = cell_degrees(13)
    expected = Counter((math.floor((x + 180) / size), math.floor((y + 90) / size), st) for x, y, st in rows)
    data = _bins(clients("collector"), "/api/buildings/bins.geojson?zoom=13")
    assert _cells(data, size) == expected
    officer = _bins(clients("officer"), "/api/buildings/bins.geojson?zoom=13")
    assert sum(f["properties"]["n"] for f in officer["features"]) > len(rows)


def _afresh(db, village_id=None):
    """Each village's houses by status, grouped from the houses themselves (not the tally)."""
    stmt = select(Building.village_id, Building.status).where(Building.status != "uncollected")
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    with db.session() as s:
        out: dict[int, Counter] = {}
        for vid, status in s.execute(stmt):
            out.setdefault(vid, Counter())[status] += 1
    return out


def _progress(data):
    out = {}
    for f in data["features"]:
        p = f["properties"]
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon") and p["name"] and p["code"]
        assert p["c"] == sum(p["s"].values()) and p["v"] == p["s"].get("verified", 0)
        assert "uncollected" not in p["s"]
        out[f["id"]] = Counter(p["s"])
    return out


def test_village_progress_equals_the_houses_grouped_afresh(clients, demo_db):
    officer = clients("officer")
    data = _bins(officer, "/api/villages/progress.geojson")
    with demo_db.session() as s:
        villages = s.execute(select(Village.id, Village.task_houses, Village.minx, Village.miny,
                                    Village.maxx, Village.maxy)).all()  # fmt: skip
    assert data["count"] == len(data["features"]) == len(villages) == 28
    assert {f["id"]: f["properties"]["task"] for f in data["features"]} == {v[0]: v[1] for v in villages}
    afresh = _afresh(demo_db)
    assert sum(sum(c.values()) for c in afresh.values()) > 0
    assert _progress(data) == {v[0]: afresh.get(v[0], Counter()) for v in villages}
    # Houses written afterwards (a bulk statement: the triggers keep the tally all the same).
    with demo_db.write() as s:
        ids = s.scalars(select(Building.id).where(Building.status == "uncollected").limit(30)).all()
        s.execute(update(Building).where(Building.id.in_(ids[:20])).values(status="collected"))
        s.execute(update(Building).where(Building.id.in_(ids[20:])).values(status="verified"))
        back = s.scalar(select(Building.id).where(Building.status == "verified").limit(1))
        s.execute(update(Building).where(Building.id == back).values(status="uncollected"))
    again = _progress(_bins(officer, "/api/villages/progress.geojson"))
    assert again == {v[0]: _afresh(demo_db).get(v[0], Counter()) for v in villages} != _progress(data)
    # The outlines are kept by the app: houses changing did not make them again.
    kept = clients.app.extensions["geoapp.village_outlines"]
    made = kept.made
    assert made >= 1 and _bins(officer, "/api/villages/progress.geojson?bbox=-180,-90,180,90")
    assert kept.made == made
    # A village changed (its task): the outlines kept in memory are made again.
    with demo_db.write() as s:
        s.execute(update(Village).where(Village.id == villages[0][0]).values(task_houses=villages[0][1] + 7))
    changed = _bins(officer, "/api/villages/progress.geojson")["features"]
    assert {f["id"]: f["properties"]["task"] for f in changed}[villages[0][0]] == villages[0][1] + 7
    assert kept.made == made + 1
    # A view: the villages whose outline's box meets it.
    x0, y0 = villages[0][2], villages[0][3]
    box = (x0, y0, x0 + 0.005, y0 + 0.005)
    inside = {
        v[0] for v in villages if v[4] >= box[0] and v[2] <= box[2] and v[5] >= box[1] and v[3] <= box[3]
    }
    query = ",".join(map(str, box))
    part = _bins(officer, f"/api/villages/progress.geojson?bbox={query}")
    assert 0 < len(inside) < len(villages) and {f["id"] for f in part["features"]} == inside


def test_village_progress_is_scoped(clients, demo_db):
    data = _bins(clients("collector"), "/api/villages/progress.geojson")
    assert [f["id"] for f in data["features"]] == [clients.village_a]
    assert _progress(data) == {clients.village_a: _afresh(demo_db, clients.village_a).get(clients.village_a)}
    other = _bins(clients("collector_b"), "/api/villages/progress.geojson")
    assert [f["id"] for f in other["features"]] != [clients.village_a]
    assert _bins(clients("reporter"), "/api/villages/progress.geojson")["features"] == []


@pytest.mark.parametrize("bad", ["zoom=99", "zoom=x", "zoom=12&bbox=1,2,3"])
def test_bad_bins_query_is_a_clear_400(clients, bad):
    assert clients("officer").get(f"/api/buildings/bins.geojson?{bad}").status_code == 400


LAYERS = [
    "/api/buildings.geojson",
    "/api/streets.geojson",
    "/api/villages.geojson",
    "/api/units.geojson?kind=shop",
    "/api/blocks.geojson",
    "/api/buildings/bins.geojson?zoom=12",
    "/api/villages/progress.geojson",
    "/api/villages/progress.geojson?bbox=113.2,27.0,113.5,27.2",
]


@pytest.mark.parametrize("url", LAYERS)
def test_unchanged_layer_is_304_and_a_change_gives_a_new_etag(clients, demo_db, url):
    officer = clients("officer")
    first = officer.get(url)
    assert first.status_code == 200 and first.data
    tag = first.headers["ETag"]
    assert tag and "no-cache" in first.headers["Cache-Control"]
    again = officer.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    with demo_db.write() as s:  # a bulk statement, not the ORM: the triggers see it all the same
        hid = s.scalar(select(Building.id).where(Building.status == "uncollected").limit(1))
        s.execute(update(Building).where(Building.id == hid).values(status="collected"))
    changed = officer.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.data and changed.headers["ETag"] != tag


def test_etag_depends_on_who_asks(clients):
    url = "/api/buildings.geojson"
    tags = {
        who: clients(who).get(url).headers["ETag"]
        for who in ("officer", "leader", "collector", "collector_b")
    }
    assert len(set(tags.values())) == 4
    other = clients("collector").get(url, headers={"If-None-Match": tags["officer"]})
    assert other.status_code == 200 and other.data  # an officer's copy is never a collector's


def test_a_street_change_changes_the_streets_tag_only(clients, demo_db):
    from geoapp.store.models import Street

    officer = clients("officer")
    streets, houses = (
        officer.get(u).headers["ETag"] for u in ("/api/streets.geojson", "/api/buildings.geojson")
    )
    with demo_db.write() as s:
        street = s.scalars(select(Street).limit(1)).one()
        street.name = street.name + "（新）"
    assert officer.get("/api/streets.geojson", headers={"If-None-Match": streets}).status_code == 200
    assert officer.get("/api/buildings.geojson", headers={"If-None-Match": houses}).status_code == 304


def test_the_map_page_asks_for_the_houses_first_and_once(clients):
    import re

    html = clients("officer").get("/").data.decode()
    links = re.findall(r'<link rel="preload" href="([^"]+)" as="fetch"', html)
    assert links[0] == "/api/buildings.geojson?compact=1" and "/api/villages.geojson" in links
    assert len(links) == len(set(links))  # no layer asked for twice
    assert html.index(links[0]) < html.index("leaflet.js")


@pytest.mark.parametrize("who", ["officer", "collector"])
def test_the_compact_houses_are_the_geojson_houses_as_columns(clients, who):
    """``compact=1`` (the town map's canvas layer): the same houses, scope and ETag rules,
    as columns of ids, lon, lat and indexes into the statuses and uses."""
    client = clients(who)
    features = orjson.loads(client.get("/api/buildings.geojson").data)["features"]
    r = client.get("/api/buildings.geojson?compact=1")
    assert r.status_code == 200 and r.mimetype == "application/json"
    data = orjson.loads(r.data)
    assert data["compact"] is True and data["truncated"] is False and data["count"] == len(features) > 0
    rows = [
        (i, (x, y), data["statuses"][s], data["uses"][u])
        for i, x, y, s, u in zip(data["ids"], data["lon"], data["lat"], data["s"], data["u"], strict=True)
    ]
    expected = [
        (f["id"], tuple(f["geometry"]["coordinates"]), f["properties"]["s"], f["properties"]["u"])
        for f in features
    ]
    assert [r[0] for r in rows] == [e[0] for e in expected]
    assert [r[2:] for r in rows] == [e[2:] for e in expected]
    at, outlines = 0, 0
    for (_, point, *_), f, n in zip(rows, features, data["n"], strict=True):
        geometry = f["geometry"]
        if geometry["type"] == "Point":
            assert n == 0 and math.dist(point, geometry["coordinates"]) < 1e-6
            continue
        ring = (geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0])[0]
        offsets = data["ring"][at : at + 2 * n]
        at += 2 * n
        outlines += 1
        got = [(point[0] + offsets[k] * 1e-7, point[1] + offsets[k + 1] * 1e-7) for k in range(0, 2 * n, 2)]
        assert n == len(ring) - 1 and all(math.dist(a, b) < 1e-6 for a, b in zip(got, ring, strict=False))
    assert at == len(data["ring"]) and outlines > 0
    assert len(r.data) < len(orjson.dumps(features)) / 2
    tag = r.headers["ETag"]
    assert tag != client.get("/api/buildings.geojson").headers["ETag"]  # never one answer for the other
    assert client.get("/api/buildings.geojson?compact=1", headers={"If-None-Match": tag}).status_code == 304


def test_the_map_page_is_rendered_once_per_role_and_language(clients, demo_db):
    """The folium map is rendered once per (role, language, scope…) in the app's own cache;
    each page still has its own CSP nonce, CSRF token and user (never another user's)."""
    import re

    from geoapp import create_app
    from tests.conftest import add_user, login, make_settings

    officer = clients("officer")
    first = officer.get("/").data.decode()
    cache = clients.app.extensions["geoapp.map_cache"]
    built = cache.built
    add_user(demo_db, "officer_2", "officer")
    second = clients.app.test_client()
    assert login(second, "officer_2").status_code == 302
    again = second.get("/").data.decode()
    assert cache.built == built  # the same map for another officer: not rendered again

    def user(html):
        return re.search(r'name="geoapp-user" content="(\d+)"', html).group(1)

    def nonce(html):
        return re.search(r'<script nonce="([^"]+)"', html).group(1)

    def token(html):
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    assert user(first) == str(clients.users["officer"]) and user(again) != user(first)
    assert nonce(first) != nonce(again) and token(first) != token(again)
    assert nonce(again) in again.split('id="map_')[0]  # the cached head's scripts carry this page's nonce
    officer.get("/?lang=en")
    clients("leader").get("/")
    assert cache.built == built + 2  # another language, another role: rendered once each

    other = create_app(make_settings(demo_db.engine.url.render_as_string(hide_password=False)))
    try:  # another app (its own settings, its own data): a cache of its own
        client = other.test_client()
        assert login(client, "officer").status_code == 302
        assert user(client.get("/").data.decode()) == user(first)
        assert (
            other.extensions["geoapp.map_cache"] is not cache
            and other.extensions["geoapp.map_cache"].built == 1
        )
        assert cache.built == built + 2
    finally:
        other.extensions["geoapp.db"].dispose()


def test_the_town_map_key_holds_every_argument_it_is_built_from():
    """``town_map_page`` keys the cache on all of ``town_map``'s arguments and the context:
    any one changed (a list of officers included) is another page; the same ones, the same."""
    from geoapp.maps.town import town_map_page

    class Keys:
        def __init__(self):
            self.seen = []

        def parts(self, key, build, nonce):
            hash(key)
            self.seen.append(key)
            return key

    options = dict(village_id=3, collect=True, history=False, review=True, role="officer", unit_id=None,
                   decide_moves=True, block_editor=True, block_officers=[("a", "Officer A")])  # fmt: skip
    keys = Keys()
    base = town_map_page(keys, [1.0, 2.0, 3.0, 4.0], "n1", context=("s", "zh"), **options)
    assert town_map_page(keys, (1.0, 2.0, 3.0, 4.0), "n2", context=("s", "zh"), **options) == base
    changed = [
        town_map_page(keys, [1.0, 2.0, 3.0, 5.0], "n", context=("s", "zh"), **options),
        town_map_page(keys, [1.0, 2.0, 3.0, 4.0], "n", context=("s", "en"), **options),
    ]
    for name, value in dict(village_id=4, collect=False, history=True, review=False, role="admin", unit_id=7,
                            decide_moves=False, block_editor=False,
                            block_officers=[("a", "Officer B")]).items():  # fmt: skip
        changed.append(
            town_map_page(keys, [1.0, 2.0, 3.0, 4.0], "n", context=("s", "zh"), **(options | {name: value}))
        )
    assert base not in changed and len(set(changed)) == len(changed) == 11


def test_the_villages_layer_counts_equal_the_houses_grouped_afresh(clients, demo_db):
    """``/api/villages.geojson`` counts each village's houses, collected and verified (the
    last two from the kept tally): the same as grouping the houses themselves, before and
    after houses change (a bulk statement: the triggers keep the tally all the same)."""

    def afresh():
        with demo_db.session() as s:
            rows = s.execute(select(Building.village_id, Building.status)).all()
        out: dict[int, list[int]] = {}
        for vid, status in rows:
            n = out.setdefault(vid, [0, 0, 0])
            n[0] += 1
            n[1] += status != "uncollected"
            n[2] += status == "verified"
        return out

    def served():
        features = orjson.loads(clients("officer").get("/api/villages.geojson").data)["features"]
        return {f["id"]: [f["properties"][k] for k in ("houses", "collected", "verified")] for f in features}

    before = served()
    assert before == {vid: n for vid, n in afresh().items() if vid in before} and len(before) == 28
    assert sum(n[1] for n in before.values()) > sum(n[2] for n in before.values()) > 0
    with demo_db.write() as s:
        ids = s.scalars(select(Building.id).where(Building.status == "uncollected").limit(25)).all()
        s.execute(update(Building).where(Building.id.in_(ids[:15])).values(status="collected"))
        s.execute(update(Building).where(Building.id.in_(ids[15:])).values(status="verified"))
    after = served()
    assert after == {vid: n for vid, n in afresh().items() if vid in after} != before
