"""OGC API – Features (Part 1 Core, GeoJSON, HTML; Part 2 CRS for CGCS2000) as plain data.

Framework-free like pygeoapi's core: each function takes the session, the caller's
scope and the request's already-checked values and returns dicts (or a
:class:`Page`); ``web/ogc.py`` renders them as JSON or HTML. The collections are the
layers of the registry that offer features (``LayerSource.features``), so a new layer
appears here by itself. Coordinates are stored as longitude/latitude (CGCS2000 and
WGS 84 agree to well under a metre in this country); asked for EPSG:4490 or EPSG:4326,
the answer is the same points in those CRSs' latitude/longitude axis order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import numpy as np
import orjson
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.errors import NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.layers import LayerSpec
from geoapp.domain.roles import Scope
from geoapp.services.gis_io.layers import map_bounds
from geoapp.services.gis_io.registry import SOURCES, LayerSource
from geoapp.store.spatial_index import BBox

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
CRS_LIST = (CRS84, CGCS2000, WGS84)
LAT_LON = frozenset({CGCS2000, WGS84})  # axis order latitude, longitude
STORAGE_CRS = CRS84
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
GEOJSON, JSON, HTML = "application/geo+json", "application/json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


@dataclass(frozen=True)
class Page:
    """One page of features: GeoJSON bytes for programs, rows for the HTML page."""

    collection: str
    matched: int
    ids: list[int]
    geometries: list[str]  # GeoJSON geometry text per feature
    geometry_types: list[str]
    properties: list[dict[str, Any]]
    links: list[dict[str, str]]
    crs: str
    timestamp: str

    @property
    def returned(self) -> int:
        return len(self.ids)

    def feature(self, i: int) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.ids[i],
            "geometry": orjson.Fragment(self.geometries[i]),
            "properties": self.properties[i],
        }

    def geojson(self, *, single: bool = False) -> bytes:
        if single:
            return orjson.dumps({**self.feature(0), "links": self.links})
        return orjson.dumps(
            {
                "type": "FeatureCollection",
                "features": [self.feature(i) for i in range(self.returned)],
                "numberMatched": self.matched,
                "numberReturned": self.returned,
                "timeStamp": self.timestamp,
                "links": self.links,
            }
        )


def _link(href: str, rel: str, kind: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": kind, "title": title}


def _url(base: str, path: str, **query: Any) -> str:
    query = {k: v for k, v in query.items() if v is not None}
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


def offered() -> dict[str, LayerSource]:
    """The registry's layers that offer features, in the registry's order."""
    return {name: src for name, src in SOURCES.items() if src.features is not None}


def _source(collection: str) -> LayerSource:
    src = offered().get(collection)
    if src is None:
        raise NotFound(N_("Collection %(id)s does not exist."), id=collection[:40])
    return src


def landing(base: str, translate) -> dict:
    return {
        "title": translate(N_("Yuping 三实 collection")),
        "description": translate(
            N_("Villages, streets, houses and units of the campaign (OGC API – Features).")
        ),
        "links": [
            _link(_url(base, "/ogc", f="json"), "self", JSON, "this document"),
            _link(_url(base, "/ogc", f="html"), "alternate", HTML, "this document as HTML"),
            _link(f"{base}/api/openapi.json", "service-desc", OPENAPI, "the API definition"),
            _link(_url(base, "/ogc/conformance", f="json"), "conformance", JSON, "conformance classes"),
            _link(_url(base, "/ogc/collections", f="json"), "data", JSON, "collections"),
        ],
    }


def conformance() -> dict:
    return {"conformsTo": list(CONFORMANCE)}


def _collection(spec: LayerSpec, base: str, extent: BBox | None, translate) -> dict:
    path = f"/ogc/collections/{spec.name}"
    out = {
        "id": spec.name,
        "title": translate(spec.label),
        "itemType": "feature",
        "crs": list(CRS_LIST),
        "storageCrs": STORAGE_CRS,
        "links": [
            _link(_url(base, path, f="json"), "self", JSON, "this collection"),
            _link(_url(base, path, f="html"), "alternate", HTML, "this collection as HTML"),
            _link(_url(base, f"{path}/items", f="json"), "items", GEOJSON, "items"),
            _link(_url(base, f"{path}/items", f="html"), "items", HTML, "items as HTML"),
        ],
    }
    if extent is not None:
        out["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return out


def collections(session: Session, scope: Scope, base: str, translate) -> dict:
    extent = map_bounds(session, scope)
    return {
        "collections": [_collection(src.spec, base, extent, translate) for src in offered().values()],
        "links": [
            _link(_url(base, "/ogc/collections", f="json"), "self", JSON, "collections"),
            _link(_url(base, "/ogc/collections", f="html"), "alternate", HTML, "collections as HTML"),
        ],
    }


def collection(session: Session, scope: Scope, name: str, base: str, translate) -> dict:
    return _collection(_source(name).spec, base, map_bounds(session, scope), translate)


def _to_storage_bbox(bbox: BBox, bbox_crs: str) -> BBox:
    if bbox_crs in LAT_LON:
        miny, minx, maxy, maxx = bbox
        return minx, miny, maxx, maxy
    return bbox


def _encode(rows: list, crs: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    if not rows:
        return [], [], []
    keys = list(rows[0]._mapping.keys())
    if "geom" in keys:
        geoms = shapely.from_wkb(np.asarray([r[1] for r in rows], dtype=object))
        first = 2
    else:  # a point from lon, lat
        xy = np.asarray([(r[1], r[2]) for r in rows], dtype=float)
        geoms = shapely.points(xy)
        first = 3
    if crs in LAT_LON:
        geoms = shapely.transform(geoms, lambda xy: xy[:, ::-1])
    text = shapely.to_geojson(geoms)
    types = shapely.get_type_id(geoms)
    props_at = keys[first:]
    props = [dict(zip(props_at, r[first:], strict=True)) for r in rows]
    for k in props_at:  # ratios: rounded floats (PostgreSQL's arithmetic gives Decimals)
        sample = next((p[k] for p in props if p[k] is not None), None)  # a column holds one type
        if isinstance(sample, (float, Decimal)):
            for p in props:
                p[k] = None if p[k] is None else round(float(p[k]), 4)
    names = {
        0: "Point",
        1: "LineString",
        3: "Polygon",
        4: "MultiPoint",
        5: "MultiLineString",
        6: "MultiPolygon",
    }
    return [str(t) if t is not None else "null" for t in text], [names.get(int(t), "") for t in types], props


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def items(
    session: Session,
    scope: Scope,
    name: str,
    base: str,
    *,
    bbox: BBox | None = None,
    bbox_crs: str = CRS84,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    crs: str = CRS84,
    fmt: str = "json",
) -> Page:
    """A page of a collection's features in the caller's scope, ordered by id, with
    ``numberMatched`` and next/prev links keeping the query."""
    src = _source(name)
    limit = max(1, min(limit, MAX_LIMIT))
    box = _to_storage_bbox(bbox, bbox_crs) if bbox is not None else None
    stmt = src.features(session, scope, bbox=box)
    page = stmt.order_by(stmt.selected_columns.id).limit(limit).offset(offset)
    rows = session.connection().execute(page).all()
    if 0 < len(rows) < limit or (offset == 0 and not rows):  # the last page: no count needed
        matched = offset + len(rows)
    else:
        matched = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    geoms, types, props = _encode(rows, crs)
    path = f"/ogc/collections/{name}/items"
    query = {
        "bbox": ",".join(repr(v) for v in bbox) if bbox is not None else None,
        "bbox-crs": bbox_crs if bbox is not None and bbox_crs != CRS84 else None,
        "crs": crs if crs != CRS84 else None,
    }
    links = [
        _link(_url(base, path, f="json", limit=limit, offset=offset, **query), "self", GEOJSON, "this page"),
        _link(_url(base, path, f="html", limit=limit, offset=offset, **query), "alternate", HTML, "as HTML"),
        _link(_url(base, f"/ogc/collections/{name}", f="json"), "collection", JSON, "the collection"),
    ]
    fmt_type = HTML if fmt == "html" else GEOJSON
    if offset + len(rows) < matched:
        links.append(_link(_url(base, path, f=fmt, limit=limit, offset=offset + limit, **query), "next", fmt_type, "next page"))  # fmt: skip
    if offset > 0:
        links.append(_link(_url(base, path, f=fmt, limit=limit, offset=max(0, offset - limit), **query), "prev", fmt_type, "previous page"))  # fmt: skip
    return Page(name, matched, [r.id for r in rows], geoms, types, props, links, crs, _now())


def item(session: Session, scope: Scope, name: str, feature_id: int, base: str, *, crs: str = CRS84) -> Page:
    """One feature; outside the caller's scope it does not exist."""
    src = _source(name)
    stmt = src.features(session, scope)
    rows = session.connection().execute(stmt.where(stmt.selected_columns.id == feature_id)).all()
    if not rows:
        raise NotFound(N_("Feature %(id)s does not exist."), id=feature_id)
    geoms, types, props = _encode(rows, crs)
    path = f"/ogc/collections/{name}/items/{feature_id}"
    query = {"crs": crs if crs != CRS84 else None}
    links = [
        _link(_url(base, path, f="json", **query), "self", GEOJSON, "this feature"),
        _link(_url(base, path, f="html", **query), "alternate", HTML, "as HTML"),
        _link(_url(base, f"/ogc/collections/{name}", f="json"), "collection", JSON, "the collection"),
    ]
    return Page(name, 1, [rows[0].id], geoms, types, props, links, crs, _now())
