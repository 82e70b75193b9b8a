"""Buildings along a street: how far along it each one stands and on which side.

Measured in a metric CRS (the local UTM zone): each building's point is projected onto
the street line (``line_locate_point``); the side is the sign of the cross product of
the street's direction at that foot point and the vector to the building (left of the
direction the line was drawn in is positive). Vectorised over all buildings at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geoapp.spatial.crs import LONLAT, metric_crs_for

TANGENT_STEP_M = 1.0  # the street's direction is read over ±1 m around each foot point


@dataclass(frozen=True)
class AlongStreet:
    """Per building (input order): metres from the street's start, side (+1 left, -1 right)
    and distance from the street line (metres)."""

    at_m: np.ndarray
    side: np.ndarray
    offset_m: np.ndarray

    def order(self) -> np.ndarray:
        """Indices of the buildings from the street's start to its end."""
        return np.lexsort((self.offset_m, self.at_m))


def along_street(line, points) -> AlongStreet:
    """Position of lon/lat ``points`` along the lon/lat street ``line`` (LineString or
    MultiLineString; the parts of a multi-line are joined where they meet)."""
    points = np.asarray(points, dtype=object)
    n = len(points)
    if n == 0:
        empty = np.zeros(0)
        return AlongStreet(empty, np.zeros(0, dtype=np.int8), empty)
    if line.geom_type == "MultiLineString":
        line = shapely.line_merge(line)
    both = gpd.GeoSeries(np.concatenate([[line], points]), crs=LONLAT)
    metric = np.asarray(both.to_crs(metric_crs_for(both.total_bounds)).values, dtype=object)
    return along_street_metric(metric[0], metric[1:])


def along_street_metric(street, pts) -> AlongStreet:
    """``along_street`` for a street line and points already in one metric CRS."""
    pts = np.asarray(pts, dtype=object)
    length = street.length
    at = shapely.line_locate_point(street, pts)
    before = shapely.line_interpolate_point(street, np.clip(at - TANGENT_STEP_M, 0, length))
    after = shapely.line_interpolate_point(street, np.clip(at + TANGENT_STEP_M, 0, length))
    foot = shapely.line_interpolate_point(street, at)
    dx, dy = shapely.get_x(after) - shapely.get_x(before), shapely.get_y(after) - shapely.get_y(before)
    px, py = shapely.get_x(pts) - shapely.get_x(foot), shapely.get_y(pts) - shapely.get_y(foot)
    cross = dx * py - dy * px
    side = np.where(cross >= 0, 1, -1).astype(np.int8)
    return AlongStreet(np.asarray(at, dtype=float), side, shapely.distance(pts, street))
