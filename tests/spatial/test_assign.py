import numpy as np
import shapely

from geoapp.spatial.assign import anchor_points, assign_to_polygons, nearest_within
from geoapp.spatial.crs import guess_projected_crs, looks_like_lonlat, utm_crs


def test_points_on_shared_edges_get_exactly_one_polygon():
    polys = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    points = shapely.points([[0.5, 0.5], [1, 0.5], [3, 3], [1.5, 0.2]])
    assert assign_to_polygons(points, polys).tolist() == [0, 0, -1, 1]


def test_polygon_anchor_lies_inside_even_for_concave_shapes():
    u_shape = shapely.Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    anchor = anchor_points(np.array([u_shape]))[0]
    assert u_shape.contains(anchor)
    assert not u_shape.contains(u_shape.centroid)


def test_nearest_street_is_measured_in_metres():
    street = shapely.LineString([(113.0, 27.0003), (113.001, 27.0003)])  # ~33 m north
    houses = shapely.points([[113.0005, 27.0], [113.01, 27.0]])
    assert nearest_within(houses, np.array([street]), 50).tolist() == [0, -1]
    assert nearest_within(houses, np.array([street]), 20).tolist() == [-1, -1]


def test_crs_helpers():
    assert utm_crs(113.35, 27.1).to_epsg() == 32649
    assert looks_like_lonlat((113, 27, 114, 28))
    assert not looks_like_lonlat((38_500_000, 3_000_000, 38_510_000, 3_010_000))
    assert guess_projected_crs((38_500_000, 3_000_000, 38_510_000, 3_010_000)) == "EPSG:4526"
