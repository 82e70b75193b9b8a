"""The station's units over the web: the shop and factory layers, the units register and
its export, registering, editing and placing units, per role."""

import io
import re

import openpyxl
import orjson
from sqlalchemy import func, select

from geoapp.domain.identifiers import make_organisation_code, make_uscc
from geoapp.store.models import AuditEvent, Building, Person, Unit


def _uscc(n: int) -> str:
    return make_uscc("92439901" + make_organisation_code(f"{n:08d}"))


def _features(client, query=""):
    r = client.get("/api/units.geojson" + query)
    assert r.status_code == 200, r.data
    assert r.mimetype == "application/geo+json"
    return orjson.loads(r.data)


def test_shop_and_factory_layers_for_the_whole_town(clients):
    officer = clients("officer")
    shops = _features(officer, "?kind=shop")
    factories = _features(officer, "?kind=factory")
    assert len(shops["features"]) == shops["count"] == 280
    assert len(factories["features"]) == 120
    assert {f["properties"]["k"] for f in shops["features"]} == {"shop"}
    assert {f["properties"]["k"] for f in factories["features"]} == {"enterprise"}
    assert {f["properties"]["s"] for f in shops["features"]} == {
        "uncollected",
        "collected",
        "verified",
        "returned",
    }
    assert all(f["geometry"]["type"] == "Point" for f in shops["features"])
    both = _features(officer, "?kind=shop,factory")
    assert len(both["features"]) == 400 == len(_features(officer)["features"])


