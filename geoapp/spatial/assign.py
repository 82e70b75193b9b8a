"""Which polygon (village) each geometry belongs to, and the street each one fronts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geoapp.spatial.crs import LONLAT, metric_crs_for


def anchor_points(geoms: np.ndarray) -> np.ndarray:
    """Points stay; other geometries give a point guaranteed to lie inside them."""
    geoms = np.asarray(geoms, dtype=object)
    is_point = shapely.get_type_id(geoms) == 0
    out = geoms.copy()
    if (~is_point).any():
        out[~is_point] = shapely.point_on_surface(geoms[~is_point])
    return out


def assign_to_polygons(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Index of the polygon containing each point, -1 where none does.

    A point on a shared boundary goes to the lowest-index polygon, so every point
    gets exactly one answer.
    """
    points = np.asarray(points, dtype=object)
    result = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return result
    tree = shapely.STRtree(np.asarray(polygons, dtype=object))
    pt_idx, poly_idx = tree.query(points, predicate="intersects")
    if len(pt_idx):
        order = np.lexsort((poly_idx, pt_idx))
        pt_sorted, poly_sorted = pt_idx[order], poly_idx[order]
        first = np.r_[True, pt_sorted[1:] != pt_sorted[:-1]]
        result[pt_sorted[first]] = poly_sorted[first]
    return result


def nearest_within(geoms: np.ndarray, targets: np.ndarray, max_distance_m: float) -> np.ndarray:
    """Index of the nearest target (e.g. street) within ``max_distance_m`` metres, else -1.

    Inputs are lon/lat; distances are measured in a local UTM zone.
    """
    geoms = np.asarray(geoms, dtype=object)
    result = np.full(len(geoms), -1, dtype=np.int64)
    if len(geoms) == 0 or len(targets) == 0:
        return result
    both = gpd.GeoSeries(np.concatenate([geoms, np.asarray(targets, dtype=object)]), crs=LONLAT)
    metric = both.to_crs(metric_crs_for(both.total_bounds)).values
    g_m, t_m = np.asarray(metric[: len(geoms)]), np.asarray(metric[len(geoms) :])
    tree = shapely.STRtree(t_m)
    g_idx, t_idx = tree.query_nearest(g_m, max_distance=max_distance_m, all_matches=False)
    result[g_idx] = t_idx
    return result
