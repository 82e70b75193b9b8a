"""The collector's phone with no signal: the queue of unsent submissions, its badge and
panel, the service worker's registration (``static/js/offline.js``, ``static/sw.js``)."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.domain.fields import FIELD_LABELS
from geoapp.domain.uses import USE_LABELS
from geoapp.maps import assets
from geoapp.maps.tools import ScriptTool

PREFETCH_LIMIT = 500  # uncollected houses' details kept for offline forms


def offline_options() -> dict:
    _ = gettext
    return {
        # Queued records are sent by the account that made them only (a shared phone): its
        # id is in the page (map.html), not here (the map is cached for every user of a role).
        "urls": {
            "worker": url_for("offline.service_worker"),
            "building": url_for("api.building", building_id=0)[:-1],
            "logout": url_for("auth.logout"),
        },
        "precache": [url_for("api.progress"), url_for("api.returned")],  # asked later, or not yet
        "prefetchLimit": PREFETCH_LIMIT,
        "uses": [[u.value, _(label)] for u, label in USE_LABELS.items()],
        "text": {
            "unsent": _("{n} not uploaded"),
            "needsYou": _("{n} need you"),
            "waiting": _("Waiting for the network"),
            "conflict": _("Changed by someone else meanwhile"),
            "held": _("Refused: needs a correction"),
            "close": _("Close"),
            "online": _("Network: connected. Unsent records go up by themselves."),
            "offlineNow": _(
                "Network: none. Records are kept on this phone and go up when the signal is back."
            ),
            "persisted": _("Storage on this phone: kept (the browser will not clear it by itself)."),
            "notPersisted": _(
                "Storage on this phone: not guaranteed (the browser may clear it when space runs low): save the unsent records to a file."
            ),
            "persistUnknown": _("Storage on this phone: unknown."),
            "compare": _("Compare"),
            "retry": _("Send again"),
            "discard": _("Discard"),
            "discardConfirm": _("Discard this record? It has not reached the server."),
            "sendNow": _("Send now"),
            "saveFile": _("Save to a file"),
            "loadFile": _("Load from a file"),
            "fileName": _("unsent-records-{date}"),
            "badFile": _("This file is not a list of unsent records."),
            "loaded": _("{n} records loaded from the file."),
            "loading": _("Loading…"),
            "part": _("Part"),
            "mine": _("Mine (on this phone)"),
            "theirs": _("On the server now"),
            "keepMine": _("Keep mine"),
            "takeTheirs": _("Take theirs"),
            "editAgain": _("Edit"),
            "compareOffline": _("The server's version needs the network: try again with a signal."),
            "uploaded": _("{n} records uploaded."),
            "savedOnPhone": _("No network: saved on this phone, it goes up when the signal is back."),
            "noWorker": _("Offline use is not available in this browser:"),
            "households": _("Households"),
            "units": _("Units"),
            "f": {key: _(label) for key, label in FIELD_LABELS.items()},
        },
    }


def add_offline_tools(m: folium.Map) -> None:
    css = [("geoapp_offline_css", assets.static("css/offline.css"))]
    ScriptTool("offline", "offline.js", offline_options(), helpers=("geoapp-time.js",), css=css).add_to(m)
