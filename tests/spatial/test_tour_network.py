import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoapp.spatial.network import StreetGraph, walking_distances, walking_matrix
from geoapp.spatial.tour import distance_matrix, nearest_neighbour, path_length, plan_tour


def test_walking_distance_follows_the_streets():
    lines = np.array(
        [shapely.LineString([(0, 0), (100, 0), (100, 100)]), shapely.LineString([(50, -50), (50, 50)])]
    )
    graph = StreetGraph.build(lines)
    targets = shapely.points([[105, 100], [50, 45], [10, 3], [900, 900]])
    dist, via = walking_distances(graph, shapely.Point(0, 5), targets)
    assert np.allclose(dist[:2], [210, 100])  # around the corner, along the streets
    assert np.isclose(dist[2], np.hypot(10, 2))  # next door: straight across
    assert via.tolist() == [True, True, False, False]  # the far house: no street near it
    assert dist[3] == shapely.Point(0, 5).distance(shapely.Point(900, 900))


def test_the_tour_matrix_walks_around_a_block():
    # A U-shaped street: the two sides face each other 100 m apart, but one walks round.
    u = shapely.LineString([(0, 0), (100, 0), (100, 100), (0, 100)])
    graph = StreetGraph.build(np.array([u]))
    stops = shapely.points([[0, 5], [50, 5], [50, 95], [0, 95]])
    matrix = walking_matrix(graph, stops)
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 0)
    assert np.isclose(matrix[1, 2], 50 + 100 + 50 + 10, atol=1)  # round the block, not 90 m across
    assert np.isclose(matrix[0, 1], 5 + 50 + 5)  # along the same street: out to it, along, in
    straight = walking_matrix(None, stops)
    assert np.isclose(straight[1, 2], 90)
    tour = plan_tour(matrix)
    assert sorted(tour.order) == [1, 2, 3] and tour.length >= 300  # no shortcut across the block


def test_no_streets_means_straight_lines():
    targets = shapely.points([[3, 4]])
    dist, via = walking_distances(None, shapely.Point(0, 0), targets)
    assert dist.tolist() == [5.0] and not via.any()


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 45), st.integers(0, 10_000))
def test_tour_visits_every_stop_once_and_never_loses_to_the_naive_chain(n, seed):
    xy = np.random.default_rng(seed).uniform(0, 1000, (n + 1, 2))
    dist = distance_matrix(xy)
    tour = plan_tour(dist)
    assert sorted(tour.order) == list(range(1, n + 1))
    assert tour.length <= tour.naive_length + 1e-6
    assert abs(path_length([0, *tour.order], dist) - tour.length) < 1e-6


def test_tour_beats_the_nearest_neighbour_chain_on_scattered_houses():
    xy = np.random.default_rng(1).uniform(0, 1000, (61, 2))
    dist = distance_matrix(xy)
    tour = plan_tour(dist)
    assert path_length(nearest_neighbour(dist), dist) == tour.naive_length
    assert tour.length < 0.95 * tour.naive_length
