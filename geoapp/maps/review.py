"""Officers' review tools on the map: verify a collected house or return it
(``static/js/review.js``)."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from flask import url_for
from flask_babel import gettext
from folium.elements import JSCSSMixin
from folium.template import Template

from geoapp.maps import assets


class ReviewTools(JSCSSMixin, MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
            geoapp.reviewer({{ this._parent.get_name() }}, {{ this.options | tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict):
        super().__init__()
        self._name = "ReviewTools"
        self.options = options
        assets.localise(self, [("geoapp_review", assets.static("js/review.js"))], [])


def review_options() -> dict:
    _ = gettext
    return {
        "url": url_for("api.review_house", building_id=0)[: -len("0/review")],
        "text": {
            "verify": _("Verify"),
            "giveBack": _("Return for correction"),
            "confirmReturn": _("Return with this reason"),
            "reasonHint": _("What must the collector correct?"),
            "visitChecked": _("I checked this flagged visit"),
        },
    }


def add_review_tools(m: folium.Map) -> None:
    ReviewTools(review_options()).add_to(m)
