"""Layers that fetch GeoJSON from the app's endpoints (drawn on a canvas)."""

from __future__ import annotations

from folium.map import Layer
from folium.template import Template


class RemoteGeoJson(Layer):
    """A GeoJSON layer loaded by ``static/js/geoapp-map.js`` from ``url``.

    ``kind`` selects styling and popups there (villages, streets, buildings).
    The whole layer is asked for first; with ``by_view``, a layer too large for
    one answer is then loaded for the map's view (``bbox=``) as it moves.
    ``preload`` lets the browser fetch the layer while the page's scripts load.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            {% if this.preload %}<link rel="preload" href="{{ this.options.url }}" as="fetch" crossorigin="anonymous">{% endif %}
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = geoapp.remoteLayer(
                {{ this._parent.get_name() }}, {{ this.options | tojson }}
            );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        name: str,
        kind: str,
        *,
        by_view: bool = False,
        show: bool = True,
        preload: bool = False,
        **options,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)  # Layer adds it to the map
        self._name = "RemoteGeoJson"
        self.preload = preload
        self.options = {"url": url, "kind": kind, "byView": by_view, **options}
