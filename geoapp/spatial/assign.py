"""Which polygon (village) each geometry belongs to, and the street each one fronts."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

from geoapp.spatial.crs import LONLAT, metric_crs_for, transformer


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
    targets = np.asarray(targets, dtype=object)
    result = np.full(len(geoms), -1, dtype=np.int64)
    if len(geoms) == 0 or len(targets) == 0:
        return result
    bounds = np.vstack([shapely.bounds(geoms), shapely.bounds(targets)])
    with np.errstate(invalid="ignore"):  # empty geometries have NaN bounds, as in total_bounds
        total = (
            np.nanmin(bounds[:, 0]),
            np.nanmin(bounds[:, 1]),
            np.nanmax(bounds[:, 2]),
            np.nanmax(bounds[:, 3]),
        )
    project = transformer(LONLAT, metric_crs_for(total))
    targets_m = to_metric(targets, project)
    # Candidates first, in lon/lat: a window of degrees surely wider than max_distance_m here
    # (a degree is at least 110 km × cos(latitude); twice that for the UTM zone's scale), so
    # only the geometries near a target get a metric copy.
    lat = min(max(abs(total[1]), abs(total[3])), 89.0)
    window = 2.0 * max_distance_m / (110_000.0 * np.cos(np.radians(lat)))
    near, target = shapely.STRtree(targets).query(geoms, predicate="dwithin", distance=window)
    if len(near) == 0:
        return result
    close, inverse = np.unique(near, return_inverse=True)
    metres = shapely.distance(to_metric(geoms[close], project)[inverse], targets_m[target])
    within = metres <= max_distance_m
    near, target, metres = near[within], target[within], metres[within]
    if len(near) == 0:
        return result
    order = np.lexsort((target, metres, near))  # per geometry the nearest, ties to the first target
    first = np.r_[True, near[order][1:] != near[order][:-1]]
    result[near[order][first]] = target[order][first]
    return result


def to_metric(geoms: np.ndarray, project: Transformer) -> np.ndarray:
    """``geoms`` reprojected by ``project`` (pyproj, always_xy) on their coordinate arrays:
    points (the county's houses) are made anew from their x and y, others get new coordinates."""
    types = shapely.get_type_id(geoms)
    if len(geoms) and (types == 0).all() and not shapely.has_z(geoms).any():
        x, y = project.transform(shapely.get_x(geoms), shapely.get_y(geoms))
        return shapely.points(x, y)
    out = np.empty_like(geoms)
    flat = ~shapely.has_z(geoms)
    for kept, include_z in ((flat, False), (~flat, True)):
        if not kept.any():
            continue
        coords = shapely.get_coordinates(geoms[kept], include_z=include_z)
        new = np.array(project.transform(*coords.T)).T
        out[kept] = shapely.set_coordinates(geoms[kept].copy(), new)
    return out