def test_units_layer_by_view_and_bad_kinds(clients):
    officer = clients("officer")
    every = _features(officer, "?kind=shop")["features"]
    xs = sorted(f["geometry"]["coordinates"][0] for f in every)
    ys = [f["geometry"]["coordinates"][1] for f in every]
    mid = xs[len(xs) // 2]
    part = _features(officer, f"?kind=shop&bbox={xs[0]},{min(ys)},{mid},{max(ys)}")["features"]
    assert 0 < len(part) < len(every)
    assert all(f["geometry"]["coordinates"][0] <= mid for f in part)
    r = officer.get("/api/units.geojson?kind=bakery")
    assert r.status_code == 400 and r.json["field"] == "kind" and "类别" in r.json["message"]
    assert officer.get("/api/units.geojson?bbox=1,2,3").status_code == 400


def test_units_layer_is_scoped_like_houses(clients, demo_db):
    collector = _features(clients("collector"))["features"]
    with demo_db.session() as s:
        in_village = s.scalar(
            select(func.count(Unit.id)).join(Building, Building.id == Unit.building_id)
            .where(Building.village_id == clients.village_a)
        )  # fmt: skip
    assert len(collector) == in_village > 0
    reporter = _features(clients("reporter"))["features"]
    assert [f["id"] for f in reporter] == [clients.unit_id]
    assert len(_features(clients("leader"))["features"]) == 400  # statuses, no people
    assert clients("collector").get(f"/api/units.geojson?village={clients.village_b}").status_code == 404


def test_unit_detail_for_the_popup(clients):
    officer = clients("officer")
    d = officer.get(f"/api/units/{clients.unit_id}").json
    assert d["kind_label"] in ("沿街铺面", "厂矿企业") and d["status_label"]
    assert d["address"].startswith("余坪镇") and d["staff_registered"] == 0 and d["staff_people"] == []
    assert re.fullmatch(r"1\d\d\*{4}\d{4}", d["phone"])  # masked
    leader = clients("leader").get(f"/api/units/{clients.unit_id}").json
    assert leader["legal_rep"] is None and leader["phone"] is None and leader["name"] == d["name"]


def test_map_shows_unit_layers_to_the_station_only(clients):
    html = clients("officer").get("/").data.decode()
    assert "/api/units.geojson?kind=shop" in html and "/api/units.geojson?kind=factory" in html
    assert "js/units.js" in html and '"symbol": "square"' in html and '"symbol": "triangle"' in html
    for role in ("collector", "leader", "reporter"):
        assert "/api/units.geojson" not in clients(role).get("/").data.decode(), role
    assert "units.page" not in html and "/units" in clients("admin").get("/").data.decode()


def test_register_page_filters_and_counts(clients):
    officer = clients("officer")
    r = officer.get("/units")
    html = r.data.decode()
    assert r.status_code == 200 and "<title>实有单位登记簿</title>" in html
    assert "400 个单位" in html and "沿街铺面" in html and "未采集" in html
    shops = officer.get("/api/units?kind=shop&per_page=5").json
    assert shops["total"] == 280 and len(shops["items"]) == 5
    assert shops["counts"]["kind"] == {
        "shop": 280,
        "enterprise": 120,
        "office": 0,
        "other": 0,
    }  # beside the kind filter
    assert sum(shops["counts"]["status"].values()) == 280
    uncollected = officer.get("/api/units?kind=shop&status=uncollected").json
    assert uncollected["total"] == shops["counts"]["status"]["uncollected"]
    assert {i["status"] for i in uncollected["items"]} == {"uncollected"}
    name = shops["items"][0]["name"]
    found = officer.get("/api/units", query_string={"q": name[2:6]}).json
    assert name in {i["name"] for i in found["items"]}
    by_code = officer.get("/api/units", query_string={"q": shops["items"][0]["uscc"][-6:].lower()}).json
    assert by_code["total"] >= 1
    village = officer.get(f"/api/units?village={clients.village_a}").json
    assert village["total"] > 0 and all(
        i["village"] == village["items"][0]["village"] for i in village["items"]
    )
    street_id = (
        officer.get("/units")
        .data.decode()
        .split('name="street"')[1]
        .split('<option value="')[2]
        .split('"')[0]
    )
    assert officer.get(f"/api/units?street={street_id}").status_code == 200
    assert officer.get("/api/units?no_uscc=1").json["total"] == 0  # the demo's units all have codes
    assert officer.get("/api/units?no_staff=1").json["total"] == 400
    assert officer.get("/api/units?status=lost").status_code == 400
    assert officer.get("/api/units?no_staff=yes").json["field"] == "no_staff"
    one = officer.get(f"/units?unit={clients.unit_id}").data.decode()
    assert "1 个单位" in one


def test_register_export_keeps_the_filter_and_masks(clients, demo_db):
    officer = clients("officer")
    r = officer.get("/units/export.xlsx?kind=shop&status=verified")
    assert r.status_code == 200 and "yuping-units-register.xlsx" in r.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "单位名称", "统一社会信用代码", "单位类别")
    expected = officer.get("/api/units?kind=shop&status=verified").json["total"]
    assert len(rows) - 1 == expected > 0
    header = list(rows[0])
    assert {r[header.index("单位类别")] for r in rows[1:]} == {"沿街铺面"}
    assert {r[header.index("采集状态")] for r in rows[1:]} == {"已核对"}
    assert all("****" in (r[header.index("联系电话")] or "****") for r in rows[1:])
    csv = clients("admin").get("/units/export.csv?kind=shop").data.decode("utf-8-sig")
    assert csv.count("\r\n") == 281 and "****" not in csv.splitlines()[1]  # administrators: full phones
    with demo_db.session() as s:
        event = s.scalar(
            select(AuditEvent).where(AuditEvent.object_id == "units_register").order_by(AuditEvent.id.desc())
        )
        assert '"kind": "shop"' in event.changes or '"kind":"shop"' in event.changes


