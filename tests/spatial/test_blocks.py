"""Street-front blocks on synthetic streets drawn in metres and stored in lon/lat."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

from geoapp.spatial.blocks import (
    check_block,
    group_frontage,
    merge_blocks,
    plan_blocks,
    split_block,
)

UTM = 32649
_to_lonlat = Transformer.from_crs(UTM, 4326, always_xy=True)
_to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
_x0, _y0 = _to_utm.transform(113.35, 27.10)


def lonlat(geom):
    return shapely.transform(
        geom, lambda xy: np.column_stack(_to_lonlat.transform(xy[:, 0] + _x0, xy[:, 1] + _y0))
    )


def metric(geom):
    def f(xy):
        x, y = _to_utm.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(x) - _x0, np.asarray(y) - _y0])

    return shapely.transform(geom, f)


def test_grouping_closes_a_block_at_n_buildings_or_m_metres_and_keeps_sides_apart():
    at = [0, 10, 20, 30, 40, 200, 5, 15]
    side = [1, 1, 1, 1, 1, 1, -1, -1]
    groups = group_frontage(at, side, max_buildings=3, max_metres=100)
    assert [g.tolist() for g in groups] == [[0, 1, 2], [3, 4], [5], [6, 7]]
    groups = group_frontage(at, side, max_buildings=10, max_metres=25)
    assert [g.tolist() for g in groups] == [[0, 1, 2], [3, 4], [5], [6, 7]]


def _street_scene(rng, n_per_side=23, footprints=True):
    street = shapely.LineString([(0, 0), (150, 20), (400, -10)])
    houses = []
    for side in (1, -1):
        for x in np.linspace(5, 395, n_per_side) + rng.uniform(-2, 2, n_per_side):
            foot = shapely.line_interpolate_point(street, street.project(shapely.Point(x, 0)))
            p = shapely.Point(foot.x, foot.y + side * rng.uniform(10, 16))
            houses.append(shapely.box(p.x - 3, p.y - 4, p.x + 3, p.y + 4) if footprints else p)
    # Houses behind the street front, fronting another street: no block may take them.
    behind = [shapely.Point(x, 45) for x in range(10, 400, 40)]
    return street, houses, behind


def _check_plan(planned, houses, behind, n):
    seen = np.concatenate([b.members for b in planned])
    assert sorted(seen.tolist()) == list(range(len(houses)))  # every house in exactly one block
    shapes = [metric(b.geometry) for b in planned]
    m_houses = [metric(lonlat(h)) for h in houses]
    for b, shape in zip(planned, shapes, strict=True):
        assert shape.is_valid and shape.geom_type in ("Polygon", "MultiPolygon")
        assert len(b.members) <= n
        inside = {i for i, h in enumerate(m_houses) if shape.intersects(h)}
        assert inside == set(b.members.tolist())  # exactly its own houses
        assert all(shape.contains(m_houses[i]) for i in b.members)
        assert not any(shape.intersects(metric(lonlat(p))) for p in behind)
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            assert shapes[i].intersection(shapes[j]).area < 0.01, (i, j)


def test_blocks_on_a_bent_street_hold_exactly_their_houses_and_do_not_overlap():
    rng = np.random.default_rng(7)
    street, houses, behind = _street_scene(rng)
    planned = plan_blocks(
        [("s1", lonlat(street))],
        [lonlat(h) for h in houses],
        ["s1"] * len(houses),
        max_buildings=6,
        max_metres=80,
        others=[lonlat(p) for p in behind],
    )
    _check_plan(planned, houses, behind, 6)
    assert {b.side for b in planned} == {1, -1}
    assert all(b.frontage_m <= 80 for b in planned)


def test_point_houses_and_kept_blocks_are_respected():
    rng = np.random.default_rng(3)
    street, houses, behind = _street_scene(rng, footprints=False)
    kept = shapely.box(100, 60, 140, 90)  # a kept block elsewhere
    planned = plan_blocks(
        [("s1", lonlat(street))],
        [lonlat(h) for h in houses],
        ["s1"] * len(houses),
        max_buildings=5,
        max_metres=1000,
        others=[lonlat(p) for p in behind],
        avoid=[lonlat(kept)],
    )
    _check_plan(planned, houses, behind, 5)
    assert all(metric(b.geometry).intersection(kept).area < 0.01 for b in planned)


def test_check_split_merge():
    a, b = shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)
    pts = np.array([shapely.Point(5, 5), shapely.Point(15, 5)], dtype=object)
    problem, inside = check_block(a, np.array([b], dtype=object), pts)
    assert problem is None and inside.tolist() == [0]
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    assert check_block(bowtie, np.array([], dtype=object), pts)[0].code == "invalid"
    assert check_block(shapely.box(5, 0, 15, 10), np.array([b], dtype=object), pts)[0].code == "overlaps"
    assert check_block(shapely.box(30, 0, 40, 10), np.array([], dtype=object), pts)[0].code == "no_building"
    parts = split_block(a, shapely.LineString([(5, -1), (5, 11)]))
    assert parts is not None and len(parts) == 2
    assert split_block(a, shapely.LineString([(20, -1), (20, 11)])) is None
    assert split_block(a, shapely.LineString([(5, 5), (20, 5)])) is None  # does not cross it
    merged = merge_blocks(a, b)
    assert merged.geom_type == "Polygon" and abs(merged.area - 200) < 1e-6
    assert merge_blocks(a, shapely.box(50, 0, 60, 10)) is None
