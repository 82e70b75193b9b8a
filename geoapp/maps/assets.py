"""Local copies of every script and style sheet a map loads.

folium points at CDNs by default; each object gets its own lists here (assigning,
never mutating the class-level lists, which every map in the process shares).
"""

from __future__ import annotations

from flask import url_for


def vendor(package: str, path: str) -> str:
    return url_for("vendor.asset", package=package, filename=path)


def static(path: str) -> str:
    return url_for("static", filename=path)


def map_js() -> list[tuple[str, str]]:
    return [
        ("leaflet", vendor("leaflet", "dist/leaflet.js")),
        ("geoapp_dom", static("js/dom.js")),
        ("geoapp_map", static("js/geoapp-map.js")),
        ("geoapp_county", static("js/geoapp-county.js")),
    ]


def map_css() -> list[tuple[str, str]]:
    return [
        ("leaflet_css", vendor("leaflet", "dist/leaflet.css")),
        ("geoapp_map_css", static("css/geoapp-map.css")),
    ]


def locate_js() -> list[tuple[str, str]]:
    return [("Control_locate_min_js", vendor("leaflet.locatecontrol", "dist/L.Control.Locate.min.js"))]


def locate_css() -> list[tuple[str, str]]:
    return [("Control_locate_min_css", vendor("leaflet.locatecontrol", "dist/L.Control.Locate.min.css"))]


def localise(element, js: list[tuple[str, str]], css: list[tuple[str, str]]):
    """Give one folium element its own local asset lists."""
    element.default_js = list(js)
    element.default_css = list(css)
    return element
