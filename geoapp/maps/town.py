"""The town map: the layers of the registry (``domain/layers.py``) the user's role sees,
each fetched from its own endpoint and drawn as its entry says; legend, layer control
and the role's tools."""

from __future__ import annotations

from collections.abc import Hashable

import folium
from flask import url_for
from flask_babel import gettext
from markupsafe import escape

from geoapp.domain.i18n import N_
from geoapp.domain.layers import MAP_LAYERS, LayerSpec, spec, status_legend
from geoapp.domain.roles import Role
from geoapp.domain.status import STATUS_COLOURS, STATUS_LABELS
from geoapp.domain.uses import UNIT_KIND_LABELS
from geoapp.domain.visits import FLAG_LABELS
from geoapp.maps.base import base_map
from geoapp.maps.blocks import add_block_editor
from geoapp.maps.collector import add_collector_tools
from geoapp.maps.layers import RemoteGeoJson
from geoapp.maps.legend import Legend
from geoapp.maps.moves import add_move_tools
from geoapp.maps.render import MapCache, MapParts
from geoapp.maps.review import add_review_tools
from geoapp.maps.units import add_unit_tools


def status_style() -> dict:
    return {
        "order": [s.value for s in STATUS_COLOURS],  # JSON objects lose their order on the way
        "colours": {s.value: c for s, c in STATUS_COLOURS.items()},
        "labels": {s.value: gettext(label) for s, label in STATUS_LABELS.items()},
    }


BIN_ZOOM = 14  # below it, a map too large to load whole shows squares counting the houses
COUNTY_ZOOM = 11  # at or below it (many villages in view), each village coloured by its progress
BIN_STEPS = (  # share of a square's houses collected: from, colour, label
    (0.0, "#d7301f", N_("Collected: under 25%")),
    (0.25, "#fc8d59", N_("Collected: 25–50%")),
    (0.5, "#fee08b", N_("Collected: 50–75%")),
    (0.75, "#91cf60", N_("Collected: 75–99%")),
    (1.0, "#1a9850", N_("All collected")),
)


def bin_options() -> dict:
    """The squares drawn instead of the houses when a view holds too many (``api.building_bins``)."""
    return {
        "url": url_for("api.building_bins"),
        "zoom": BIN_ZOOM,
        "steps": [{"from": f, "colour": c, "label": gettext(label)} for f, c, label in BIN_STEPS],
        "text": {
            "title": gettext("Houses per square: share collected"),
            "cell": gettext("{n} houses: {c} collected, {v} verified"),
            "zoomIn": gettext("Squares count the houses: zoom in to see each one."),
        },
        "county": {  # static/js/geoapp-county.js
            "url": url_for("api.village_progress"),
            "zoom": COUNTY_ZOOM,
            "text": {
                "title": gettext("Villages: share of the house task collected"),
                "noTask": gettext("No task number"),
                "village": gettext("{name}: {c} of {task} houses collected ({share}%), {v} verified"),
                "villageNoTask": gettext("{name}: {c} houses collected, {v} verified (no task number)"),
                "zoomIn": gettext("Villages coloured by progress: zoom in to count the houses."),
            },
        },
    }


