import numpy as np
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoapp.spatial.crs import crs_label, within_area_of_use
from geoapp.spatial.repair import polygonal_part, reason_label, repair, repair_polygons, shoelace_area

SQUARE = shapely.box(0, 0, 2, 2)
SPIKE = shapely.Polygon([(0, 0), (2, 0), (2, 1), (3, 1), (2, 1), (2, 2), (0, 2)])
BOW_TIE = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
REPEATED = shapely.Polygon([(0, 0), (2, 0), (2, 0), (2, 2), (0, 2)])
CLOCKWISE = shapely.Polygon([(0, 0), (0, 2), (2, 2), (2, 0)])
LOOP = shapely.Polygon([(0, 0), (4, 0), (4, 4), (2, 4), (2, -2), (1, -2), (1, 4), (0, 4)])  # crosses itself


def test_valid_geometries_pass_untouched():
    geoms = np.array([SQUARE, shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)])])
    result = repair(geoms)
    assert result.ok
    assert not result.repaired.any()
    assert all(shapely.equals_exact(result.geoms, geoms, tolerance=0))
    assert list(result.reasons) == ["", "", ""]


def test_spike_is_cut_off_and_reported():
    result = repair(np.array([SPIKE]))
    assert result.ok and result.repaired.tolist() == [True]
    assert "Self-intersection" in result.reasons[0]
    assert result.geoms[0].is_valid
    assert result.geoms[0].area == SPIKE.area == 4


def test_repeated_points_are_removed_and_reported():
    result = repair(np.array([REPEATED]))
    assert result.repaired.tolist() == [True]
    assert result.reasons[0] == "Repeated points"
    assert shapely.get_num_coordinates(result.geoms[0]) == 5


def test_repeated_points_in_holes_lines_and_multi_parts():
    holed = shapely.Polygon(SQUARE.exterior.coords, [[(0.5, 0.5), (1, 0.5), (1, 0.5), (1, 1), (0.5, 0.5)]])
    lines = shapely.MultiLineString([[(0, 0), (1, 1), (1, 1), (2, 0)], [(5, 5), (6, 6)]])
    result = repair(np.array([holed, lines, shapely.MultiPolygon([REPEATED, shapely.box(5, 5, 6, 6)])]))
    assert result.repaired.tolist() == [True, True, True]
    assert shapely.get_num_coordinates(result.geoms).tolist() == [9, 5, 10]
    assert all(
        shapely.equals(
            result.geoms, [holed, lines, shapely.MultiPolygon([REPEATED, shapely.box(5, 5, 6, 6)])]
        )
    )


@pytest.mark.parametrize("tiny", [2.2e-308, 5e-324, 1e-170])
def test_vertices_closer_than_a_squared_distance_can_hold_are_not_repeated(tiny):
    """GEOS's remove_repeated_points compares squared distances, which underflow to 0 for
    vertices less than ~1e-162 apart: it dropped real vertices of valid polygons and called them
    repeated (the Hypothesis failure with x = 2.2e-308). Only exactly equal vertices are."""
    square = shapely.Polygon([(0, 0), (tiny, 0), (1, 1), (0, 1)])
    line = shapely.LineString([(0, 0), (0, tiny), (1, 1)])
    result = repair(np.array([square, line]))
    assert result.ok and result.repaired.tolist() == [False, False]
    assert shapely.get_num_coordinates(result.geoms).tolist() == [5, 3]


def test_clockwise_rings_are_oriented_silently():
    result = repair(np.array([CLOCKWISE]))
    assert not result.repaired.any() and result.ok
    assert result.geoms[0].exterior.is_ccw
    assert result.geoms[0].equals(CLOCKWISE)


def test_inverted_hole_keeps_its_area():
    # A ring touching itself (an "inverted hole") is invalid; making it valid keeps the area.
    ring = shapely.Polygon([(0, 0), (4, 0), (4, 4), (2, 4), (3, 2), (1, 2), (2, 4), (0, 4)])
    result = repair(np.array([ring]))
    assert result.ok and result.repaired.tolist() == [True]
    assert abs(result.geoms[0].area - shoelace_area([ring])[0]) < 1e-9


def test_bow_tie_and_self_crossing_are_refused_with_the_reason():
    result = repair(np.array([SQUARE, BOW_TIE, LOOP]))
    assert result.refused.tolist() == [False, True, True]
    assert "Self-intersection" in result.reasons[1]
    assert "cancel" in result.reasons[1]
    assert "area" in result.reasons[2]
    assert result.geoms[1] is BOW_TIE  # refused geometries are left as they were