def test_register_edit_and_conflict(clients, demo_db):
    officer, headers = clients("officer"), clients.csrf("officer")
    d = officer.get(f"/api/units/{clients.unit_id}").json
    bad = officer.patch(
        f"/api/units/{clients.unit_id}",
        json={"version": d["version"], "uscc": "91350100M000100Y44", "name": ""},
        headers=headers,
    )
    assert bad.status_code == 400
    fields = {e["field"]: e["message"] for e in bad.json["errors"]}
    assert set(fields) == {"uscc", "name"} and fields["uscc"].startswith("统一社会信用代码")
    ok = officer.patch(f"/api/units/{clients.unit_id}", json={"version": d["version"], "name": "余坪新名字商店", "staff": 4,
                       "uscc": _uscc(1)}, headers=headers)  # fmt: skip
    assert ok.status_code == 200, ok.json
    assert set(ok.json["changed"]) >= {"name", "staff", "uscc"} and ok.json["status"] == "collected"
    stale = officer.patch(
        f"/api/units/{clients.unit_id}", json={"version": d["version"], "name": "又一个名字"}, headers=headers
    )
    assert stale.status_code == 409 and str(d["version"]) in stale.json["message"]
    with demo_db.session() as s:
        assert s.get(Unit, clients.unit_id).name == "余坪新名字商店"
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "unit.update"))
        assert event.object_id == str(clients.unit_id) and event.actor == "officer"
    for role in ("collector", "reporter", "leader"):
        r = clients(role).patch(
            f"/api/units/{clients.unit_id}",
            json={"version": ok.json["version"], "name": "x"},
            headers=clients.csrf(role),
        )
        assert r.status_code == 403, role


def test_register_a_unit_without_a_building_and_place_it(clients, demo_db):
    admin, headers = clients("admin"), clients.csrf("admin")
    r = admin.post(
        "/api/units",
        json={"name": "余坪新开饭店", "kind": "shop", "uscc": _uscc(2), "phone": "13812345678"},
        headers=headers,
    )
    assert r.status_code == 201, r.json
    unit_id = r.json["id"]
    assert r.json["building_id"] is None
    listed = admin.get("/api/units?unplaced=1").json
    assert [i["id"] for i in listed["items"]] == [unit_id] and listed["counts"]["unplaced"] == 1
    assert admin.get("/units?unplaced=1").data.decode().count(f"#place={unit_id}") == 1
    again = admin.post("/api/units", json={"name": "别家", "kind": "shop", "uscc": _uscc(2)}, headers=headers)
    assert again.status_code == 400 and again.json["field"] == "uscc"
    with demo_db.session() as s:
        house = s.execute(
            select(Building.id, Building.lon, Building.lat).order_by(Building.id).limit(1)
        ).one()
    moved = admin.post(
        f"/api/units/{unit_id}/place",
        json={"version": 1, "lon": house.lon + 0.0001, "lat": house.lat},
        headers=headers,
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["created_building"] is True and moved.json["address"].startswith("余坪镇")
    with demo_db.session() as s:
        building = s.get(Building, moved.json["building_id"])
        assert building.use == "shop" and building.status == "uncollected"
    feature = [f for f in _features(admin, "?kind=shop")["features"] if f["id"] == unit_id]
    assert len(feature) == 1
    outside = admin.post(
        f"/api/units/{unit_id}/place",
        json={"version": moved.json["version"], "lon": 100.0, "lat": 20.0},
        headers=headers,
    )
    assert outside.status_code == 400 and outside.json["field"] == "building"


def test_staff_are_people_linked_to_the_unit(clients, demo_db):
    officer, headers = clients("officer"), clients.csrf("officer")
    with demo_db.session() as s:
        people = s.scalars(select(Person.id).order_by(Person.id).limit(3)).all()
    d = officer.get(f"/api/units/{clients.unit_id}").json
    r = officer.patch(
        f"/api/units/{clients.unit_id}", json={"version": d["version"], "staff_ids": people}, headers=headers
    )
    assert r.status_code == 200 and "staff_ids" in r.json["changed"]
    d2 = officer.get(f"/api/units/{clients.unit_id}").json
    assert d2["staff_registered"] == 3 and [p["id"] for p in d2["staff_people"]] == people
    assert all("*" in (p["id_number"] or "*") for p in d2["staff_people"])
    assert d2["version"] > d["version"]
    assert officer.get("/api/units?no_staff=1").json["total"] == 399
    r = officer.patch(
        f"/api/units/{clients.unit_id}",
        json={"version": d2["version"], "staff_ids": [people[0], 99_999_999]},
        headers=headers,
    )
    assert r.status_code == 400 and r.json["field"] == "staff_ids"
    assert r.json["message"].startswith("已登记的从业人员") and "99999999" in r.json["message"]
    with demo_db.session() as s:
        assert (
            s.scalar(select(func.count()).where(Person.employer_unit_id == clients.unit_id)) == 3
        )  # unchanged
