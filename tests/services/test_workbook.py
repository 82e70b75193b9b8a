"""The assessment meeting's workbook and printable page (issue 9, part 5), from coverage tables built
by hand: the workbook is read back with openpyxl and checked cell by cell; no database needed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell

from geoapp.config import Settings
from geoapp.services.reports.workbook import coverage_workbook, display_width

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "geoapp" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
AS_OF = date(2016, 5, 25)
MADE_ON = date(2016, 5, 26)


@dataclass(frozen=True)
class Row:  # the coverage function's Row, as far as the workbook reads it
    code: str | None
    name: str
    village_id: int | None
    task: int
    collected: int
    verified: int
    returned: int
    flagged: int
    collection_rate: float | None
    timeliness_rate: float | None
    accuracy_rate: float | None
    stage1: str
    stage2: str
    households: int
    funding_yuan: float
    penalty_points: int


@dataclass(frozen=True)
class Coverage:
    kind: str
    as_of: date
    villages: list[Row]
    station: Row
    total: Row
    definitions: dict[str, str] = field(default_factory=dict)


def row(name, task, collected, verified=0, returned=0, flagged=0, rates=(None, None, None), stages=("open", "open"), households=0, funding=0.0, penalty=0, code=None, village_id=None):  # fmt: skip
    return Row(code, name, village_id, task, collected, verified, returned, flagged, *rates, *stages, households, funding, penalty)  # fmt: skip


# People: 余坪村 collected more than its task (105 %) and met stage 1; 上新村 has task 0 (every rate
# undefined); the formula-looking village name must stay text.
PEOPLE = Coverage(
    kind="people",
    as_of=AS_OF,
    villages=[
        row("余坪村", 2537, 2664, 2000, 12, 3, (2664 / 2537, 0.875, 0.9625), ("met", "open"), 637, 1274.0, 0, "430000000001", 1),
        row("上新村", 0, 0, stages=("missed", "missed"), penalty=50, code="430000000002", village_id=2),
        row("=SUM(A1:A9)", 441, 100, 90, 1, 0, (100 / 441, 0.5, 1.0), ("missed", "open"), 113, 0.0, 50, "430000000003", 3),
    ],
    station=row("余坪派出所", 2978, 2764, 2090, 13, 3, (2764 / 2978, None, 0.95)),
    total=row("合计", 2978, 2764, 2090, 13, 3, (2764 / 2978, 0.8, 0.96), ("open", "open"), 750, 1274.0, 100),
    definitions={
        "collection_rate": "Collection rate",  # a msgid of the catalogue: translated
        "timeliness_rate": "Timeliness rate = collected by the deadline / due by then.",  # not: as is
    },
)  # fmt: skip
HOUSES = Coverage(
    kind="houses",
    as_of=AS_OF,
    villages=[row("易屋村", 278, 100, 80, 2, 1, (100 / 278, 0.36, 0.9), ("missed", "open"), 250, 0.0, 50)],
    station=row("余坪派出所", 278, 100, 80, 2, 1, (100 / 278, None, None)),
    total=row("合计", 278, 100, 80, 2, 1, (100 / 278, 0.36, 0.9), ("missed", "open"), 250, 0.0, 50),
)
HOUSEHOLDS = Coverage(
    kind="households",
    as_of=AS_OF,
    villages=[row("姚坳村", 275, 275, 275, 0, 0, (1.0, 1.0, 1.0), ("met", "met"), 275, 550.0, 0)],
    station=row("余坪派出所", 275, 275, 275, 0, 0, (1.0, None, None)),
    total=row("合计", 275, 275, 275, 0, 0, (1.0, 1.0, 1.0), ("met", "met"), 275, 550.0, 0),
)
TABLES = [HOUSES, HOUSEHOLDS, PEOPLE]  # any order: the workbook follows the work plan's

HEADER_TOP = ["序号", "村（社区）", "采集进度", None, None, "核对情况", None, None, "考核指标", None,
              "阶段完成情况", None, "经费与考评", None, None]  # fmt: skip
HEADER_LEAVES = ["任务数", "已采集", "采集率", "已核对", "退回修改", "存疑", "及时率", "准确率",
                 "第一阶段", "第二阶段", "户数", "补助经费（元）", "扣分"]  # fmt: skip
MERGED_HEADER = {"A1:O1", "A2:O2", "A3:A4", "B3:B4", "C3:E3", "F3:H3", "I3:J3", "K3:L3", "M3:O3"}
FORMATS = ["0", "0", "0.0%", "0", "0", "0", "0.0%", "0.0%", None, None, "0", "#,##0.00", "0"]
FILLS = {"达标": "C6EFCE", "未达标": "FFC7CE", "进行中": "FFEB9C"}


@pytest.fixture(scope="module")
def zh():
    """The Chinese catalogue as a gettext (read from the .po: no compiled catalogue needed)."""
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")

    def gettext(msgid: str) -> str:
        message = catalog.get(msgid)
        return message.string if message is not None and message.string else msgid

    return gettext


@pytest.fixture(scope="module")
def book(zh):
    body = coverage_workbook(TABLES, town="余坪镇", gettext=zh, made_on=MADE_ON)
    return load_workbook(BytesIO(body))


def values(ws, row: int) -> list:
    return [c.value for c in ws[row]][:15]


def test_one_sheet_per_kind_in_the_work_plans_order(book):
    assert book.sheetnames == ["实有人口", "实有房屋", "户"]


def test_title_and_units_rows_are_merged_across_the_table(book):
    people, houses, households = book.worksheets
    assert people["A1"].value == "余坪镇“三实”信息采集进度表·实有人口（截至2016年5月25日）"
    assert houses["A1"].value == "余坪镇“三实”信息采集进度表·实有房屋（截至2016年5月25日）"
    assert households["A1"].value == "余坪镇“三实”信息采集进度表·户（截至2016年5月25日）"
    assert people["A1"].font.b and people["A1"].font.sz == 16
    assert people["A1"].alignment.horizontal == "center"
    assert people["A2"].value == "单位：人、户、%"
    assert houses["A2"].value == "单位：栋、户、%"
    assert households["A2"].value == "单位：户、%"
    assert people["A2"].alignment.horizontal == "right"
    for ws in book.worksheets:
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert merged >= MERGED_HEADER


def test_two_level_header_with_its_merges(book):
    ws = book["实有人口"]
    assert values(ws, 3) == HEADER_TOP
    assert values(ws, 4) == [None, None, *HEADER_LEAVES]
    for row in (3, 4):
        for cell in ws[row][:15]:
            if isinstance(cell, MergedCell):  # inside a merge: only its outer edges are drawn
                continue
            assert cell.border.left.style == cell.border.top.style == "thin", cell.coordinate
            assert cell.fill.fgColor.rgb.endswith("D9D9D9")
            assert cell.alignment.horizontal == "center"
    for right_edge in ("E3", "H3", "J3", "L3", "O3", "A4", "B4"):
        assert ws[right_edge].border.right.style == ws[right_edge].border.bottom.style == "thin"
    assert ws.freeze_panes == "C5"  # the header and the village names stay in view


def test_village_rows_are_numbers_with_their_formats(book):
    ws = book["实有人口"]
    # 余坪村: more collected than the task — the rate above 100 % is kept, not capped.
    assert values(ws, 5) == [1, "余坪村", 2537, 2664, pytest.approx(2664 / 2537), 2000, 12, 3,
                             0.875, 0.9625, "达标", "进行中", 637, 1274, 0]  # fmt: skip
    assert ws["E5"].value > 1
    for cell, fmt in zip(ws[5][2:15], FORMATS, strict=True):
        if fmt is not None:
            assert cell.number_format == fmt, cell.coordinate
            assert cell.data_type == "n", cell.coordinate
    # 上新村: task 0 — every rate is an empty cell (never 0 %, never the text "None").
    assert values(ws, 6) == [2, "上新村", 0, 0, None, 0, 0, 0, None, None, "未达标", "未达标", 0, 0, 50]
    for coordinate in ("E6", "I6", "J6"):
        assert ws[coordinate].value is None and ws[coordinate].number_format == "0.0%"
    # A name that looks like a formula stays text.
    assert ws["B7"].value == "'=SUM(A1:A9)" and ws["B7"].data_type == "s"
    assert values(ws, 7)[2:] == [441, 100, pytest.approx(100 / 441), 90, 1, 0, 0.5, 1, "未达标", "进行中",
                                 113, 0, 50]  # fmt: skip
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for cell in row:
            assert cell.value != "None" and not (isinstance(cell.value, str) and cell.value.startswith("="))
            assert cell.data_type != "f"


def test_station_and_bold_total_rows(book):
    ws = book["实有人口"]
    assert values(ws, 8) == [None, "余坪派出所", 2978, 2764, pytest.approx(2764 / 2978), 2090, 13, 3, None,
                             0.95, "进行中", "进行中", 0, 0, 0]  # fmt: skip
    assert values(ws, 9) == ["合计", None, 2978, 2764, pytest.approx(2764 / 2978), 2090, 13, 3, 0.8, 0.96,
                             "进行中", "进行中", 750, 1274, 100]  # fmt: skip
    assert "A9:B9" in {str(r) for r in ws.merged_cells.ranges}
    assert all(cell.font.b for cell in ws[9][:15] if not isinstance(cell, MergedCell))
    assert not any(cell.font.b for r in (5, 6, 7, 8) for cell in ws[r][:15])
    for r in range(5, 10):
        for cell in ws[r][:15]:
            assert cell.border.top.style == cell.border.bottom.style == "thin", cell.coordinate
    assert ws["N9"].number_format == "#,##0.00" and ws["E9"].number_format == "0.0%"


def test_stage_status_in_chinese_on_a_fill(book):
    ws = book["实有人口"]
    seen = set()
    for r in range(5, 10):
        for cell in (ws.cell(r, 11), ws.cell(r, 12)):
            assert cell.value in FILLS
            assert cell.fill.fill_type == "solid"
            assert cell.fill.fgColor.rgb.endswith(FILLS[cell.value]), cell.coordinate
            seen.add(cell.value)
    assert seen == set(FILLS)
    assert book["户"]["K5"].value == book["户"]["L5"].value == "达标"
    assert book["实有房屋"]["K5"].value == "未达标"


def test_print_set_up_for_a4_landscape(book):
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        assert ws.print_title_rows == "$3:$4"
        assert ws.print_options.horizontalCentered
        assert ws.page_margins.left == ws.page_margins.right == pytest.approx(0.4)
        assert ws.page_margins.bottom > ws.page_margins.footer > 0
        assert ws.oddFooter.left.text == "制表：余坪派出所"
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
        assert ws.oddFooter.right.text == "制表日期：2016年5月26日"
    people = book["实有人口"]
    assert people.print_area == "'实有人口'!$A$1:$O$14"


def test_definitions_below_the_table(book):
    ws = book["实有人口"]
    assert ws["A10"].value is None  # one blank row after the total
    assert ws["A11"].value == "1. 采集率"
    assert ws["A12"].value == "2. Timeliness rate = collected by the deadline / due by then."
    assert ws["A13"].value.startswith("3. 阶段状态：达标＝")
    assert ws["A14"].value.startswith("4. 比率栏空白表示该比率无法计算")
    assert ws.max_row == 14
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A11:O11", "A12:O12", "A13:O13", "A14:O14"} <= merged
    assert ws["A13"].alignment.wrap_text and ws.row_dimensions[13].height >= 15
    assert book["户"]["A9"].value.startswith("1. 阶段状态")  # no definitions given: only the legend


def test_column_widths_fit_chinese_text(book):
    ws = book["实有人口"]
    width = {c: ws.column_dimensions[c].width for c in "ABCDEFGHIJKLMNO"}
    assert width["B"] >= display_width("余坪派出所") + 2  # names never cut
    for col in "CDEFGHIJKLMNO":  # every leaf header fits on at most two lines of its cell
        header = ws[f"{col}4"].value
        assert width[col] * 2 >= display_width(header) + 2, col
    assert width["K"] >= display_width("未达标") + 2


def test_tables_are_one_per_known_kind(zh):
    with pytest.raises(ValueError, match="unknown coverage kinds"):
        coverage_workbook(
            [Coverage("ghosts", AS_OF, [], PEOPLE.station, PEOPLE.total)], town="余坪镇", gettext=zh
        )
    with pytest.raises(ValueError, match="one coverage table per kind"):
        coverage_workbook([PEOPLE, PEOPLE], town="余坪镇", gettext=zh)
    with pytest.raises(ValueError, match="no coverage tables"):
        coverage_workbook([], town="余坪镇", gettext=zh)


def test_english_workbook_uses_the_msgids():
    body = coverage_workbook([PEOPLE], town="Yuping", gettext=lambda s: s, made_on=MADE_ON)
    ws = load_workbook(BytesIO(body)).active
    assert ws.title == "Real people"
    assert ws["A1"].value == "Yuping 三实 information collection progress: Real people (as of 2016-05-25)"
    assert ws["A2"].value == "Units of measure: persons, households, percent"
    assert ws["K5"].value == "Met" and ws["A9"].value == "Total"


# -- the printable page -------------------------------------------------------------------------


class Cells(HTMLParser):
    """Rows of the page's tables: [(tag, class, text), …] per <tr>, and every URL-like attribute."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[tuple[str, str, str]]] = []
        self.refs: list[str] = []
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.refs += [v for k, v in attrs.items() if k in ("href", "src") and v]
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = [tag, attrs.get("class") or "", ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(tuple(self._cell))
            self._cell = None


@pytest.fixture(scope="module")
def print_app(tmp_path_factory):
    from geoapp import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('print') / 'unused.sqlite'}"  # never opened
    application = create_app(Settings(database_url=url, secret_key="test", test_mode=True))
    yield application
    application.extensions["geoapp.db"].dispose()


