"""The leaders' map: villages coloured by a rate (choropleth, labelled), a heatmap of the
houses still uncollected (folium's HeatMap plugin on Leaflet.heat, served locally), the
legend, and the page's behaviour (``static/js/leaders.js``): the ranking table, the
village card, the progress chart (Chart.js, served locally) and the as-of date.

No town data is written into the page: the script fetches ``/api/villages.geojson``
(outlines), ``/api/coverage?forecast=1`` (the rows with their forecasts),
``/api/coverage/progress`` and ``/api/heat``.
"""

from __future__ import annotations

from urllib.parse import quote

import folium
from branca.element import MacroElement
from flask import url_for
from flask_babel import gettext
from folium.map import Layer
from folium.plugins import HeatMap
from folium.template import Template

from geoapp.domain.calendar import Campaign
from geoapp.domain.forecast import DEFINITION as FORECAST_DEFINITION
from geoapp.domain.forecast import OUTLOOK_LABELS
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import KIND_LABELS
from geoapp.maps import assets
from geoapp.maps.base import base_map
from geoapp.services.reports.layout import COLUMNS, NAME_HEADER, STAGE_LABELS

RATES = ("collection_rate", "timeliness_rate", "accuracy_rate")
RATE_LABELS = {
    "collection_rate": N_("Collection rate"),
    "timeliness_rate": N_("Timeliness rate"),
    "accuracy_rate": N_("Accuracy rate"),
}
STAGE_NAMES = (N_("Stage 1"), N_("Stage 2"))
# Class breaks of the choropleth (lower bound, colour), from red (behind) to green (done):
# 0–20–40–60–80–100 %, and the task reached (100 %) apart. The printable map uses them too.
CLASSES: tuple[tuple[float, str], ...] = (
    (0.0, "#d73027"),
    (0.2, "#fc8d59"),
    (0.4, "#fee08b"),
    (0.6, "#d9ef8b"),
    (0.8, "#91cf60"),
    (1.0, "#1a9850"),
)
NO_DATA_COLOUR = "#bdbdbd"
HEAT_GRADIENT = {0.3: "#2c7bb6", 0.55: "#ffffbf", 0.8: "#fdae61", 1.0: "#d7191c"}


def class_colour(value: float | None) -> str:
    """The colour of a rate (0..1; None: no task or nothing to measure)."""
    if value is None:
        return NO_DATA_COLOUR
    colour = CLASSES[0][1]
    for lower, c in CLASSES:
        if value >= lower - 1e-9:
            colour = c
    return colour


