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


def _nearest_in_a_metric_copy(geoms, targets, max_distance_m):
    """The search before it was vectorised: every geometry reprojected by geopandas, then
    STRtree.query_nearest in metres."""
    import geopandas as gpd

    from geoapp.spatial.crs import LONLAT, metric_crs_for

    both = gpd.GeoSeries(np.concatenate([geoms, targets]), crs=LONLAT)
    metric = np.asarray(both.to_crs(metric_crs_for(both.total_bounds)).values)
    tree = shapely.STRtree(metric[len(geoms) :])
    g, t = tree.query_nearest(metric[: len(geoms)], max_distance=max_distance_m, all_matches=False)
    out = np.full(len(geoms), -1)
    out[g] = t
    return out


def test_nearest_within_finds_what_a_metric_copy_of_everything_finds():
    rng = np.random.default_rng(7)
    for lon, lat in ((114.0, 27.1), (126.5, 45.8), (87.6, 43.8)):  # south, north-east, west China
        starts = rng.uniform((lon, lat), (lon + 0.05, lat + 0.05), size=(60, 2))
        streets = shapely.linestrings(np.stack([starts, starts + rng.normal(0, 0.002, (60, 2))], axis=1))
        xy = rng.uniform((lon - 0.01, lat - 0.01), (lon + 0.06, lat + 0.06), size=(3000, 2))
        houses = shapely.points(xy).astype(object)
        houses[::50] = shapely.buffer(houses[::50], 0.0002, quad_segs=2)  # some footprints
        houses[7] = shapely.Point()  # empty: no street
        for metres in (5.0, 60.0, 250.0):
            got = nearest_within(houses, streets, metres)
            assert (got == _nearest_in_a_metric_copy(houses, streets, metres)).all()
            assert 0 < (got >= 0).sum() < len(houses)
