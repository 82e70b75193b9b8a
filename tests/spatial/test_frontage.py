"""Order along a street and side of the street, on synthetic streets drawn in metres and
stored in lon/lat (as the database holds them)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geoapp.spatial.frontage import along_street

UTM = 32649  # the demo town's zone
_to_lonlat = Transformer.from_crs(UTM, 4326, always_xy=True)
_x0, _y0 = Transformer.from_crs(4326, UTM, always_xy=True).transform(113.35, 27.10)


def lonlat(geom):
    return shapely.transform(
        geom, lambda xy: np.column_stack(_to_lonlat.transform(xy[:, 0] + _x0, xy[:, 1] + _y0))
    )


def points(*xy):
    return [lonlat(shapely.Point(x, y)) for x, y in xy]


def test_east_bound_street_orders_by_distance_and_puts_north_on_the_left():
    street = lonlat(shapely.LineString([(0, 0), (200, 0)]))
    houses = points((100, 15), (20, -12), (60, 15), (140, -20))
    got = along_street(street, houses)
    assert np.allclose(got.at_m, [100, 20, 60, 140], atol=0.5)
    assert got.side.tolist() == [1, -1, 1, -1]  # north = left of an east-bound street
    assert np.allclose(got.offset_m, [15, 12, 15, 20], atol=0.5)
    assert got.order().tolist() == [1, 2, 0, 3]


def test_drawing_the_street_the_other_way_reverses_order_and_sides():
    street = lonlat(shapely.LineString([(200, 0), (0, 0)]))
    houses = points((100, 15), (20, -12), (60, 15), (140, -20))
    got = along_street(street, houses)
    assert np.allclose(got.at_m, [100, 180, 140, 60], atol=0.5)
    assert got.side.tolist() == [-1, 1, -1, 1]
    assert got.order().tolist() == [3, 0, 2, 1]


def test_a_bent_street_uses_the_direction_of_the_leg_each_house_faces():
    street = lonlat(shapely.LineString([(0, 0), (100, 0), (100, 100)]))  # east, then north
    houses = points((50, 10), (110, 50), (90, 60), (50, -10))
    got = along_street(street, houses)
    assert np.allclose(got.at_m, [50, 150, 160, 50], atol=0.5)
    assert got.side.tolist() == [1, -1, 1, -1]  # north-bound leg: east is on the right


def test_a_street_in_two_touching_parts_counts_as_one_line():
    whole = lonlat(shapely.LineString([(0, 0), (100, 0), (200, 0)]))
    parts = lonlat(shapely.MultiLineString([[(0, 0), (100, 0)], [(100, 0), (200, 0)]]))
    houses = points((150, 10), (30, -10))
    a, b = along_street(whole, houses), along_street(parts, houses)
    assert np.allclose(a.at_m, b.at_m, atol=0.01) and a.side.tolist() == b.side.tolist() == [1, -1]


def test_houses_beyond_the_ends_are_placed_at_the_ends():
    street = lonlat(shapely.LineString([(0, 0), (100, 0)]))
    got = along_street(street, points((-30, 5), (130, -5)))
    assert np.allclose(got.at_m, [0, 100], atol=0.01)
    assert got.side.tolist() == [1, -1]


def test_no_houses():
    got = along_street(lonlat(shapely.LineString([(0, 0), (100, 0)])), [])
    assert len(got.at_m) == len(got.side) == len(got.order()) == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_vectorised_answer_matches_one_house_at_a_time(seed):
    rng = np.random.default_rng(seed)
    street = lonlat(shapely.LineString(np.cumsum(rng.uniform(-40, 80, size=(8, 2)), axis=0)))
    xy = rng.uniform(-50, 400, size=(300, 2))
    houses = points(*xy)
    together = along_street(street, houses)
    for i in range(0, 300, 37):
        alone = along_street(street, [houses[i]])
        assert alone.at_m[0] == pytest.approx(together.at_m[i], abs=1e-6)
        assert alone.side[0] == together.side[i]
