"""Exports over the web: who may export which layer, what each file holds (scope,
masking, Chinese headers, no spreadsheet formulas), auditing and the bulk-read allowance."""

from __future__ import annotations

import codecs
import csv
import io
import re

import openpyxl
import orjson
import pandas as pd
import pyogrio
import pytest
from sqlalchemy import func, select, update

from geoapp.domain.roles import mask_id_number, mask_phone
from geoapp.store.models import AuditEvent, Building, Person, Street, Unit, Village
from tests.conftest import Clients, make_settings

LAYERS = ("villages", "streets", "buildings", "units", "people")
FORMATS = ("xlsx", "csv", "geojson")
COMBOS = [(layer, fmt) for layer in LAYERS for fmt in FORMATS if not (layer == "people" and fmt == "geojson")]
ROLES = ("collector", "collector_b", "reporter", "officer", "leader", "admin")
SHEETS = {"villages": "村", "streets": "街路巷", "buildings": "房屋", "units": "单位", "people": "人口"}
PERSON_HEADERS = ["编号", "姓名", "性别", "出生日期", "证件类型", "证件号码", "联系电话", "民族", "户籍地",
                  "居住类型", "人户分离", "与户主关系", "所在房屋", "标准地址"]  # fmt: skip
CHINESE = re.compile(r"[\u4e00-\u9fff]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def roomy(demo_url, demo_db):
    """Logged-in clients of an app whose bulk-read allowance does not get in the way."""
    from geoapp import create_app

    app = create_app(make_settings(demo_url, person_read_limit=1_000_000))
    yield Clients(app, demo_db)
    app.extensions["geoapp.db"].dispose()


def download(client, url: str):
    with client.get(url) as r:  # close the response even if it streams
        return r.status_code, dict(r.headers), r.get_data()


def read_file(fmt: str, body: bytes) -> tuple[list[str], list[dict], str | None]:
    """(headers, rows, sheet name) of an export."""
    if fmt == "geojson":
        features = orjson.loads(body)["features"]
        rows = [{**f["properties"], "_id": f["id"], "_geometry": f["geometry"]} for f in features]
        return [], rows, None
    if fmt == "csv":
        assert body.startswith(codecs.BOM_UTF8), "CSV without a BOM: Excel would guess the encoding"
        reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
        header = next(reader)
        return header, [dict(zip(header, (v or None for v in row), strict=True)) for row in reader], None
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = list(next(lines))
        rows = [dict(zip(header, line, strict=True)) for line in lines]
        return header, rows, sheet.title
    finally:
        book.close()


def row_id(fmt: str, row: dict) -> int:
    return int(row["_id"] if fmt == "geojson" else row["编号"])


def expected_ids(s, clients, role: str, layer: str) -> set[int]:
    """The rows each role's file must hold, computed independently of the app."""
    village = {"collector": clients.village_a, "collector_b": clients.village_b}.get(role)
    if layer == "people" and role in ("officer", "admin"):
        village = clients.village_a  # the town roles export people one village at a time
    own = clients.own
    if layer == "villages":
        stmt = select(Village.id)
        if role == "reporter":
            stmt = stmt.where(Village.id == own["village"])
        elif village is not None:
            stmt = stmt.where(Village.id == village)
    elif layer == "streets":
        stmt = select(Street.id)
    elif layer == "buildings":
        stmt = select(Building.id)
        if role == "reporter":
            stmt = stmt.where(Building.id == own["building"])
        elif village is not None:
            stmt = stmt.where(Building.village_id == village)
    elif layer == "units":
        stmt = select(Unit.id).join(Building, Building.id == Unit.building_id)
        if role == "reporter":
            stmt = stmt.where(Unit.id == own["unit"])
        elif village is not None:
            stmt = stmt.where(Building.village_id == village)
    else:
        stmt = select(Person.id).join(Building, Building.id == Person.building_id)
        if role == "reporter":
            stmt = stmt.where(Building.id == own["building"])
        elif village is not None:
            stmt = stmt.where(Building.village_id == village)
    return set(s.scalars(stmt))


def url_for_export(clients, role: str, layer: str, fmt: str) -> str:
    url = f"/export/{layer}.{fmt}"
    if layer == "people" and role in ("officer", "admin"):
        url += f"?village={clients.village_a}"
    return url


def check_masking(s, role: str, layer: str, fmt: str, rows: list[dict]) -> None:
    """ID numbers and phones: masked for everyone but the administrator."""
    show_id = (lambda v: v) if role == "admin" else mask_id_number
    show_phone = (lambda v: v) if role == "admin" else mask_phone
    if layer == "people":
        stored = {
            p.id: p for p in s.scalars(select(Person).where(Person.id.in_([row_id(fmt, r) for r in rows])))
        }
        assert any(p.phone for p in stored.values()) and any(p.id_number for p in stored.values())
        for r in rows:
            person = stored[row_id(fmt, r)]
            assert r["证件号码"] == show_id(person.id_number), (role, fmt)
            assert r["联系电话"] == show_phone(person.phone), (role, fmt)
            assert r["姓名"] == person.name
    elif layer == "units":
        stored = dict(s.execute(select(Unit.id, Unit.phone)).all())
        column = "phone" if fmt == "geojson" else "联系电话"
        if role == "leader":  # aggregates and statuses: no legal representative, no phone
            rep = "legal_rep" if fmt == "geojson" else "法定代表人"
            assert rows and all(column not in r and rep not in r for r in rows), (role, fmt, rows[0])
            return
        assert rows and all(r[column] == show_phone(stored[row_id(fmt, r)]) for r in rows), (role, fmt)


@pytest.mark.parametrize("role", ROLES)
def test_every_layer_and_format_for_every_role(roomy, demo_db, role):
    """role × layer × format: allowed or 403, rows limited to the scope, masked, audited."""
    client = roomy(role)
    exported = 0
    with demo_db.session() as s:
        for layer, fmt in COMBOS:
            url = url_for_export(roomy, role, layer, fmt)
            status, headers, body = download(client, url)
            assert headers["Cache-Control"] == "no-store", url
            if role == "leader" and layer == "people":
                assert status == 403, url
                continue
            assert status == 200, (role, url, status, body[:300])
            assert headers["Content-Disposition"] == f'attachment; filename="yuping-{layer}.{fmt}"'
            assert headers["Content-Type"].startswith(
                {"xlsx": XLSX, "csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}[fmt]
            )
            header, rows, sheet = read_file(fmt, body)
            ids = [row_id(fmt, r) for r in rows]
            assert len(ids) == len(set(ids))
            assert set(ids) == expected_ids(s, roomy, role, layer), (role, url)
            if fmt != "geojson":
                assert header and all(CHINESE.search(h) for h in header), header  # Chinese headers only
                if layer == "people":
                    assert header == PERSON_HEADERS
            else:
                assert all(r["_geometry"]["type"] for r in rows)
            if fmt == "xlsx":
                assert sheet == SHEETS[layer]
            check_masking(s, role, layer, fmt, rows)
            exported += 1
        # people as GeoJSON does not exist (people have no geometry of their own)
        status, _, _ = download(client, "/export/people.geojson")
        assert status == 404
    with demo_db.session() as s:  # a new read: the one above sees the database as it was
        events = s.execute(
            select(AuditEvent.object_id, AuditEvent.changes).where(
                AuditEvent.action == "export", AuditEvent.actor == roomy.names[role]
            )
        ).all()
        refused = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "permission.refused", AuditEvent.actor == roomy.names[role])
        )
    assert exported == (len(COMBOS) - 2 if role == "leader" else len(COMBOS))
    assert len(events) == exported  # every download audited, refusals not counted as exports
    assert refused == (2 if role == "leader" else 0)
    changes = [orjson.loads(c) for _, c in events]
    assert {(c["layer"], c["format"]) for c in changes} == {
        combo for combo in COMBOS if not (role == "leader" and combo[0] == "people")
    }
    assert all(isinstance(c["rows"], int) for c in changes)


