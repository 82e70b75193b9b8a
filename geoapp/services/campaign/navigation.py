"""Where to go next: the nearest uncollected houses by walking distance, and a
visiting order through the remaining houses of a street or of the map view."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Scope
from geoapp.domain.status import Status
from geoapp.services.accounts.scoping import scoped
from geoapp.spatial.crs import LONLAT, utm_crs
from geoapp.spatial.network import DIRECT_M, StreetGraph, walking_distances, walking_matrix
from geoapp.spatial.tour import plan_tour
from geoapp.store.models import Building, Street
from geoapp.store.spatial_index import bbox_filter

SEARCH_RADII_DEG = (0.01, 0.03, 0.1)  # about 1, 3 and 10 km
MAX_TOUR_STOPS = 60


def _to_metric(lon: float, lat: float, geoms) -> tuple[object, np.ndarray, object]:
    crs = utm_crs(lon, lat)
    series = gpd.GeoSeries([shapely.Point(lon, lat), *geoms], crs=LONLAT).to_crs(crs)
    return series.values[0], np.asarray(series.values[1:]), crs


def _candidates(session: Session, scope: Scope, dialect: str, *, bbox=None, street_id=None, around=None):
    stmt = scoped(
        select(Building.id, Building.address, Building.lon, Building.lat, Building.street_id).where(
            Building.status == Status.UNCOLLECTED.value
        ),
        scope,
    )
    if street_id is not None:
        return session.execute(stmt.where(Building.street_id == street_id)).all()
    if bbox is not None:
        return session.execute(stmt.where(bbox_filter(Building, bbox, dialect)).limit(2000)).all()
    lon, lat = around
    for r in SEARCH_RADII_DEG:
        rows = session.execute(
            stmt.where(bbox_filter(Building, (lon - r, lat - r, lon + r, lat + r), dialect)).limit(5000)
        ).all()
        if rows:
            return rows
    return session.execute(stmt.limit(5000)).all()


def _street_graph(session: Session, dialect: str, bounds, crs) -> StreetGraph | None:
    minx, miny, maxx, maxy = bounds
    rows = session.execute(
        select(Street.geom).where(
            bbox_filter(Street, (minx - 0.01, miny - 0.01, maxx + 0.01, maxy + 0.01), dialect)
        )
    ).all()
    if not rows:
        return None
    lines = gpd.GeoSeries([r[0] for r in rows], crs=LONLAT).to_crs(crs).values
    return StreetGraph.build(np.asarray(lines))


def next_houses(
    session: Session,
    scope: Scope,
    lon: float,
    lat: float,
    *,
    limit: int = 10,
    bbox=None,
    street_id: int | None = None,
) -> dict:
    """Uncollected houses nearest by walking distance from (lon, lat), and a tour through them."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(N_("%(field)s must be a longitude and latitude."), field="position")
    if not 1 <= limit <= MAX_TOUR_STOPS:
        raise InvalidInput(N_("%(field)s must be between 1 and %(max)d."), field="limit", max=MAX_TOUR_STOPS)
    dialect = session.get_bind().dialect.name
    rows = _candidates(session, scope, dialect, bbox=bbox, street_id=street_id, around=(lon, lat))
    if not rows:
        return {"items": [], "tour": {"order": [], "length_m": 0, "naive_length_m": 0}}
    points = shapely.points([(r.lon, r.lat) for r in rows])
    origin, targets, crs = _to_metric(lon, lat, points)
    lons = [r.lon for r in rows] + [lon]
    lats = [r.lat for r in rows] + [lat]
    graph = _street_graph(session, dialect, (min(lons), min(lats), max(lons), max(lats)), crs)
    walk, via = walking_distances(graph, origin, targets)
    nearest = np.argsort(walk, kind="stable")[: (MAX_TOUR_STOPS if (bbox or street_id) else limit)]
    stops = np.concatenate([np.array([origin], dtype=object), targets[nearest]])
    tour = plan_tour(walking_matrix(graph, stops))  # walking distances between the stops too
    items = [
        {
            "id": rows[i].id,
            "address": rows[i].address,
            "lon": rows[i].lon,
            "lat": rows[i].lat,
            "street_id": rows[i].street_id,
            "distance_m": round(float(walk[i]), 1),
            "along_streets": bool(via[i]),
            # why a distance is a straight line: "near" (under DIRECT_M: one walks straight
            # across) or "off_network" (the house or the collector is not on the street network)
            "straight_reason": None if via[i] else ("near" if walk[i] < DIRECT_M else "off_network"),
        }
        for i in nearest[:limit]
    ]
    return {
        "items": items,
        "tour": {
            "order": [rows[nearest[k - 1]].id for k in tour.order],
            "length_m": round(tour.length, 1),
            "naive_length_m": round(tour.naive_length, 1),
        },
    }
