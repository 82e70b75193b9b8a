"""The station's unit tools on the map and in the units register (``static/js/units.js``):
the unit layers' legend with counts, a unit opened from a link (``#unit=…``), placing a
unit on the map (``#place=…``) and the unit editor (register, edit, staff)."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.domain.fields import FIELD_LABELS
from geoapp.maps import assets
from geoapp.maps.tools import ScriptTool


def unit_options(*, kinds: dict, status: dict, layers: list | None = None, editor: bool = True) -> dict:
    _ = gettext
    return {
        "editor": editor,
        "layers": layers or [],
        "kinds": [[k, label] for k, label in kinds.items()],
        "status": status,
        "urls": {
            "units": url_for("units.create"),  # POST: register; /<id> GET, PATCH; /<id>/place POST
            "people": url_for("api.people_list"),
            "map": url_for("pages.town"),
        },
        "labels": {f: _(FIELD_LABELS[f]) for f in ("name", "uscc", "kind", "legal_rep", "phone", "staff")},
        "text": {
            "legendTitle": _("Units on the map"),
            "total": _("Total"),
            "newUnit": _("Register a unit"),
            "editUnit": _("Edit unit"),
            "registerHere": _("Register a unit in this house"),
            "edit": _("Edit"),
            "save": _("Save"),
            "cancel": _("Cancel"),
            "close": _("Close"),
            "saved": _("Saved."),
            "reload": _("Reload"),
            "phoneKept": _("Leave empty to keep %(phone)s"),
            "staffPeople": _("Staff registered (people)"),
            "staffNone": _("Nobody is registered as staff yet."),
            "remove": _("Remove"),
            "add": _("Add"),
            "find": _("Find"),
            "findHint": _("Name or full ID number"),
            "noMatch": _("Nobody found."),
            "fixErrors": _("Correct the fields marked below."),
            "placeTitle": _(
                "Place {name} on the map: click its building, or the point where it stands (a new building is made there)."
            ),
            "placeBuilding": _("Put it into house #{id}"),
            "placePoint": _("Make a new building at this point"),
            "placed": _("{name} is placed."),
            "unplaced": _("Not yet placed on the map"),
        },
    }


def add_unit_tools(m: folium.Map, *, layers: list, kinds: dict, status: dict, editor: bool) -> None:
    options = unit_options(kinds=kinds, status=status, layers=layers, editor=editor)
    css = [("geoapp_units_css", assets.static("css/units.css"))]  # the editor's dialog
    ScriptTool("units", "units.js", options, css=css).add_to(m)