@pytest.mark.parametrize("role", ["officer", "collector", "reporter", "admin"])
def test_a_unit_without_phone_and_a_person_without_id_or_phone_export_for_every_role(
    roomy, demo_db, role, tmp_path
):
    """A missing phone is NaN in the frame: masking it was a 500 for every role but the
    administrator. Now every format exports it as an empty cell (GeoJSON: null)."""
    own = roomy.own
    with demo_db.write() as s:  # in village A, in the reporter's building: every role sees them
        s.execute(update(Unit).where(Unit.id == own["unit"]).values(phone=None))
        s.execute(update(Person).where(Person.id == own["person"]).values(id_number=None, phone=None))
    client = roomy(role)
    with demo_db.session() as s:
        for layer, fmt in [(layer, fmt) for layer, fmt in COMBOS if layer in ("units", "people")]:
            status, _, body = download(client, url_for_export(roomy, role, layer, fmt))
            assert status == 200, (role, layer, fmt, body[:300])
            _, rows, _ = read_file(fmt, body)
            check_masking(s, role, layer, fmt, rows)  # the others are still masked
            if layer == "units":
                row = next(r for r in rows if row_id(fmt, r) == own["unit"])
                assert row["phone" if fmt == "geojson" else "联系电话"] is None, (role, fmt)
            else:
                row = next(r for r in rows if row_id(fmt, r) == own["person"])
                assert row["证件号码"] is None and row["联系电话"] is None, (role, fmt)
                assert row["姓名"]  # the rest of the row is there


