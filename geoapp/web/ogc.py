"""OGC API – Features at ``/ogc`` (QGIS, GDAL's OAPIF driver, a browser): a thin adapter
over ``services/gis_io/ogc.py``, which produces the answers as data; here they are
rendered as JSON/GeoJSON or HTML (``f=json|html``, else by the Accept header)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from geoapp.domain.i18n import N_
from geoapp.domain.roles import ALL_ROLES
from geoapp.domain.status import STATUS_LABELS
from geoapp.domain.uses import UNIT_KIND_LABELS
from geoapp.i18n import translate
from geoapp.services.gis_io import ogc
from geoapp.web.access import access, require_scope
from geoapp.web.context import read_session
from geoapp.web.labels import use_label
from geoapp.web.parsing import parse_bbox, parse_choice, parse_int

bp = Blueprint("ogc", __name__, url_prefix="/ogc")


def _format() -> str:
    best = request.accept_mimetypes.best_match([ogc.GEOJSON, ogc.JSON, ogc.HTML], default=ogc.JSON)
    return parse_choice("f", ("json", "html"), "html" if best == ogc.HTML else "json")


def _base() -> str:
    return request.url_root.rstrip("/")


def _crs(name: str) -> str:
    return parse_choice(name, ogc.CRS_LIST, ogc.CRS84)


def _json(data: dict | bytes, mimetype: str = ogc.JSON, crs: str | None = None) -> Response:
    import orjson

    payload = data if isinstance(data, bytes) else orjson.dumps(data)
    response = Response(payload, mimetype=mimetype)
    if crs is not None:
        response.headers["Content-Crs"] = f"<{crs}>"
    return response


GEOMETRY_NAMES = {
    "Point": N_("Point"),
    "LineString": N_("Line"),
    "MultiLineString": N_("Lines"),
    "Polygon": N_("Area"),
    "MultiPolygon": N_("Areas"),
}


def _page(page: str, **context) -> str:
    names = {k: translate(v) for k, v in GEOMETRY_NAMES.items()}
    return render_template("ogc.html", page=page, geometry_names=names, **context)


@bp.get("")
@access(*ALL_ROLES)
def landing():
    answer = ogc.landing(_base(), translate)
    return _page("landing", doc=answer) if _format() == "html" else _json(answer)


@bp.get("/conformance")
@access(*ALL_ROLES)
def conformance():
    answer = ogc.conformance()
    return _page("conformance", doc=answer) if _format() == "html" else _json(answer)


@bp.get("/collections")
@access(*ALL_ROLES)
def collections():
    answer = ogc.collections(read_session(), require_scope(), _base(), translate)
    return _page("collections", doc=answer) if _format() == "html" else _json(answer)


@bp.get("/collections/<name>")
@access(*ALL_ROLES)
def collection(name: str):
    answer = ogc.collection(read_session(), require_scope(), name, _base(), translate)
    return _page("collection", doc=answer) if _format() == "html" else _json(answer)


# Property names and codes as the HTML page shows them.
PROPERTY_LABELS: dict[str, str] = {
    "code": N_("Code"),
    "name": N_("Name"),
    "task_people": N_("People (task)"),
    "task_houses": N_("Houses (task)"),
    "task_units": N_("Units (task)"),
    "houses": N_("Houses"),
    "collected": N_("Collected"),
    "verified": N_("Verified"),
    "progress": N_("Progress"),
    "kind": N_("Kind"),
    "uncollected": N_("Uncollected"),
    "address": N_("Address"),
    "door_no": N_("Door number"),
    "street": N_("Street"),
    "village_id": N_("Village number"),
    "village": N_("Village"),
    "use": N_("Use"),
    "floors": N_("Floors"),
    "structure": N_("Structure"),
    "status": N_("Status"),
    "uscc": N_("Credit code"),
    "staff": N_("Staff"),
    "building_id": N_("House number"),
}
STREET_KINDS = {"main": N_("Main road"), "market": N_("Market street"), "lane": N_("Lane")}


def _shown(name: str, key: str, value):
    if value is None:
        return ""
    if key == "status":
        return translate(STATUS_LABELS.get(value, value))
    if key == "use":
        return use_label(value)
    if key == "kind" and name == "streets":
        return translate(STREET_KINDS.get(value, value))
    if key == "kind":
        return translate(UNIT_KIND_LABELS.get(value, value))
    if key == "progress":
        return f"{value:.0%}"
    return value


def _labelled(page: ogc.Page) -> list[list[tuple[str, object]]]:
    """Each feature's properties as (label, value) pairs, codes in words."""
    return [
        [(translate(PROPERTY_LABELS.get(k, k)), _shown(page.collection, k, v)) for k, v in props.items()]
        for props in page.properties
    ]


@bp.get("/collections/<name>/items")
@access(*ALL_ROLES)
def items(name: str):
    fmt = _format()
    offset = parse_int("offset", 0, low=0)
    crs, bbox_crs = _crs("crs"), _crs("bbox-crs")
    bbox = request.args.get("bbox")
    if bbox and bbox_crs in ogc.LAT_LON:  # latitude first: check it as such, pass it on as given
        lat_lon = parse_bbox(
            ",".join(bbox.split(",")[i] for i in (1, 0, 3, 2)) if bbox.count(",") == 3 else bbox
        )
        box = (lat_lon[1], lat_lon[0], lat_lon[3], lat_lon[2])
    else:
        box = parse_bbox(bbox)
    page = ogc.items(
        read_session(),
        require_scope(),
        name,
        _base(),
        bbox=box,
        bbox_crs=bbox_crs,
        limit=min(parse_int("limit", ogc.DEFAULT_LIMIT), ogc.MAX_LIMIT),
        offset=offset,
        crs=crs,
        fmt=fmt,
    )
    if fmt == "html":
        first, last = (offset + 1 if page.returned else 0), offset + page.returned
        return _page("items", items=page, shown=_labelled(page), title=_title(name), first=first, last=last)
    return _json(page.geojson(), ogc.GEOJSON, crs)


@bp.get("/collections/<name>/items/<int:feature_id>")
@access(*ALL_ROLES)
def item(name: str, feature_id: int):
    crs = _crs("crs")
    page = ogc.item(read_session(), require_scope(), name, feature_id, _base(), crs=crs)
    if _format() == "html":
        return _page("item", items=page, shown=_labelled(page), title=_title(name))
    return _json(page.geojson(single=True), ogc.GEOJSON, crs)


def _title(name: str) -> str:
    return translate(ogc.offered()[name].spec.label)
