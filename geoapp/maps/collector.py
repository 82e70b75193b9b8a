"""The collector's tools on the map: locate me, counts, next houses, returned records,
and the house form (``static/js/collect.js``)."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.domain.fields import FIELD_LABELS
from geoapp.domain.i18n import N_
from geoapp.domain.uses import UNIT_KIND_LABELS, USE_LABELS
from geoapp.domain.validators import ID_TYPES, RELATIONS
from geoapp.domain.visits import FLAG_LABELS
from geoapp.maps import assets
from geoapp.maps.offline import add_offline_tools
from geoapp.maps.tools import ScriptTool

ID_TYPE_LABELS = {
    "resident_id": N_("Resident ID card"),
    "passport": N_("Passport"),
    "hk_macao_taiwan": N_("Hong Kong, Macao or Taiwan permit"),
    "foreign_permit": N_("Foreign resident permit"),
    "other": N_("Other document"),
}
RESIDENCE_LABELS = {
    "registered": N_("Registered resident"),
    "floating": N_("Floating population"),
    "foreign": N_("Foreign national"),
}


def collector_options(role: str | None = None, unit_id: int | None = None) -> dict:
    _ = gettext
    return {
        "role": role,
        "unitId": unit_id,
        "urls": {
            "people": url_for("api.person", person_id=0)[:-1],
            "progress": url_for("api.progress"),
            "next": url_for("api.next_houses"),
            "returned": url_for("api.returned"),
            "building": url_for("api.building", building_id=0)[:-1],
        },
        "relations": list(RELATIONS),
        "idTypes": [[k, _(ID_TYPE_LABELS[k])] for k in ID_TYPES],
        "residenceTypes": [[k, _(v)] for k, v in RESIDENCE_LABELS.items()],
        "uses": [[u.value, _(label)] for u, label in USE_LABELS.items()],
        "flags": {f.value: _(label) for f, label in FLAG_LABELS.items()},
        "unitKinds": [[k.value, _(label)] for k, label in UNIT_KIND_LABELS.items()],
        "text": {
            "houses": _("Houses"),
            "people": _("People"),
            "households": _("Households"),
            "returned": _("Returned"),
            "returnedTitle": _("Returned for correction"),
            "nearest": _("Nearest uncollected, in visiting order"),
            "straight": _("(straight line)"),
            "reason": _("Reason"),
            "register": _("Register"),
            "edit": _("Edit"),
            "person": _("Person"),
            "household": _("Household"),
            "unit": _("Unit"),
            "addPerson": _("Add a person"),
            "addHousehold": _("Add a household"),
            "addUnit": _("Add a unit"),
            "remove": _("Remove"),
            "submit": _("Submit"),
            "cancel": _("Cancel"),
            "locating": _("Getting your position…"),
            "sending": _("Sending…"),
            "male": _("male"),
            "female": _("female"),
            "idInvalid": _("This ID number fails its check digit or date: check it against the card."),
            "confirmMove": _("They live here now: move them"),
            "moveConfirmed": _("Will be moved here when you submit."),
            "requestMove": _("They live here now: ask for the move"),
            "moveRequested": _(
                "The move will be asked for when you submit; the station or their village confirms it."
            ),
            "showFullId": _("Show the full number"),
            "close": _("Close"),
            "none": _("None left here."),
            "walking": _("Walk"),
            "straightLine": _("Straight line"),
            "straightWhy": {
                "near": _("(close by: straight across)"),
                "off_network": _("(not on the street network)"),
            },
            "saved": _("Saved: {address}"),
            "stored": _("{households} household(s), {people} person(s), {units} unit(s) stored."),
            "storedEmpty": _("Stored as an empty house (nobody lives here)."),
            "queued": _(
                "Kept on this phone: it goes up by itself when there is signal; the visit is checked then."
            ),
            "pendingMoves": _("{n} move(s) wait for confirmation."),
            "replayed": _("(This was already stored: nothing was stored twice.)"),
            "visitProven": _("Visit proven: submitted {m} m from the house."),
            "visitFlagged": _("The visit is flagged: {why}."),
            "flagHelp": {
                "no_position": _(
                    "The phone gave no position (turn location on and allow this site to use it); "
                    "an officer will check the visit."
                ),
                "far": _("You were {m} m from the house when submitting; an officer will check the visit."),
                "vague": _("The phone's position was too imprecise; an officer will check the visit."),
            },
            "draftRestored": _("What you typed before was kept."),
            "discardDraft": _("Start again"),
            "f": {key: _(label) for key, label in FIELD_LABELS.items()},
        },
    }


def locate_options() -> dict:
    """The "show where I am" button (Leaflet.Locate), added by collect.js before its own tools;
    the position is drawn as a canvas circle (the plugin's default SVG marker carries inline
    styles, which the Content-Security-Policy refuses)."""
    return {
        "position": "topleft",
        "strings": {"title": gettext("Show where I am")},
        "locateOptions": {"enableHighAccuracy": True, "maxZoom": 18},
        "flyTo": False,
        "keepCurrentZoomLevel": False,
        "showCompass": False,
        "icon": "geoapp-locate-icon",
        "iconLoading": "geoapp-locate-icon loading",
        "markerStyle": {
            "color": "#136aec",
            "fillColor": "#2a93ee",
            "fillOpacity": 1,
            "weight": 3,
            "radius": 8,
        },
    }


def add_collector_tools(m: folium.Map, role: str | None = None, unit_id: int | None = None) -> None:
    options = {**collector_options(role, unit_id), "locate": locate_options()}
    tool = ScriptTool("collector", "collect.js", options, vendor=assets.locate_js(), css=assets.locate_css())
    tool.add_to(m)
    add_offline_tools(m)  # the queue of unsent submissions, the service worker (issue 11)