def test_the_station_office_exports_a_unit_without_phone_to_every_file(demo_db, tmp_path):
    """The command line's GeoPackage, GeoJSON and Excel files (unmasked) with a missing phone."""
    from geoapp.services.gis_io.exporter import EXPORTERS

    with demo_db.write() as s:
        unit_id = s.scalar(select(Unit.id).order_by(Unit.id).limit(1))
        s.execute(update(Unit).where(Unit.id == unit_id).values(phone=None))
    with demo_db.session() as s:
        for fmt, export in EXPORTERS.items():
            counts = export(s, tmp_path / f"town.{fmt}" if fmt != "geojson" else tmp_path / "geojson")
            assert counts["units"] > 0, fmt
    units = pyogrio.read_dataframe(tmp_path / "town.gpkg", layer="units")
    assert pd.isna(units.set_index("id").loc[unit_id, "phone"])
    features = orjson.loads((tmp_path / "geojson" / "units.geojson").read_bytes())["features"]
    assert next(f for f in features if f["properties"]["id"] == unit_id)["properties"]["phone"] is None


def test_an_export_event_names_layer_format_and_row_count(clients, demo_db):
    client = clients("collector")
    status, _, body = download(client, "/export/buildings.csv")
    assert status == 200
    _, rows, _ = read_file("csv", body)
    with demo_db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.actor, event.user_id) == ("collector_a", clients.users["collector"])
    assert (event.object_type, event.object_id) == ("layer", "buildings")
    assert orjson.loads(event.changes) == {
        "layer": "buildings",
        "format": "csv",
        "rows": len(rows),
        "village": None,
    }
    assert event.remote_addr == "127.0.0.1"


def test_town_roles_may_narrow_to_one_village_collectors_may_not_leave_theirs(clients, demo_db):
    with demo_db.session() as s:
        in_b = set(s.scalars(select(Building.id).where(Building.village_id == clients.village_b)))
    status, _, body = download(clients("officer"), f"/export/buildings.geojson?village={clients.village_b}")
    assert status == 200
    assert {row_id("geojson", r) for r in read_file("geojson", body)[1]} == in_b
    for who in ("collector", "reporter"):
        assert download(clients(who), f"/export/buildings.csv?village={clients.village_b}")[0] == 404
        assert download(clients(who), f"/export/people.csv?village={clients.village_b}")[0] == 404
    assert download(clients("officer"), "/export/buildings.csv?village=abc")[0] == 400


