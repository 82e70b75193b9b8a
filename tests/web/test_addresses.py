"""Door plates and street numbering over HTTP, per role (both backends): the QR URL through
login to the house, the plates page, the numbering preview and confirmation (page and API),
and the PDF sheets."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, Building, Street
from tests.conftest import PASSWORD, csrf_token
from tests.pdf_check import page_count, page_text, qr_codes
from tests.web.plates_fixtures import numbering_body, plate_streets, unnumber


def old_street(demo_db) -> int:
    with demo_db.session() as s:
        return s.scalar(select(Street.id).where(Street.name == "老街"))


def _house(demo_db, building_id):
    with demo_db.session() as s:
        return s.get(Building, building_id)


def test_a_scanned_plate_opens_the_house_after_login(clients, demo_db):
    house = clients.own["building"]
    client = clients.app.test_client()  # the phone's browser, not logged in
    r = client.get(f"/h/{house}")
    assert r.status_code == 302 and urlsplit(r.location).path == "/login"
    assert f"next=/h/{house}" in r.location
    login_page = client.get(r.location).get_data(as_text=True)
    assert f'value="/h/{house}"' in login_page  # the login form carries the way back
    r = client.post("/login", data={"username": "collector_a", "password": PASSWORD, "next": f"/h/{house}",
                                    "csrf_token": csrf_token(client)})  # fmt: skip
    assert r.status_code == 302 and r.location == f"/h/{house}"
    r = client.get(r.location)
    b = _house(demo_db, house)
    assert r.status_code == 302
    assert r.location == f"/#house={house}&lat={b.lat:.7f}&lon={b.lon:.7f}&form=1"  # a collector: the form
    assert client.get("/").status_code == 200
    # An officer opens the house's popup; another village's collector finds nothing.
    assert clients("officer").get(f"/h/{house}").location.endswith(f"lon={b.lon:.7f}")
    assert clients("collector_b").get(f"/h/{house}").status_code == 404
    assert clients("leader").get(f"/h/{house}").status_code == 302


def test_the_plates_page_per_role(clients):
    r = clients("officer").get("/addresses")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "门牌" in html and "新街" in html and "打印门牌" in html
    assert "/plates/village/" in html and "/numbering" not in html  # officers print, administrators number
    collector = clients("collector").get("/addresses").get_data(as_text=True)
    villages = re.findall(r'data-village="(\d+)"', collector)
    assert villages == [str(clients.village_a)]
    assert clients("leader").get("/addresses").status_code == 403
    assert clients("reporter").get("/addresses").status_code == 403
    assert 'href="/addresses"' in clients("officer").get("/").get_data(as_text=True)  # in the menu


def test_an_administrator_previews_then_stores_a_numbering(clients, demo_db):
    admin, headers = clients("admin"), clients.csrf("admin")
    street = old_street(demo_db)
    cleared = unnumber(demo_db, street, 2)
    page = admin.get("/addresses").get_data(as_text=True)
    assert f'href="/addresses/streets/{street}/numbering"' in page
    r = admin.get(f"/addresses/streets/{street}/numbering")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="numbering-confirm"' in html
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)
    for bid in cleared:
        assert f'data-building="{bid}" class="new"' in html
    assert "单号" in html and "双号" in html
    assert [_house(demo_db, b).door_no for b in cleared] == [None, None]  # the preview stored nothing

    stale = admin.post(
        f"/addresses/streets/{street}/numbering", data={"fingerprint": "0" * 16}, headers=headers
    )
    assert stale.status_code == 409 and "预览" in stale.get_data(as_text=True)
    assert [_house(demo_db, b).door_no for b in cleared] == [None, None]

    r = admin.post(
        f"/addresses/streets/{street}/numbering", data={"fingerprint": fingerprint}, headers=headers
    )
    assert r.status_code == 302 and "numbered=" in r.location
    assert "户已编门牌号" in admin.get(r.location).get_data(as_text=True)
    doors = [_house(demo_db, b).door_no for b in cleared]
    assert all(doors) and len(set(doors)) == 2
    with demo_db.session() as s:
        events = s.scalar(
            select(func.count()).where(AuditEvent.action == "address.number", AuditEvent.actor == "admin")
        )
    assert events == 2


def test_a_clashing_start_shows_the_clash_and_offers_no_confirmation(clients, demo_db):
    admin = clients("admin")
    street = old_street(demo_db)  # a long market street: numbers on both sides
    unnumber(demo_db, street, 1)
    r = admin.get(f"/addresses/streets/{street}/numbering?start_odd=5&start_even=6")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="numbering-error"' in html and 'id="numbering-confirm"' not in html
    assert "重复" in html
    bad = admin.get(f"/addresses/streets/{street}/numbering?start_odd=4")
    assert bad.status_code == 200 and "奇数" in bad.get_data(as_text=True)
    assert admin.get("/addresses/streets/999999/numbering").status_code == 404


def test_the_numbering_api(clients, demo_db):
    admin, headers = clients("admin"), clients.csrf("admin")
    street = old_street(demo_db)  # a long market street: numbers on both sides
    cleared = unnumber(demo_db, street, 1)
    preview = admin.get(f"/api/streets/{street}/numbering").get_json()
    assert preview["changes"] == 1 and preview["clashes"] == []
    assert [r["building_id"] for r in preview["rows"] if r["new_door"]] == cleared
    clash = admin.get(f"/api/streets/{street}/numbering?start_odd=5&start_even=6").get_json()
    assert clash["clashes"] and "重复" in clash["message"]
    r = admin.post(f"/api/streets/{street}/numbering", json={}, headers=headers)
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "fingerprint"
    r = admin.post(f"/api/streets/{street}/numbering", json={"fingerprint": preview["fingerprint"], "start_odd": 5,
                                                              "start_even": 6}, headers=headers)  # fmt: skip
    assert r.status_code == 409 and _house(demo_db, cleared[0]).door_no is None
    r = admin.post(f"/api/streets/{street}/numbering", json=numbering_body(demo_db, street), headers=headers)
    assert r.status_code == 200 and r.get_json()["numbered"] == 1
    assert _house(demo_db, cleared[0]).door_no == preview["rows"][[x["building_id"] for x in preview["rows"]].index(cleared[0])]["new_door"]  # fmt: skip
    assert clients("officer").get(f"/api/streets/{street}/numbering").status_code == 403


def test_plate_sheets_per_role(clients, demo_db):
    own_street, other_street = plate_streets(demo_db, clients.village_a, clients.village_b)
    r = clients("officer").get(f"/plates/street/{own_street}.pdf")
    assert r.status_code == 200 and r.content_type == "application/pdf"
    assert (
        r.headers["Content-Disposition"].startswith("attachment;")
        and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    )
    pdf = r.data
    plates = int(r.headers["X-Plates"])
    assert page_count(pdf) == -(-plates // 8)
    codes = qr_codes(pdf)
    assert codes and all(re.fullmatch(r"http://localhost/h/\d+", c) for c in codes)
    first = _house(demo_db, int(codes[0].rsplit("/", 1)[1]))
    assert first.address in page_text(pdf) and "扫码打开房屋" in page_text(pdf)
    # The QR code opens that house.
    assert clients("officer").get(urlsplit(codes[0]).path).location.startswith(f"/#house={first.id}&")

    collector = clients("collector")
    assert collector.get(f"/plates/village/{clients.village_a}.pdf").status_code == 200
    assert collector.get(f"/plates/village/{clients.village_b}.pdf").status_code == 404
    assert collector.get(f"/plates/street/{other_street}.pdf").status_code == 404
    mine = collector.get(f"/plates/street/{own_street}.pdf")
    with demo_db.session() as s:
        villages = {s.get(Building, int(c.rsplit("/", 1)[1])).village_id for c in qr_codes(mine.data)}
    assert villages == {clients.village_a}
    assert clients("leader").get(f"/plates/street/{own_street}.pdf").status_code == 403
    assert clients("officer").get("/plates/street/999999.pdf").status_code == 404


@pytest.mark.parametrize("base", ["https://plates.example.org:8443", "https://plates.example.org:8443/"])
def test_the_public_address_goes_into_the_codes(demo_url, base):
    from geoapp import create_app
    from geoapp.store.db import Database
    from tests.conftest import Clients, make_settings

    app = create_app(make_settings(demo_url, public_url=base))
    db = Database(demo_url)
    try:
        clients = Clients(app, db)
        r = clients("officer").get(f"/plates/village/{clients.village_a}.pdf")
        assert r.status_code == 200
        assert qr_codes(r.data)[0].startswith("https://plates.example.org:8443/h/")
    finally:
        app.extensions["geoapp.db"].dispose()
        db.dispose()


HOSTILE_STARTS = ["start_odd=abc", "start_odd=%EF%BC%91", "start_odd=" + "9" * 40, "start_odd=0", "start_even=3",
                  "start_odd=-1", "start_even=100000"]  # fmt: skip


def test_hostile_first_numbers_are_refused_naming_the_field(clients, demo_db):
    admin, headers = clients("admin"), clients.csrf("admin")
    street = old_street(demo_db)
    unnumber(demo_db, street, 1)
    for query in HOSTILE_STARTS:
        api = admin.get(f"/api/streets/{street}/numbering?{query}")
        assert api.status_code == 400 and api.get_json()["field"] == query.split("=")[0], query
        page = admin.get(f"/addresses/streets/{street}/numbering?{query}")
        html = page.get_data(as_text=True)
        assert page.status_code in (200, 400) and 'id="numbering-error"' in html, query
        assert 'id="numbering-confirm"' not in html, query
        name, value = query.split("=")
        form = admin.post(f"/addresses/streets/{street}/numbering", data={"fingerprint": "x", name: value},
                          headers=headers)  # fmt: skip
        assert form.status_code in (400, 409), query
    sent = admin.post(
        f"/api/streets/{street}/numbering", json={"fingerprint": "x", "start_odd": "5"}, headers=headers
    )
    assert sent.status_code == 400 and sent.get_json()["errors"][0]["field"] == "start_odd"
    with demo_db.session() as s:
        assert (
            s.scalar(select(func.count()).where(Building.street_id == street, Building.door_no.is_(None)))
            == 1
        )