def render_page(app, tables, path="/reports/coverage/print"):
    from geoapp.web.reports import coverage_print_page

    with app.test_request_context(path):
        return coverage_print_page(tables, made_on=MADE_ON)


def test_printable_page_holds_every_row_in_chinese_without_outside_urls(print_app):
    app = print_app
    page = render_page(app, TABLES)
    assert '<html lang="zh-CN">' in page
    assert "<title>余坪镇“三实”信息采集进度表（截至2016年5月25日）</title>" in page
    parser = Cells()
    parser.feed(page)
    assert [ref.split("?v=")[0] for ref in parser.refs] == ["/static/css/coverage-print.css"]  # versioned
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for sheet in ("实有人口", "实有房屋", "户"):
        assert f"余坪镇“三实”信息采集进度表·{sheet}（截至2016年5月25日）" in page
    rows = parser.rows
    # The people table comes first: 2 header rows, 3 villages, the station, the total.
    header_top, header_leaves, *body = rows[:7]
    assert [text for _, _, text in header_top] == [t for t in HEADER_TOP if t]
    assert [text for _, _, text in header_leaves] == HEADER_LEAVES
    texts = [[text for _, _, text in r] for r in body]
    assert texts[0] == ["1", "余坪村", "2537", "2664", "105.0%", "2000", "12", "3", "87.5%", "96.2%",
                        "达标", "进行中", "637", "1,274.00", "0"]  # fmt: skip
    assert texts[1][:5] == ["2", "上新村", "0", "0", ""] and texts[1][8:10] == ["", ""]
    assert texts[2][1] == "=SUM(A1:A9)"
    assert texts[3][:2] == ["", "余坪派出所"]
    assert texts[4][:2] == ["合计", "2978"] and len(texts[4]) == 14  # 合计 spans 序号 and the name
    assert body[0][10][1] == "stage stage-met" and body[1][10][1] == "stage stage-missed"
    assert body[0][11][1] == "stage stage-open" and body[0][4][1] == "rate"
    assert '<tr class="total">' in page
    for village in ("余坪村", "上新村", "易屋村", "姚坳村"):
        assert village in page
    assert page.count('<tr class="total">') == 3
    assert "阶段状态：达标＝" in page and "制表：余坪派出所" in page and "制表日期：2016年5月26日" in page
    assert re.search(r'<div class="map-slot"></div>', page)  # the map's slot: empty, no fake map


def test_printable_page_escapes_names_and_leaves_a_map_slot(print_app):
    app = print_app
    hostile = Coverage("units", AS_OF, [row("<script>alert(1)</script>", 1, 1)], PEOPLE.station, PEOPLE.total)
    page = render_page(app, [hostile])
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    from flask import render_template_string

    from geoapp.services.reports.layout import sheets

    with app.test_request_context("/"):
        filled = render_template_string(
            '{% extends "coverage_print.html" %}{% block map %}<figure id="m">MAP</figure>{% endblock %}',
            title="t",
            sheets=sheets([hostile], town="余坪镇", gettext=lambda s: s, made_on=MADE_ON),
        )
    assert '<div class="map-slot"><figure id="m">MAP</figure></div>' in filled


def test_print_style_sheet_is_a4_landscape_and_local():
    css = (ROOT / "static" / "css" / "coverage-print.css").read_text()
    assert re.search(r"@page\s*\{[^}]*size:\s*A4 landscape", css)
    assert "url(" not in css and "@import" not in css and "http" not in css