def test_formula_cells_are_neutralised_in_csv_and_excel(clients, demo_db):
    formulas = {
        "unit": '=HYPERLINK("http://x","y")',
        "person": "@SUM(1)",
        "hukou": "+1+1",
        "relation": "-2+3",
        "address": "\t=1+1",
        "door": "\r=1",
    }
    own = clients.own
    with demo_db.write() as s:
        s.execute(update(Unit).where(Unit.id == own["unit"]).values(name=formulas["unit"]))
        s.execute(
            update(Person)
            .where(Person.id == own["person"])
            .values(name=formulas["person"], hukou_address=formulas["hukou"], relation=formulas["relation"])
        )
        s.execute(
            update(Building)
            .where(Building.id == own["building"])
            .values(address=formulas["address"], door_no=formulas["door"])
        )
    client = clients("collector")
    for fmt in ("csv", "xlsx"):
        _, units, _ = read_file(fmt, download(client, f"/export/units.{fmt}")[2])
        unit = next(r for r in units if row_id(fmt, r) == own["unit"])
        assert unit["名称"] == "'" + formulas["unit"]
        _, people, _ = read_file(fmt, download(client, f"/export/people.{fmt}")[2])
        person = next(r for r in people if row_id(fmt, r) == own["person"])
        assert person["姓名"] == "'@SUM(1)"
        assert person["户籍地"] == "'+1+1" and person["与户主关系"] == "'-2+3"
        assert person["标准地址"] == "'\t=1+1"
        _, houses, _ = read_file(fmt, download(client, f"/export/buildings.{fmt}")[2])
        house = next(r for r in houses if row_id(fmt, r) == own["building"])
        assert house["标准地址"] == "'\t=1+1"
        assert house["门牌号"] in ("'\r=1", "'\n=1")  # XML turns a bare CR into LF
        for rows in (units, people, houses):  # no cell anywhere starts a formula
            for row in rows:
                for value in row.values():
                    assert not (isinstance(value, str) and value[:1] in "=+-@\t\r"), (fmt, value)
    book = openpyxl.load_workbook(io.BytesIO(download(client, "/export/units.xlsx")[2]))
    try:
        cells = [
            c for line in book.worksheets[0].iter_rows() for c in line if c.value == "'" + formulas["unit"]
        ]
    finally:
        book.close()
    assert cells and all(c.data_type == "s" for c in cells)  # text, not a formula
    # GeoJSON is not a spreadsheet: names stay as typed.
    features = orjson.loads(download(client, "/export/units.geojson")[2])["features"]
    assert next(f for f in features if f["id"] == own["unit"])["properties"]["name"] == formulas["unit"]


def test_leaders_never_export_people_and_the_refusal_is_audited(clients, demo_db):
    leader = clients("leader")
    for fmt in ("csv", "xlsx"):
        status, _, body = download(leader, f"/export/people.{fmt}?village={clients.village_a}")
        assert status == 403
        assert "姓名" not in body.decode()
    with demo_db.session() as s:
        refused = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "permission.refused", AuditEvent.actor == "leader")
        ).all()
        exports = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export"))
    assert [(e.object_type, e.object_id) for e in refused] == [("layer", "people")] * 2
    assert exports == 0


def test_people_exports_count_against_the_bulk_read_allowance(demo_url, demo_db):
    from geoapp import create_app

    setup = create_app(make_settings(demo_url))
    village_a = Clients(setup, demo_db).village_a  # creates the accounts
    setup.extensions["geoapp.db"].dispose()
    with demo_db.session() as s:
        in_a = s.scalar(
            select(func.count())
            .select_from(Person)
            .join(Building, Building.id == Person.building_id)
            .where(Building.village_id == village_a)
        )
    # An allowance for one export of village A and a few listed people, not for two exports.
    app = create_app(make_settings(demo_url, person_read_limit=in_a + 30, person_read_village_margin=0))
    try:
        _allowance_story(app, demo_db, in_a)
    finally:
        app.extensions["geoapp.db"].dispose()


