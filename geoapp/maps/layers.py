"""Layers that fetch GeoJSON from the app's endpoints (drawn on a canvas)."""

from __future__ import annotations

from folium.map import Layer
from folium.template import Template


class RemoteGeoJson(Layer):
    """A GeoJSON layer loaded by ``static/js/geoapp-map.js`` from ``url``.

    ``kind`` selects styling and popups there (villages, streets, buildings);
    ``by_view`` reloads the layer for the map's view (``bbox=``) as it moves.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = geoapp.remoteLayer(
                {{ this._parent.get_name() }}, {{ this.options | tojson }}
            );
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self, url: str, name: str, kind: str, *, by_view: bool = False, show: bool = True, **options
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "RemoteGeoJson"
        self.options = {"url": url, "kind": kind, "byView": by_view, **options}
