"""The printed choropleth: the villages' outlines drawn as SVG on the server, coloured by a
rate with the leaders' page's classes (``maps.leaders.CLASSES``), each labelled with its
name and rate. No script, no style attribute and nothing fetched: the printable page is
read from the app alone (and under its Content-Security-Policy)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from geoapp.maps.leaders import CLASSES, NO_DATA_COLOUR, class_colour

WIDTH = 1000.0
PAD = 8.0


def _rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def choropleth_svg(outlines: Sequence, rates: dict[int, float | None], *, label: str) -> Markup:
    """``outlines``: ``services.reports.outlines.Outline``; ``rates``: by village id (0..1 or
    None); ``label``: the map's accessible name."""
    shapes = [o.geometry for o in outlines if o.geometry is not None and not o.geometry.is_empty]
    if not shapes:
        return Markup("")
    minx = min(s.bounds[0] for s in shapes)
    miny = min(s.bounds[1] for s in shapes)
    maxx = max(s.bounds[2] for s in shapes)
    maxy = max(s.bounds[3] for s in shapes)
    kx = math.cos(math.radians((miny + maxy) / 2))  # metres per degree east, relative to north
    scale = (WIDTH - 2 * PAD) / max((maxx - minx) * kx, 1e-12)
    height = (maxy - miny) * scale + 2 * PAD

    def xy(lon: float, lat: float) -> str:
        return f"{PAD + (lon - minx) * kx * scale:.1f},{PAD + (maxy - lat) * scale:.1f}"

    def path(geom) -> str:
        polygons = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
        rings = []
        for polygon in polygons:
            for ring in [polygon.exterior, *polygon.interiors]:
                points = [xy(x, y) for x, y in ring.coords]
                rings.append("M" + "L".join(points) + "Z")
        return "".join(rings)

    parts = [
        f'<svg class="print-map" viewBox="0 0 {WIDTH:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for o in outlines:
        if o.geometry is None or o.geometry.is_empty:
            continue
        fill = class_colour(rates.get(o.village_id))
        parts.append(
            f'<path d="{path(o.geometry)}" fill="{fill}" stroke="#333" stroke-width="1.2" '
            f'stroke-linejoin="round"><title>{escape(o.name)}</title></path>'
        )
    for o in outlines:
        if o.label is None:
            continue
        x, y = xy(*o.label).split(",")
        parts.append(
            f'<text x="{x}" y="{y}" text-anchor="middle" font-size="18" paint-order="stroke" '
            f'stroke="#fff" stroke-width="3" stroke-linejoin="round" fill="#111">'
            f'<tspan x="{x}" dy="-0.15em">{escape(o.name)}</tspan>'
            f'<tspan x="{x}" dy="1.15em" font-weight="bold">{escape(_rate_text(rates.get(o.village_id)))}</tspan>'
            "</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend_svg(*, target: float | None, target_text: str, no_data_text: str) -> Markup:
    """The classes as a bar with their breaks, the target marked on it, and "no data"."""
    n = len(CLASSES)
    block, left, top = 60.0, 10.0, 6.0
    parts = [
        f'<svg class="print-legend" viewBox="0 0 {left * 2 + block * n + 260:.0f} 62" '
        f'role="img" aria-label="{escape(target_text)}">'
    ]
    for i, (lower, colour) in enumerate(CLASSES):
        x = left + i * block
        parts.append(
            f'<rect x="{x:.0f}" y="{top}" width="{block:.0f}" height="16" fill="{colour}" stroke="#333"/>'
        )
        tick = f"{round(lower * 100)}" + ("%" if i == n - 1 else "")
        parts.append(f'<text x="{x:.0f}" y="{top + 32}" font-size="13" text-anchor="middle">{tick}</text>')
    if target is not None:
        k = max(i for i, (lower, _) in enumerate(CLASSES) if target >= lower - 1e-9)
        upper = CLASSES[k + 1][0] if k + 1 < n else CLASSES[k][0]
        within = (target - CLASSES[k][0]) / (upper - CLASSES[k][0]) if upper > CLASSES[k][0] else 0.0
        x = left + (k + within) * block
        parts.append(f'<rect x="{x - 1.5:.1f}" y="{top - 4}" width="3" height="24" fill="#9c0006"/>')
    x0 = left + n * block + 20
    parts.append(f'<rect x="{x0 - 6:.0f}" y="{top}" width="3" height="16" fill="#9c0006"/>')
    parts.append(
        f'<text x="{x0 + 4:.0f}" y="{top + 13}" font-size="13" fill="#9c0006">{escape(target_text)}</text>'
    )
    parts.append(
        f'<rect x="{x0 - 10:.0f}" y="{top + 26}" width="14" height="12" fill="{NO_DATA_COLOUR}" stroke="#333"/>'
    )
    parts.append(f'<text x="{x0 + 10:.0f}" y="{top + 37}" font-size="13">{escape(no_data_text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
