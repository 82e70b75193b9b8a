"""Door-plate sheets: which houses get a plate (per street, village, list of buildings),
and the PDF itself — A4 pages of eight plates, the addresses in Chinese, QR codes that
decode to each house's URL (both backends)."""

from __future__ import annotations

import io

import pypdf
import pytest
from reportlab.lib.pagesizes import A4
from sqlalchemy import select, update

from geoapp.domain.errors import InvalidInput, NotFound
from geoapp.domain.roles import Role, Scope
from geoapp.services.addresses.plates import (
    house_link,
    house_url,
    plates_for_buildings,
    plates_for_street,
    plates_for_village,
)
from geoapp.services.addresses.sheet import PER_PAGE, plate_sheet
from geoapp.store.models import Building, Street
from tests.pdf_check import page_count, page_text, qr_codes
from tests.services.addresses_town import build_town
from tests.services.test_numbering import HOUSES

BASE = "https://192.168.1.10:8443/"
OFFICER = Scope(2, "officer", Role.OFFICER)
zh = {
    "Door plates: %(town)s %(name)s": "门牌：%(town)s%(name)s",
    "Page %(page)d of %(pages)d": "第%(page)d页，共%(pages)d页",
    "Scan to open this house": "扫码打开房屋",
    "House %(id)s": "房屋 %(id)s",
    "%(count)d houses without a door number have no plate here: number them first.": "另有 %(count)d 户未编门牌号",
}.get


def chinese(text: str) -> str:
    return zh(text) or text


@pytest.fixture
def town(db):
    return build_town(db, HOUSES)


def test_a_street_sheet_holds_its_numbered_houses_in_door_order(db, town):
    with db.session() as s:
        found = plates_for_street(s, OFFICER, town.streets["新街"], base_url=BASE)
    h = town.houses
    assert [(p.building_id, p.door_no, p.street) for p in found.plates] == [
        (h["n1"], "1号", "新街"), (h["s1"], "2号", "新街"), (h["odd"], "5号", "新街"),
    ]  # fmt: skip  # "odd" fronts 人民路, but its address is on 新街
    assert found.unnumbered == 4 and found.title == "新街"
    assert found.plates[0].url == f"https://192.168.1.10:8443/h/{h['n1']}" == house_url(BASE, h["n1"])
    pdf = plate_sheet(found, gettext=chinese, town="余坪镇")
    assert pdf.startswith(b"%PDF") and page_count(pdf) == 1
    text = page_text(pdf)
    for plate in found.plates:
        assert plate.address in text
    assert "门牌：余坪镇新街" in text and "第1页，共1页" in text and "扫码打开房屋" in text
    assert "另有 4 户未编门牌号" in text
    assert qr_codes(pdf) == [p.url for p in found.plates]


def test_a_village_sheet_runs_over_pages_of_eight_plates(demo_db):
    with demo_db.session() as s:
        street = s.scalar(select(Street.id).where(Street.name == "新街"))
        found = plates_for_street(s, OFFICER, street, base_url=BASE)
    assert len(found.plates) > 2 * PER_PAGE
    pdf = plate_sheet(found, gettext=chinese, town="余坪镇")
    pages = -(-len(found.plates) // PER_PAGE)
    assert page_count(pdf) == pages
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [round(A4[0]), round(A4[1])]
    assert f"第{pages}页，共{pages}页" in page_text(pdf, pages - 1)
    last = found.plates[(pages - 1) * PER_PAGE :]
    assert qr_codes(pdf, pages - 1) == [p.url for p in last]
    second = found.plates[PER_PAGE : 2 * PER_PAGE]
    assert qr_codes(pdf, 1) == [p.url for p in second]
    assert all(p.address in page_text(pdf, 1) for p in second)


def test_village_and_building_selections_and_scope(db, town):
    collector = Scope(3, "c", Role.COLLECTOR, village_id=town.village)
    other = Scope(4, "c2", Role.COLLECTOR, village_id=town.village + 1)
    h = town.houses
    with db.session() as s:
        village = plates_for_village(s, collector, town.village, base_url=BASE)
        assert {p.building_id for p in village.plates} == {h["n1"], h["s1"], h["odd"], h["r1"]}
        assert village.unnumbered == 4
        block = plates_for_buildings(s, OFFICER, [h["r1"], h["n1"], h["n2"]], base_url=BASE, title="街区1")
        assert [p.building_id for p in block.plates] == [h["r1"], h["n1"]] and block.unnumbered == 1
        assert block.plates[0].street == "人民路"
        with pytest.raises(NotFound):
            plates_for_village(s, other, town.village, base_url=BASE)
        with pytest.raises(NotFound):
            plates_for_street(s, other, town.streets["新街"], base_url=BASE)
        with pytest.raises(NotFound):
            plates_for_street(s, OFFICER, 999_999, base_url=BASE)
    with db.write() as s:
        s.execute(update(Building).values(door_no=None))
    with db.session() as s, pytest.raises(InvalidInput) as none:
        plates_for_street(s, OFFICER, town.streets["新街"], base_url=BASE)
    assert "新街" in none.value.render()


def test_a_scanned_plate_leads_to_the_house_and_a_collector_to_its_form(db, town):
    h = town.houses
    collector = Scope(3, "c", Role.COLLECTOR, village_id=town.village)
    with db.session() as s:
        officer_link = house_link(s, OFFICER, h["n1"])
        collector_link = house_link(s, collector, h["n1"])
        with pytest.raises(NotFound):
            house_link(s, Scope(4, "c2", Role.COLLECTOR, village_id=town.village + 1), h["n1"])
    assert not officer_link.form and collector_link.form
    assert officer_link.fragment().startswith(f"house={h['n1']}&lat=27.10")
    assert collector_link.fragment().endswith("&form=1")
    with db.write() as s:
        s.execute(update(Building).where(Building.id == h["n1"]).values(status="verified"))
    with db.session() as s:
        assert not house_link(s, collector, h["n1"]).form  # verified: the station returns it first
