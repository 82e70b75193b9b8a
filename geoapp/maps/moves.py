"""Pending moves in a house's popup: who asked to move in or out, and, for the station
or the village the person lives in, confirm or reject (``static/js/moves.js``)."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.maps.tools import ScriptTool


def move_options() -> dict:
    _ = gettext
    return {
        "url": url_for("api.move_decision", move_id=0)[: -len("0/decision")],
        "text": {
            "title": _("Pending moves"),
            "movingIn": _("Asked to move in"),
            "movingOut": _("Asked to move out to"),
            "unknownOrigin": _("registered elsewhere in the town"),
            "confirm": _("Confirm the move"),
            "reject": _("Reject"),
            "confirmReject": _("Reject with this reason"),
            "reasonHint": _("Why is the move rejected?"),
            "confirmed": _("Move confirmed"),
            "rejected": _("Move rejected"),
        },
    }


def add_move_tools(m: folium.Map) -> None:
    ScriptTool("moves", "moves.js", move_options()).add_to(m)