def _allowance_story(app, demo_db, in_a):
    from tests.conftest import login

    client = app.test_client()
    assert login(client, "collector_a").status_code == 302
    status, _, _ = download(client, "/export/people.csv")
    assert status == 200  # in_a of in_a + 30
    listed = client.get("/api/people?per_page=20").get_json()
    assert len(listed["items"]) == 20  # the listing shares the allowance: 10 left
    status, headers, body = download(client, "/export/people.xlsx")
    assert status == 429
    assert int(headers["Retry-After"]) > 0
    assert str(in_a) in body.decode() and "10" in body.decode()
    status, _, _ = download(client, "/export/buildings.csv")  # other layers are not people
    assert status == 200
    with demo_db.session() as s:
        layers = list(
            s.scalars(
                select(AuditEvent.object_id).where(AuditEvent.action == "export").order_by(AuditEvent.id)
            )
        )
    assert layers == ["people", "buildings"]  # the refused export left no export event
    assert len(client.get("/api/people?per_page=10").get_json()["items"]) == 10  # nothing was charged for it


def test_the_whole_town_of_people_is_more_than_one_allowance(clients):
    status, headers, _ = download(clients("officer"), "/export/people.csv")
    assert status == 429 and "Retry-After" in headers
    status, _, _ = download(clients("officer"), f"/export/people.csv?village={clients.village_a}")
    assert status == 200


def test_anonymous_callers_are_sent_to_log_in(clients):
    anonymous = clients(None)
    with anonymous.get("/export/buildings.xlsx") as r:
        assert r.status_code == 302 and "/login" in r.location
    with anonymous.get("/export/people.csv", headers={"Accept": "application/json"}) as r:
        assert r.status_code == 401


@pytest.mark.parametrize(
    "url", ["/export/buildings.pdf", "/export/houses.csv", "/export/people", "/export/.csv"]
)
def test_unknown_exports_are_not_found(clients, url):
    assert download(clients("officer"), url)[0] == 404


def test_an_empty_scope_still_gives_a_file_with_headers(roomy, demo_db):
    with demo_db.write() as s:  # the people of the reporter's house move out
        s.execute(
            update(Person)
            .where(Person.building_id == roomy.own["building"])
            .values(building_id=roomy.other["building"])
        )
    for fmt in ("xlsx", "csv"):
        status, _, body = download(roomy("reporter"), f"/export/people.{fmt}")
        assert status == 200
        header, rows, sheet = read_file(fmt, body)
        assert header == PERSON_HEADERS and rows == []
        assert sheet in (None, "人口")


def test_statuses_uses_and_kinds_are_chinese_in_exports_with_their_codes_beside(clients):
    """Issue 11: no raw codes ("collected", "shop") in a spreadsheet; the codes stay in a second column."""
    import io

    import pandas as pd

    status, _, body = download(clients("officer"), "/export/buildings.csv")
    assert status == 200
    houses = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig", dtype=str)
    columns = list(houses.columns)
    assert columns.index("采集状态代码") == columns.index("采集状态") + 1
    assert columns.index("房屋用途代码") == columns.index("房屋用途") + 1
    assert set(houses["采集状态"]) <= {"未采集", "已采集，待核对", "已核对", "已退回修改"}
    assert {"collected", "uncollected"} <= set(houses["采集状态代码"])
    assert "住宅" in set(houses["房屋用途"]) and "dwelling" not in set(houses["房屋用途"])
    pairs = set(zip(houses["房屋用途代码"], houses["房屋用途"], strict=True))
    assert ("dwelling", "住宅") in pairs and ("shop", "沿街铺面") in pairs

    status, _, body = download(clients("officer"), "/export/units.xlsx")
    assert status == 200
    units = pd.read_excel(io.BytesIO(body), dtype=str)
    assert "shop" not in set(units["类别"]) and "沿街铺面" in set(units["类别"])
    assert "shop" in set(units["类别代码"])
    assert not set(units["采集状态"]) & {"collected", "uncollected", "verified", "returned"}
