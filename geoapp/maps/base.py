"""The base map: no tiles by default (the intranet has none; GEOAPP_BASEMAP adds some), canvas rendering."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from folium.template import Template

from geoapp.maps import assets
from geoapp.maps.basemap import add_basemaps


class FitBounds(MacroElement):
    """Fit the map to bounds at once (folium's animates from the start zoom, and a
    gesture made during that animation is undone when it ends)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds | tojson }}, {animate: false});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "FitBounds"
        self.bounds = bounds


def base_map(bounds: tuple[float, float, float, float] | None, *, max_zoom: int = 20) -> folium.Map:
    """A map fitted to ``bounds`` (minx, miny, maxx, maxy in lon/lat)."""
    if bounds is None:
        bounds = (112.9, 27.9, 113.1, 28.1)
    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=13,
        tiles=None,
        max_zoom=max_zoom,  # tiles=None drops it; plugins need it
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,  # fit the town snugly
    )
    assets.localise(m, assets.map_js(), assets.map_css())
    FitBounds([[miny, minx], [maxy, maxx]]).add_to(m)
    add_basemaps(m)  # first of the tools: a GCJ-02 basemap shifts what the others draw
    return m
