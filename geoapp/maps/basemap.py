"""The configured basemaps (``GEOAPP_BASEMAP``, ``domain/basemaps.py``) under every map of the
town, with a switch ("底图") whose choice the browser keeps. One piece, added by ``base_map``.
Only the basemaps configured reach the page: with ``mbtiles`` alone, no outside address."""

from __future__ import annotations

import folium
from flask import current_app, url_for
from flask_babel import gettext

from geoapp.domain.basemaps import LABELS, Basemap, tile_file
from geoapp.maps.tools import EagerScriptTool
from geoapp.spatial.mbtiles import configured_tile_file

TIANDITU = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)
GAODE = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
TENCENT = "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&type=vector&styleid=3"


def _tile_file_layer() -> dict:
    settings = current_app.extensions["geoapp.settings"]
    layer = {
        "url": url_for("tiles.base_tile", z=0, x=0, y=0).replace("/0/0/0", "/{z}/{x}/{y}"),
        "crs": "wgs84",
        "attribution": gettext("Offline basemap drawn from the town's layers"),
    }
    path = tile_file(settings.basemaps).path
    info = configured_tile_file(path, current_app.extensions["geoapp.root"])  # its zooms and bounds
    if info is not None:
        layer |= {"minNativeZoom": info.minzoom, "maxNativeZoom": info.maxzoom, "bounds": info.bounds}
    return layer


def basemap_layer(basemap: Basemap, tianditu_key: str) -> dict:
    """What the page needs to draw one basemap: its tile URL templates and frame."""
    layer = {"id": basemap.kind, "label": gettext(LABELS[basemap.kind])}
    if basemap.kind == "mbtiles":
        return layer | _tile_file_layer()
    if basemap.kind.startswith("tianditu"):
        base, labels = ("img", "cia") if basemap.kind == "tianditu-img" else ("vec", "cva")
        return layer | {
            "url": TIANDITU.format(layer=base, key=tianditu_key),
            "labels": TIANDITU.format(layer=labels, key=tianditu_key),
            "subdomains": "01234567",
            "maxNativeZoom": 18,
            "crs": "wgs84",  # CGCS2000: within a metre of WGS84, not shifted
            "attribution": gettext("Tianditu"),
        }
    url, subdomains = (GAODE, "1234") if basemap.kind == "gaode" else (TENCENT, "0123")
    return layer | {
        "url": url,
        "subdomains": subdomains,
        "maxNativeZoom": 18,
        "crs": "gcj02",
        "attribution": gettext(LABELS[basemap.kind]),
    }


def basemap_options() -> dict | None:
    settings = current_app.extensions["geoapp.settings"]
    if not settings.basemaps:
        return None
    return {
        "layers": [basemap_layer(b, settings.tianditu_key) for b in settings.basemaps],
        "text": {"title": gettext("Basemap"), "none": gettext(LABELS["none"])},
    }


def add_basemaps(m: folium.Map) -> None:
    """The configured basemaps and their switch (nothing when GEOAPP_BASEMAP is none)."""
    options = basemap_options()
    if options is not None:
        EagerScriptTool("basemaps", "basemaps.js", options, helpers=("gcj02.js",)).add_to(m)