class CoverageLayer(Layer):
    """The villages, coloured by the chosen rate and labelled; filled by the page script."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = geoapp.leaders.choropleth({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "CoverageLayer"


class LeadersPage(MacroElement):
    """Starts the page script once the map and its two layers exist."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            geoapp.leaders.page({{ this._parent.get_name() }}, {{ this.choropleth.get_name() }},
                {{ this.heat.get_name() }}, {{ this.options | tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, choropleth: Layer, heat: Layer, options: dict):
        super().__init__()
        self._name = "LeadersPage"
        self.choropleth = choropleth
        self.heat = heat
        self.options = options


def leaders_js() -> list[tuple[str, str]]:
    return [
        *assets.map_js(),
        ("chart_js", assets.vendor("chart.js", "dist/chart.umd.js")),
        ("geoapp_leaders", assets.static("js/leaders.js")),
    ]


def leaders_css() -> list[tuple[str, str]]:
    return [*assets.map_css(), ("geoapp_leaders_css", assets.static("css/leaders.css"))]


def leaders_map(bounds, options: dict) -> folium.Map:
    """The map and the page script; ``options``: ``page_options(...)``."""
    m = base_map(bounds)
    assets.localise(m, leaders_js(), leaders_css())
    choropleth = CoverageLayer(gettext("Villages by rate")).add_to(m)
    heat = HeatMap(
        [],
        name=gettext("Uncollected houses (heatmap)"),
        show=False,
        radius=12,
        blur=14,
        min_opacity=0.35,
        max_zoom=16,
        max=3,  # a few houses left close together are already "hot"
        gradient=HEAT_GRADIENT,
    )
    assets.localise(heat, [("leaflet-heat.js", assets.vendor("leaflet.heat", "dist/leaflet-heat.js"))], [])
    heat.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    LeadersPage(choropleth, heat, options).add_to(m)
    return m


def with_query(url: str, params: list[tuple[str, object]]) -> str:
    """``url?k=v&…`` as ``static/js/leaders.js`` writes it (``withQuery``): in this order,
    empty values left out, encoded as ``encodeURIComponent`` does."""
    query = "&".join(
        f"{quote(k, safe=_JS_SAFE)}={quote(str(v), safe=_JS_SAFE)}" for k, v in params if v not in (None, "")
    )
    return f"{url}?{query}" if query else url


_JS_SAFE = "-_.!~*'()"


def first_requests(state: dict) -> list[str]:
    """What the page script asks for first, to preload while the scripts load: the same
    addresses, so that the browser hands the answers over."""
    query = [("kind", state["kind"]), ("as_of", state["as_of"])]
    return [
        url_for("api.villages"),
        with_query(url_for("reports.coverage_api"), [*query, ("forecast", 1)]),
        with_query(url_for("leaders.progress_api"), [*query, ("village", state["village"])]),
    ]


def _stage_targets(campaign: Campaign) -> list[dict]:
    return [
        {"end": s.end.isoformat(), "target": s.target, "label": gettext(label)}
        for s, label in zip(campaign.collection_stages, STAGE_NAMES, strict=True)
    ]


def page_options(campaign: Campaign, state: dict) -> dict:
    """What the page script needs besides the data: addresses, labels, classes, the state."""
    _ = gettext
    columns = [{"key": c.key, "label": _(c.header), "kind": c.kind} for c in COLUMNS]
    return {
        "state": state,
        "urls": {
            "villages": url_for("api.villages"),
            "coverage": url_for("reports.coverage_api"),
            "progress": url_for("leaders.progress_api"),
            "heat": url_for("leaders.heat_api"),
            "page": url_for("leaders.page"),
            "townMap": url_for("pages.town"),
            "workbook": url_for("reports.coverage_xlsx"),
            "print": url_for("reports.coverage_print"),
        },
        "campaign": {
            "start": campaign.collection_start.isoformat(),
            "end": campaign.end.isoformat(),
            "stages": _stage_targets(campaign),
            "onTime": campaign.on_time_threshold,
            "quality": campaign.quality_threshold,
        },
        "classes": [{"lower": lower, "colour": colour} for lower, colour in CLASSES],
        "noData": NO_DATA_COLOUR,
        "kinds": {k: _(label) for k, label in KIND_LABELS.items()},
        "rates": {k: _(label) for k, label in RATE_LABELS.items()},
        "columns": columns,
        "stageLabels": {k: _(label) for k, label in STAGE_LABELS.items()},
        "outlooks": {o.value: _(label) for o, label in OUTLOOK_LABELS.items()},
        "text": {
            "name": _(NAME_HEADER),
            "rank": _("Rank"),
            "forecast": _("Forecast"),
            "forecastDefinition": _(FORECAST_DEFINITION),
            "forecastNote": _("%(name)s: %(pace)s a day over the last %(days)s days; %(outcome)s."),
            "outcomeReached": _("the target is reached"),
            "outcomeStalled": _("no progress, so no date"),
            "outcomeFar": _("not within ten years at this pace"),
            "outcomeOnTime": _("reaches the target on %(date)s, by the deadline %(deadline)s"),
            "outcomeLate": _("reaches the target on %(date)s, after the deadline %(deadline)s"),
            "pace": _("%(pace)s a day over the last %(days)s days"),
            "noTask": _("No task"),
            "undecided": _("Decided from the stage 2 deadline on"),
            "plan": _("Work plan"),
            "asOf": _("As of %(date)s"),
            "target": _("%(stage)s target %(share)s by %(date)s"),
            "onTimeTarget": _("On time from %(share)s"),
            "qualityTarget": _("Quality from %(share)s"),
            "legendTitle": _("%(rate)s, %(kind)s"),
            "noData": _("No task or nothing to measure"),
            "openMap": _("Open this village's map"),
            "pickVillage": _("Click a village on the map or in the table to see its figures."),
            "chartTitle": _("Collected, share of the task"),
            "chartCounts": _("Collected (no task set for this kind)"),
            "forecastLine": _("Forecast at the last 7 days' pace"),
            "loading": _("Loading…"),
            "failed": _("Could not load the figures: %(error)s"),
            "heatCount": _("%(n)s houses not collected as of %(date)s"),
        },
    }
