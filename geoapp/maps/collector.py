"""The collector's tools on the map: locate me, counts, next houses, returned records,
and the house form (``static/js/collect.js``)."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext
from folium.plugins import LocateControl
from folium.template import Template

from geoapp.domain.fields import FIELD_LABELS
from geoapp.domain.i18n import N_
from geoapp.domain.uses import UNIT_KIND_LABELS, USE_LABELS
from geoapp.domain.validators import ID_TYPES, RELATIONS
from geoapp.maps import assets
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
            "f": {key: _(label) for key, label in FIELD_LABELS.items()},
        },
    }


class CanvasLocateControl(LocateControl):
    """folium's LocateControl drawing the position as a canvas circle: the plugin's
    default SVG marker carries inline styles, which the Content-Security-Policy refuses."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control.locate(
                Object.assign({{ this.options | tojson }}, {markerClass: L.CircleMarker})
            ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def add_collector_tools(m: folium.Map, role: str | None = None, unit_id: int | None = None) -> None:
    locate = CanvasLocateControl(
        position="topleft",
        strings={"title": gettext("Show where I am")},
        locateOptions={"enableHighAccuracy": True, "maxZoom": 18},
        flyTo=False,
        keepCurrentZoomLevel=False,
        showCompass=False,
        icon="geoapp-locate-icon",
        iconLoading="geoapp-locate-icon loading",
        markerStyle={"color": "#136aec", "fillColor": "#2a93ee", "fillOpacity": 1, "weight": 3, "radius": 8},
    )
    assets.localise(locate, assets.locate_js(), assets.locate_css())
    locate.add_to(m)
    ScriptTool("collector", "collect.js", collector_options(role, unit_id)).add_to(m)