def _popup_options(layer: LayerSpec, history: bool) -> dict:
    """What each kind of popup needs besides the layer's own entry."""
    _ = gettext
    if layer.popup == "building":
        return {
            "detailUrl": url_for("api.building", building_id=0).rsplit("0", 1)[0],
            "historyUrl": url_for("audit.page") if history else None,
            "status": status_style(),
            "flags": {f.value: _(label) for f, label in FLAG_LABELS.items()},
            "text": {
                "address": _("Address"),
                "status": _("Status"),
                "use": _("Use"),
                "floors": _("Floors"),
                "units": _("Units"),
                "reason": _("Returned because"),
                "flag": _("Visit proof"),
                "history": _("History of this record"),
                "truncated": _("Too many houses in view: zoom in to see them all."),
            },
            "bins": bin_options() if layer.by_view else None,
        }
    if layer.popup == "unit":
        return {
            "detailUrl": url_for("api.unit", unit_id=0).rsplit("0", 1)[0],
            "historyUrl": url_for("audit.page") if history else None,
            "recordUrl": url_for("units.page"),
            "status": status_style(),
            "text": {
                "uscc": _("Credit code"),
                "kind": _("Kind"),
                "staff": _("Staff"),
                "staffValue": _("{declared} declared, {registered} registered"),
                "building": _("Building"),
                "status": _("Status"),
                "record": _("Record in the units register"),
                "history": _("History of this record"),
                "none": _("none"),
            },
        }
    if layer.popup == "block":
        return {
            "text": {
                "street": _("Street"),
                "houses": _("Houses collected / verified / all"),
                "units": _("Units collected / verified / all"),
                "officer": _("Officer"),
                "due": _("Due"),
                "daysLeft": _("{n} days left"),
                "overdue": _("Overdue by {n} days"),
                "none": _("not assigned"),
                "unnamed": _("Unnamed road"),
            },
        }
    if layer.name == "streets":
        return {"text": {"left": _("{name}: {n} left"), "unnamed": _("Unnamed road")}}
    if layer.name == "villages":
        return {"text": {"code": _("Village code"), "houses": _("Houses collected / task")}}
    return {}


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
    layer_query: dict[str, dict] | None = None,
    block_editor: bool = False,
    block_officers: list[tuple[str, str]] | None = None,
) -> folium.Map:
    m = base_map(bounds)
    layers = [spec(name) for name in MAP_LAYERS]
    layers = [layer for layer in layers if role is None or Role(role) in layer.map_roles]
    for layer in layers:
        query = dict(layer.query) | (layer_query or {}).get(layer.name, {})
        if layer.name == "buildings":
            query["compact"] = 1  # columns drawn by one canvas layer (geoapp-map.js HouseCloud)
            if village_id:
                query["village"] = village_id
        style = layer.style
        url = url_for(layer.endpoint, **query)
        if layer.name == "buildings":  # the largest answer: asked for before anything else on the page
            link = f'<link rel="preload" href="{escape(url)}" as="fetch" crossorigin="anonymous">'
            m.get_root().header.add_child(folium.Element(link), name="preload_houses", index=0)
        RemoteGeoJson(
            url,
            gettext(layer.label),
            layer.map_kind,
            by_view=layer.by_view,
            preload=layer.name != "buildings",
            popup=layer.popup,
            symbol=style.symbol if style else None,
            **_popup_options(layer, history),
        ).add_to(m)
    Legend(gettext("Collection status"), [(c, gettext(label)) for c, label in status_legend()]).add_to(m)
    unit_layers = [layer for layer in layers if layer.popup == "unit"]
    folium.LayerControl(collapsed=True).add_to(m)
    if unit_layers:
        add_unit_tools(
            m,
            layers=[
                {"kind": layer.map_kind, "label": gettext(layer.label), "symbol": layer.style.symbol}
                for layer in unit_layers
            ],
            kinds={k.value: gettext(label) for k, label in UNIT_KIND_LABELS.items()},
            status=status_style(),
            editor=role in (Role.OFFICER.value, Role.ADMIN.value),
        )
    if collect:
        add_collector_tools(m, role, unit_id)
    if review:
        add_review_tools(m)
    if decide_moves:
        add_move_tools(m)
    if block_editor:
        add_block_editor(m, block_officers)
    return m


def _frozen(value):
    """A hashable copy of an argument (lists of lists become tuples of tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def town_map_page(cache: MapCache, bounds, nonce: str, *, context: Hashable, **options) -> MapParts:
    """The town map through the app's page cache: keyed on every argument ``town_map`` is
    built from, plus ``context`` (what else the rendering reads: the app's settings, the
    language, the script root), so that no input can be left out of the key."""
    key = ("town", context, _frozen(bounds), tuple(sorted((k, _frozen(v)) for k, v in options.items())))
    return cache.parts(key, lambda: town_map(bounds, **options), nonce)
