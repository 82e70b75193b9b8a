"""A legend control listing colours and labels (labels are set as text, not HTML)."""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template


class Legend(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
            geoapp.legend({{ this._parent.get_name() }}, {{ this.options | tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, items: list[tuple[str, str]], position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.options = {
            "title": title,
            "items": [{"colour": c, "label": label} for c, label in items],
            "position": position,
        }
