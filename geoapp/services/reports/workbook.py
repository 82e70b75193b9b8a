"""The assessment meeting's workbook (issue 9, part 5): the coverage tables as an .xlsx file.

One sheet per kind — 实有人口, 实有房屋, 实有单位, 户, in the work plan's order — rather than the
kinds side by side: each kind already takes 15 columns (序号, 村（社区）, collection, verification,
the assessment rates, the two stages, households, funding, penalty), which is what one A4 landscape
page holds legibly. A 综治办 meeting goes through the kinds one after another, prints each as its
own 通报表 (one page wide, the header repeated if the villages run over), and a sheet per kind
keeps each printout self-contained with its own title, units and definitions.

Each sheet: a title row (镇 + 三实信息采集进度表 + kind + date) and a units line, merged across the
table; a two-level header (村（社区） and 序号 merged over both rows, the upper row grouping the
columns); one row per village, the station (余坪派出所), the total row (合计) in bold; numbers
stored as numbers, rates as fractions shown ``0.0%`` (an empty cell where a rate is undefined),
stage status in Chinese on a coloured fill; thin borders, frozen header, widths fitting Chinese
text; A4 landscape, one page wide, header rows repeated, a footer with the maker, page numbers and
date; the rates' definitions below the table. Text from the data never starts a formula.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from geoapp.services.gis_io.exporter import neutralise
from geoapp.services.reports.layout import LEADING, WIDTH, Gettext, Line, Sheet, sheets

TITLE_ROW, UNITS_ROW, GROUP_ROW, HEADER_ROW = 1, 2, 3, 4
FIRST_BODY_ROW = 5
NUMBER_FORMATS = {"count": "0", "rate": "0.0%", "money": "#,##0.00", "points": "0"}
# Excel's own "good / bad / neutral" cell styles: readable in colour and in grey print.
STAGE_FILLS = {"met": "C6EFCE", "missed": "FFC7CE", "open": "FFEB9C"}
STAGE_FONTS = {"met": "006100", "missed": "9C0006", "open": "9C5700"}
HEADER_FILL = "D9D9D9"
TOTAL_FILL = "F2F2F2"
BODY_FONT, HEADING_FONT = "宋体", "黑体"  # the fonts of Chinese government tables (WPS/Excel map them)

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
# Page set-up, in inches (openpyxl's unit): about 1 cm at the sides, more at top and bottom for the footer.
MARGINS = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.75, header=0.3, footer=0.3)


def coverage_workbook(
    tables: Sequence[Any], *, town: str, gettext: Gettext, made_on: date | None = None
) -> bytes:
    """The .xlsx bytes for ``tables`` (Coverage objects, one per kind, any order).

    ``gettext`` translates the labels (pass the UI's: ``geoapp.i18n.translate``); ``made_on`` is the
    制表日期 in the footer (default today); each table's ``as_of`` is the date in its title.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)
    laid_out = sheets(tables, town=town, gettext=gettext, made_on=made_on or date.today())
    for layout in laid_out:
        write_sheet(workbook.create_sheet(_sheet_name(layout.name)), layout)
    workbook.properties.title = laid_out[0].title
    workbook.properties.creator = "geoapp"
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text(value: str) -> str:
    """User or catalogue text as a cell may hold it: never a formula, no control characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))


def _sheet_name(name: str) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31]


def _footer_text(value: str) -> str:
    return value.replace("&", "&&")  # "&" starts a code in header/footer text


def display_width(text: str) -> int:
    """Columns a string takes in a sheet: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_sheet(ws: Worksheet, layout: Sheet) -> None:
    last_col = get_column_letter(WIDTH)
    _write_title(ws, layout, last_col)
    _write_header(ws, layout)
    for offset, line in enumerate(layout.lines):
        _write_line(ws, FIRST_BODY_ROW + offset, line)
    last_row = FIRST_BODY_ROW + len(layout.lines) - 1
    for row in ws.iter_rows(min_row=GROUP_ROW, max_row=last_row, max_col=WIDTH):
        for c in row:
            c.border = BOX
    _set_widths(ws, layout)
    notes_end = _write_notes(ws, layout, last_row + 2)
    ws.freeze_panes = ws.cell(FIRST_BODY_ROW, LEADING + 1)
    _print_setup(ws, layout, f"A{TITLE_ROW}:{last_col}{notes_end}")


def _write_title(ws: Worksheet, layout: Sheet, last_col: str) -> None:
    title = ws.cell(TITLE_ROW, 1, _text(layout.title))
    title.font = Font(name=HEADING_FONT, size=16, bold=True)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 32
    units = ws.cell(UNITS_ROW, 1, _text(layout.units))
    units.font = Font(name=BODY_FONT, size=10)
    units.alignment = Alignment(horizontal="right", vertical="center")
    ws.merge_cells(f"A{UNITS_ROW}:{last_col}{UNITS_ROW}")
    ws.row_dimensions[UNITS_ROW].height = 18


def _write_header(ws: Worksheet, layout: Sheet) -> None:
    for col, text in enumerate(layout.headers[:LEADING], 1):
        ws.cell(GROUP_ROW, col, _text(text))
        ws.merge_cells(start_row=GROUP_ROW, start_column=col, end_row=HEADER_ROW, end_column=col)
    col = LEADING + 1
    for text, span in layout.groups:
        ws.cell(GROUP_ROW, col, _text(text))
        if span > 1:
            ws.merge_cells(
                start_row=GROUP_ROW, start_column=col, end_row=GROUP_ROW, end_column=col + span - 1
            )
        col += span
    for col, text in enumerate(layout.headers[LEADING:], LEADING + 1):
        ws.cell(HEADER_ROW, col, _text(text))
    for row in (GROUP_ROW, HEADER_ROW):
        ws.row_dimensions[row].height = 22 if row == GROUP_ROW else 30
        for col in range(1, WIDTH + 1):
            c = ws.cell(row, col)
            c.font = Font(name=HEADING_FONT, size=11)
            c.alignment = CENTRE
            c.fill = PatternFill("solid", fgColor=HEADER_FILL)


def _write_line(ws: Worksheet, row: int, line: Line) -> None:
    total = line.role == "total"
    font = Font(name=BODY_FONT, size=11, bold=total)
    ws.cell(row, 1, line.number)
    ws.cell(row, 2, _text(line.label))
    for col, cell in enumerate(line.cells, LEADING + 1):
        target = ws.cell(row, col, _text(cell.value) if isinstance(cell.value, str) else cell.value)
        if cell.kind in NUMBER_FORMATS:
            target.number_format = NUMBER_FORMATS[cell.kind]
        if cell.status in STAGE_FILLS:
            target.fill = PatternFill("solid", fgColor=STAGE_FILLS[cell.status])
            target.font = Font(name=BODY_FONT, size=11, bold=total, color=STAGE_FONTS[cell.status])
    for col in range(1, WIDTH + 1):
        c = ws.cell(row, col)
        if col <= LEADING or line.cells[col - LEADING - 1].status not in STAGE_FILLS:
            c.font = font
            if total:
                c.fill = PatternFill("solid", fgColor=TOTAL_FILL)
        c.alignment = CENTRE
    if total:  # 合计 spans 序号 and 村（社区）, as in the printed 通报表
        ws.cell(row, 1, ws.cell(row, 2).value)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    ws.row_dimensions[row].height = 20


def _set_widths(ws: Worksheet, layout: Sheet) -> None:
    for col in range(1, WIDTH + 1):
        texts = [layout.headers[col - 1]]
        for line in layout.lines:
            if col == 1:
                texts.append(str(line.number or ""))
            elif col == 2:
                texts.append(line.label)
            else:
                texts.append(line.cells[col - LEADING - 1].text)
        widest = max(display_width(t) for t in texts)
        # Long headers wrap onto the header row's two lines; data never wraps.
        data = max(display_width(t) for t in texts[1:])
        wanted = max(data, min(widest, 12), 6)
        ws.column_dimensions[get_column_letter(col)].width = wanted + 2.5


def _write_notes(ws: Worksheet, layout: Sheet, first_row: int) -> int:
    """The rates' definitions and how to read the table, below it; returns the last row used."""
    last_col = get_column_letter(WIDTH)
    chars_per_line = sum(ws.column_dimensions[get_column_letter(c)].width for c in range(1, WIDTH + 1))
    row = first_row
    for number, note in enumerate(layout.notes, 1):
        text = _text(f"{number}. {note}")
        c = ws.cell(row, 1, text)
        c.font = Font(name=BODY_FONT, size=10)
        c.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        ws.merge_cells(f"A{row}:{last_col}{row}")
        lines = max(1, -(-display_width(text) // int(chars_per_line * 0.9)))
        ws.row_dimensions[row].height = 15 * lines
        row += 1
    return row - 1


def _print_setup(ws: Worksheet, layout: Sheet, area: str) -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the villages need
    ws.print_title_rows = f"{GROUP_ROW}:{HEADER_ROW}"
    ws.print_area = area
    ws.print_options.horizontalCentered = True
    ws.page_margins = MARGINS
    footer = ws.oddFooter
    for part, text in (
        (footer.left, _footer_text(layout.prepared_by)),
        (footer.center, layout.page_numbers),
        (footer.right, _footer_text(layout.prepared_on)),
    ):
        part.text = text
        part.font = f"{BODY_FONT},Regular"
        part.size = 9
