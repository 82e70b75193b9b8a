"""One folium element for the app's own map tools: it loads one of our scripts from
``static/js`` and calls ``geoapp.<function>(map, options)`` once the map exists."""

from __future__ import annotations

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geoapp.maps import assets


class ScriptTool(JSCSSMixin, MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
            geoapp.{{ this.function }}({{ this._parent.get_name() }}, {{ this.options | tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, script: str, options: dict, helpers: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._name = f"ScriptTool_{function}"
        self.function = function
        self.options = options
        scripts = [
            (f"geoapp_{h.removesuffix('.js')}", assets.static(f"js/{h}")) for h in helpers
        ]  # loaded first
        assets.localise(self, [*scripts, (f"geoapp_{function}", assets.static(f"js/{script}"))], [])
