"""Reading a PDF back in tests: pages, text (pypdf) and QR codes decoded from the rendered
page (pypdfium2 renders it, zxing-cpp reads the codes), in reading order."""

from __future__ import annotations

import io

import pypdf
import pypdfium2
import zxingcpp


def page_count(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def page_text(pdf: bytes, page: int = 0) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


def qr_codes(pdf: bytes, page: int = 0, dpi: int = 150) -> list[str]:
    """The QR codes of one page, top to bottom and left to right."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    found = [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    row_height = image.height // 8
    return [
        b.text
        for b in sorted(found, key=lambda b: (b.position.top_left.y // row_height, b.position.top_left.x))
    ]
