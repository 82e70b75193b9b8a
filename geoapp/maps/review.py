"""Officers' review tools on the map: verify a collected house or return it
(``static/js/review.js``)."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.maps.tools import ScriptTool


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
    ScriptTool("reviewer", "review.js", review_options()).add_to(m)
