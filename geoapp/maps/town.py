"""The town map: village boundaries, streets, houses by status, legend, layer control."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.domain.status import STATUS_COLOURS, STATUS_LABELS
from geoapp.domain.visits import FLAG_LABELS
from geoapp.maps.base import base_map
from geoapp.maps.collector import add_collector_tools
from geoapp.maps.layers import RemoteGeoJson
from geoapp.maps.legend import Legend
from geoapp.maps.moves import add_move_tools
from geoapp.maps.review import add_review_tools


def status_style() -> dict:
    return {
        "colours": {s.value: c for s, c in STATUS_COLOURS.items()},
        "labels": {s.value: gettext(label) for s, label in STATUS_LABELS.items()},
    }


def town_map(
    bounds,
    *,
    village_id: int | None = None,
    collect: bool = False,
    history: bool = False,
    review: bool = False,
    role: str | None = None,
    unit_id: int | None = None,
    decide_moves: bool = False,
) -> folium.Map:
    m = base_map(bounds)
    query = {"village": village_id} if village_id else {}
    RemoteGeoJson(
        url_for("api.villages"),
        gettext("Village boundaries"),
        "villages",
        preload=True,
        text={"code": gettext("Village code"), "houses": gettext("Houses collected / task")},
    ).add_to(m)
    RemoteGeoJson(
        url_for("api.streets"),
        gettext("Streets"),
        "streets",
        by_view=True,
        preload=True,
        text={"left": gettext("{name}: {n} left")},
    ).add_to(m)
    RemoteGeoJson(
        url_for("api.buildings", **query),
        gettext("Houses"),
        "buildings",
        by_view=True,
        preload=True,
        detailUrl=url_for("api.building", building_id=0).rsplit("0", 1)[0],
        historyUrl=url_for("audit.page") if history else None,
        status=status_style(),
        flags={f.value: gettext(label) for f, label in FLAG_LABELS.items()},
        text={
            "address": gettext("Address"),
            "status": gettext("Status"),
            "use": gettext("Use"),
            "floors": gettext("Floors"),
            "units": gettext("Units"),
            "reason": gettext("Returned because"),
            "flag": gettext("Visit proof"),
            "history": gettext("History of this record"),
            "truncated": gettext("Too many houses in view: zoom in to see them all."),
        },
    ).add_to(m)
    Legend(
        gettext("Collection status"),
        [(STATUS_COLOURS[s], gettext(label)) for s, label in STATUS_LABELS.items()],
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if collect:
        add_collector_tools(m, role, unit_id)
    if review:
        add_review_tools(m)
    if decide_moves:
        add_move_tools(m)
    return m