def test_overlapping_multipolygon_parts_are_refused():
    multi = shapely.MultiPolygon([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)])
    assert repair(np.array([multi])).refused.tolist() == [True]


def test_invalid_lines_are_refused_not_guessed():
    line = shapely.LineString([(1, 1), (1, 1)])
    result = repair(np.array([line]))
    assert result.refused.tolist() == [True]
    assert "Too few points" in result.reasons[0]


def test_empty_input():
    result = repair(np.array([], dtype=object))
    assert result.ok and len(result.geoms) == 0


def test_shoelace_area_of_holes_and_parts():
    holed = shapely.Polygon(
        shapely.box(0, 0, 4, 4).exterior.coords, [shapely.box(1, 1, 2, 2).exterior.coords]
    )
    multi = shapely.MultiPolygon([holed, shapely.box(10, 10, 11, 12)])
    areas = shoelace_area([holed, multi, BOW_TIE, shapely.Point(0, 0), SPIKE])
    np.testing.assert_allclose(areas, [15, 17, 0, 0, 4])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1000, 1000), st.floats(-1000, 1000)),
        min_size=3,
        max_size=30,
    )
)
@example([(0.0, 0.0), (2.2e-308, 0.0), (1.0, 1.0), (0.0, 1.0)])  # once reported as repeated points
def test_shoelace_matches_shapely_area_for_valid_polygons(points):
    hull = shapely.MultiPoint(points).convex_hull
    if hull.geom_type != "Polygon":
        return
    for poly in (hull, shapely.Polygon(list(hull.exterior.coords)[::-1])):
        assert abs(shoelace_area([poly])[0] - poly.area) <= 1e-9 * max(1.0, poly.area)
        result = repair(np.array([poly]))
        assert result.ok and not result.repaired.any()


def test_crs_helpers_for_import():
    assert crs_label("EPSG:4547") == "EPSG:4547"
    assert within_area_of_use((114.0, 27.1, 114.1, 27.2), "EPSG:4547")
    assert not within_area_of_use((120.0, 27.1, 120.1, 27.2), "EPSG:4547")
    assert not within_area_of_use((np.inf, 27.1, np.inf, 27.2), "EPSG:4326")
    assert within_area_of_use((-70, -30, -60, -20), "EPSG:4326")


def test_polygonal_part_keeps_only_polygons():
    square, other = shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)
    mixed = shapely.GeometryCollection(
        [square, shapely.LineString([(5, 5), (6, 6)]), shapely.MultiPolygon([other])]
    )
    out = polygonal_part(np.array([mixed, shapely.LineString([(0, 0), (1, 1)]), square, None], dtype=object))
    assert out[0].geom_type == "MultiPolygon" and shapely.equals(
        out[0], shapely.MultiPolygon([square, other])
    )
    assert out[1] is None and out[3] is None
    assert shapely.equals(out[2], square)


def test_forced_repair_measures_the_area_change_in_square_metres():
    def poly(pts):  # units of 1e-5 degrees, about 1 m
        return shapely.Polygon([(114.0 + x * 1e-5, 27.1 + y * 1e-5) for x, y in pts])

    corner = poly([(0, 0), (20, 0), (19, 10), (20, 9), (0, 10)])  # a bow-tie at one corner
    figure_8 = poly([(0, 0), (20, 10), (20, 0), (0, 20)])
    even = poly([(0, 0), (20, 20), (20, 0), (0, 20)])
    assert repair(np.array([corner, figure_8, even])).refused.all()  # none is safe without --repair
    forced = repair_polygons(np.array([corner, figure_8, even]), "EPSG:32649")
    assert 195 < forced.area_before[0] < 215  # ~20 m × 10 m as drawn
    np.testing.assert_allclose(forced.change[:2], [0.0046, 0.6667], atol=1e-3)
    assert forced.change[2] == np.inf  # the lobes cancel out: nothing to compare with
    assert forced.accepted(0.05).tolist() == [True, False, False]
    assert forced.accepted(0.7).tolist() == [True, True, False]
    assert all(shapely.is_valid(g) and g.geom_type == "MultiPolygon" for g in forced.geoms)


def test_reason_labels():
    assert reason_label("Self-intersection[114.1 27.1]") == "self-intersection"
    assert (
        reason_label("Ring Self-intersection[1 2]; the repair changes the area by +3.0%")
        == "ring self-intersection"
    )
    assert reason_label("Something new") == "Something new" and reason_label(None) == ""
