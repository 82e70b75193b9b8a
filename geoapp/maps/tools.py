"""The app's own map tools as folium elements. A tool is one of our scripts in
``static/js`` whose ``geoapp.<function>(map, options)`` adds it to the map.

Most tools (the collector's form, review, units, blocks, moves, the offline queue) are
loaded after the houses are drawn: their files are listed in the call to ``geoapp.tool``
(``static/js/geoapp-map.js``), which fetches and runs them once the first frame of houses
is painted, so that none of them delays it. A tool the houses themselves need (the
basemap's coordinate system) is an ``EagerScriptTool``: its files are in the page's head."""

from __future__ import annotations

from collections.abc import Sequence

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geoapp.maps import assets


class ScriptTool(MacroElement):
    """The tool's files, in the order they run: ``vendor`` files (``(name, url)``, e.g. a
    Leaflet plugin), our ``helpers`` from ``static/js``, then its own ``script``; its style
    sheets ``css`` (``(name, url)``). Kept in ``default_js`` / ``default_css``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            geoapp.tool({{ this._parent.get_name() }}, {{ this.function | tojson }}, {{ this.options | tojson }},
                {{ this.js_urls | tojson }}, {{ this.css_urls | tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        function: str,
        script: str,
        options: dict,
        helpers: tuple[str, ...] = (),
        *,
        vendor: Sequence[tuple[str, str]] = (),
        css: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__()
        self._name = f"ScriptTool_{function}"
        self.function = function
        self.options = options
        ours = [
            (f"geoapp_{name.removesuffix('.js')}", assets.static(f"js/{name}")) for name in (*helpers, script)
        ]
        assets.localise(self, [*vendor, *ours], list(css))

    @property
    def js_urls(self) -> list[str]:
        return [url for _, url in self.default_js]

    @property
    def css_urls(self) -> list[str]:
        return [url for _, url in self.default_css]


class EagerScriptTool(JSCSSMixin, ScriptTool):
    """A tool whose files are in the page's head and whose function is called as the map is built."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            geoapp.{{ this.function }}({{ this._parent.get_name() }}, {{ this.options | tojson }});
        {% endmacro %}
        """
    )
