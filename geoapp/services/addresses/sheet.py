"""Door-plate sheets: A4 PDF pages of 2 × 4 plates, cut apart along the dashed lines.

Each plate, in the blue and white of a door plate: the street (or village) name on a blue
band, the town and village under it, the door number large, the full standard address,
and a QR code of the house's URL (``plates.house_url``) that opens the house after login.
Text is set in reportlab's CID font ``STSong-Light`` (Adobe's GB1 character collection:
no font file is needed on the server, PDF readers supply the glyphs), digits and Latin
letters in Helvetica-Bold. The QR code is drawn as vector squares from segno's matrix,
so it stays sharp at any print size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO

import segno
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from geoapp.domain.i18n import N_
from geoapp.services.addresses.plates import Plate, PlateSet

Gettext = Callable[[str], str]

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica-Bold"
COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS
PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 12 * mm, 16 * mm, 12 * mm
GAP = 5 * mm
PLATE_W = (PAGE_W - 2 * MARGIN_X - (COLUMNS - 1) * GAP) / COLUMNS
PLATE_H = (PAGE_H - MARGIN_TOP - MARGIN_BOTTOM - (ROWS - 1) * GAP) / ROWS
BAND_H = 13 * mm
QR_SIZE = 30 * mm  # the code with its quiet zone of four modules
PAD = 3.5 * mm
PLATE_BLUE = Color(0.09, 0.27, 0.56)
GREY = Color(0.35, 0.35, 0.35)
LIGHT = Color(0.7, 0.7, 0.7)

_registered = False


def _register_fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        _registered = True


def _runs(text: str, latin: bool = False) -> list[tuple[str, str]]:
    """(font, text) runs: all in the CJK font, or (``latin``) ASCII in the Latin font."""
    if not latin:
        return [(CJK_FONT, text)]
    runs: list[tuple[str, str]] = []
    for ch in text:
        font = LATIN_FONT if ch.isascii() else CJK_FONT
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def text_width(text: str, size: float, latin: bool = False) -> float:
    return sum(pdfmetrics.stringWidth(t, f, size) for f, t in _runs(text, latin))


def fit_size(text: str, size: float, width: float, smallest: float = 5.0, latin: bool = False) -> float:
    """The largest size up to ``size`` at which ``text`` fits ``width``."""
    needed = text_width(text, size, latin)
    return size if needed <= width else max(smallest, size * width / needed)


def draw_text(
    c: Canvas, x: float, y: float, text: str, size: float, *, anchor: str = "start", latin: bool = False
) -> None:
    if anchor == "middle":
        x -= text_width(text, size, latin) / 2
    elif anchor == "end":
        x -= text_width(text, size, latin)
    for font, part in _runs(text, latin):
        c.setFont(font, size)
        c.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, font, size)


def qr_code(url: str) -> segno.QRCode:
    """Error correction M (15 %): a scuffed or dirty plate still scans."""
    return segno.make_qr(url, error="m", boost_error=False)


def draw_qr(c: Canvas, code: segno.QRCode, x: float, y: float, size: float) -> None:
    """The code with its quiet zone into the square (x, y, size): one path of a rectangle per
    run of dark modules in a row, in module units (whole numbers keep the path short)."""
    rows = list(code.matrix_iter(scale=1, border=4))
    path = c.beginPath()
    for r, row in enumerate(rows):
        col, n = 0, len(row)
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                path.rect(start, r, col - start, 1)
            else:
                col += 1
    c.saveState()
    c.translate(x, y + size)
    c.scale(size / len(rows), -size / len(rows))  # row 0 at the top
    c.setFillColorRGB(0, 0, 0)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def draw_plate(c: Canvas, plate: Plate, x: float, y: float, gettext: Gettext) -> None:
    """One plate with its lower-left corner at (x, y)."""
    c.setStrokeColor(PLATE_BLUE)
    c.setFillColor(white)
    c.setLineWidth(1.4)
    c.roundRect(x, y, PLATE_W, PLATE_H, 3 * mm, stroke=1, fill=1)
    # The band: street name, or the village's for an address without a street.
    c.setFillColor(PLATE_BLUE)
    c.roundRect(x, y + PLATE_H - BAND_H, PLATE_W, BAND_H, 3 * mm, stroke=0, fill=1)
    c.rect(x, y + PLATE_H - BAND_H, PLATE_W, BAND_H / 2, stroke=0, fill=1)
    name = plate.street or plate.village
    size = fit_size(name, 17, PLATE_W - 2 * PAD)
    c.setFillColor(white)
    draw_text(c, x + PAD, y + PLATE_H - BAND_H / 2 - size * 0.36, name, size)
    # Under the band: town and village.
    c.setFillColor(GREY)
    place = f"{plate.town} · {plate.village}"
    draw_text(
        c, x + PAD, y + PLATE_H - BAND_H - 5 * mm, place, fit_size(place, 9, PLATE_W - QR_SIZE - 2 * PAD)
    )
    # The QR code on the right, its caption under it.
    qr_x = x + PLATE_W - QR_SIZE - PAD / 2
    qr_y = y + 8 * mm
    draw_qr(c, qr_code(plate.url), qr_x, qr_y, QR_SIZE)
    caption = gettext(N_("Scan to open this house"))
    draw_text(
        c, qr_x + QR_SIZE / 2, qr_y - 0.5 * mm, caption, fit_size(caption, 6.5, QR_SIZE), anchor="middle"
    )
    # The door number, as large as the space beside the code allows.
    room = PLATE_W - QR_SIZE - 2 * PAD
    door = plate.door_no
    size = fit_size(door, 46, room, latin=True)
    c.setFillColor(PLATE_BLUE)
    draw_text(c, x + PAD + room / 2, y + 19 * mm, door, size, anchor="middle", latin=True)
    # The full standard address along the bottom, and the house's record number.
    c.setFillColor(GREY)
    draw_text(c, x + PAD, y + 4.5 * mm, plate.address, fit_size(plate.address, 8.5, room + PAD / 2))
    ref = gettext(N_("House %(id)s")) % {"id": plate.building_id}
    c.setFillColor(LIGHT)
    draw_text(c, x + PLATE_W - PAD / 2, y + 2.2 * mm, ref, 5.5, anchor="end")


def _cut_marks(c: Canvas) -> None:
    c.setStrokeColor(LIGHT)
    c.setLineWidth(0.4)
    c.setDash(2, 2)
    for col in range(1, COLUMNS):
        cx = MARGIN_X + col * PLATE_W + (col - 0.5) * GAP
        c.line(cx, MARGIN_BOTTOM / 2, cx, PAGE_H - MARGIN_TOP + 4 * mm)
    for row in range(1, ROWS):
        cy = PAGE_H - MARGIN_TOP - row * PLATE_H - (row - 0.5) * GAP
        c.line(MARGIN_X / 2, cy, PAGE_W - MARGIN_X / 2, cy)
    c.setDash()


def plate_sheet(plate_set: PlateSet, *, gettext: Gettext, town: str) -> bytes:
    """The PDF: ``PER_PAGE`` plates a page, in the set's order, a header line on each page."""
    _register_fonts()
    buffer = BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    title = gettext(N_("Door plates: %(town)s %(name)s")) % {"town": town, "name": plate_set.title}
    c.setTitle(title)
    c.setAuthor(town)
    c.setSubject(gettext(N_("Standard addresses and QR door plates")))
    plates: Sequence[Plate] = plate_set.plates
    pages = max(1, -(-len(plates) // PER_PAGE))
    for page in range(pages):
        c.setFillColor(GREY)
        draw_text(c, MARGIN_X, PAGE_H - MARGIN_TOP + 6 * mm, title, 10)
        numbering = gettext(N_("Page %(page)d of %(pages)d")) % {"page": page + 1, "pages": pages}
        draw_text(c, PAGE_W - MARGIN_X, PAGE_H - MARGIN_TOP + 6 * mm, numbering, 8, anchor="end")
        _cut_marks(c)
        if page == 0 and plate_set.unnumbered:
            note = gettext(
                N_("%(count)d houses without a door number have no plate here: number them first.")
            ) % {"count": plate_set.unnumbered}
            c.setFillColor(GREY)
            draw_text(c, MARGIN_X, 4 * mm, note, 8)
        for k, plate in enumerate(plates[page * PER_PAGE : (page + 1) * PER_PAGE]):
            row, col = divmod(k, COLUMNS)
            x = MARGIN_X + col * (PLATE_W + GAP)
            y = PAGE_H - MARGIN_TOP - (row + 1) * PLATE_H - row * GAP
            draw_plate(c, plate, x, y, gettext)
        c.showPage()
    c.save()
    return buffer.getvalue()
