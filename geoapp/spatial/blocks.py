"""Street-front blocks (沿街街区段): cut a street's frontage into blocks, check drawn blocks.

Everything is measured in one metric CRS (the local UTM zone). Along each street, each
side separately, the fronting buildings are taken in order (``frontage.along_street``)
and grouped greedily: a block closes when it holds ``max_buildings`` buildings or the
next building would stretch it past ``max_metres`` of frontage.

A block's polygon is the convex hull of its buildings (each widened by ``MARGIN_M``),
clipped to its side of the street, with every other building (and any polygon the
caller wants left alone: kept blocks) cut out, and the blocks before it along the
street cut out too; its own buildings are added back (widened) so it contains each of
them whole. So a block contains exactly its buildings, and no two blocks overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geoapp.spatial.assign import anchor_points
from geoapp.spatial.crs import LONLAT, metric_crs_for
from geoapp.spatial.frontage import along_street_metric

MARGIN_M = 3.0  # a block reaches this far around its buildings
KEEP_CLEAR_M = 0.5  # and stays this far from any building not its own
REACH_M = 60.0  # how far from the street a block may reach beyond its farthest building
AREA_TOLERANCE_M2 = 0.01  # overlaps smaller than this are rounding, not overlaps
QUAD_SEGS = 2  # corners of the widened buildings: few vertices keep the layer small


@dataclass(frozen=True)
class PlannedBlock:
    street: object  # the caller's key of the street
    side: int  # +1 left of the direction the street was drawn in, -1 right
    members: np.ndarray  # indices into the buildings given
    at_m: float  # where it starts along the street
    frontage_m: float  # from its first to its last building, along the street
    geometry: object  # lon/lat polygon


def group_frontage(at_m, side, max_buildings: int, max_metres: float) -> list[np.ndarray]:
    """Greedy groups of consecutive buildings per side: indices into ``at_m``, left side
    first, each group in order along the street."""
    if max_buildings < 1 or max_metres <= 0:
        raise ValueError("a block holds at least one building and some frontage")
    at_m, side = np.asarray(at_m, dtype=float), np.asarray(side)
    groups: list[np.ndarray] = []
    for s in (1, -1):
        idx = np.flatnonzero(side == s)
        idx = idx[np.argsort(at_m[idx], kind="stable")]
        start = 0
        for k in range(1, len(idx) + 1):
            if k == len(idx) or k - start >= max_buildings or at_m[idx[k]] - at_m[idx[start]] > max_metres:
                groups.append(idx[start:k])
                start = k
    return [g for g in groups if len(g)]


def _polygons_only(geom):
    """The polygonal part of a (possibly collection) geometry, or None."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def block_shapes(
    groups: Sequence[np.ndarray],
    geoms: np.ndarray,
    street,
    sides: Sequence[int],
    avoid: np.ndarray | None = None,
) -> list:
    """One metric polygon per group of metric building ``geoms`` along metric ``street``;
    ``avoid``: further metric polygons no block may overlap (kept blocks)."""
    geoms = np.asarray(geoms, dtype=object)
    avoid = np.asarray(avoid if avoid is not None else [], dtype=object)
    if not groups:
        return []
    wide = shapely.buffer(geoms, MARGIN_M, quad_segs=QUAD_SEGS)
    clear = shapely.buffer(geoms, KEEP_CLEAR_M, quad_segs=QUAD_SEGS)
    label = np.full(len(geoms), -1, dtype=np.int64)
    for g, members in enumerate(groups):
        label[members] = g
    members_all = np.concatenate(groups)
    hulls = shapely.convex_hull(shapely.geometrycollections(wide[members_all], indices=label[members_all]))
    # Clip each hull to its side: a one-sided buffer of the street (left: positive distance).
    reach = np.array([shapely.distance(geoms[m], street).max() + MARGIN_M + REACH_M for m in groups])
    signs = np.asarray(sides, dtype=float)
    sides_area = shapely.buffer(street, reach * signs, single_sided=True)
    hulls = shapely.intersection(hulls, sides_area)

    # Cut out every building that is not the group's, and the polygons to avoid.
    pool = np.concatenate([clear, avoid])
    pool_label = np.concatenate([label, np.full(len(avoid), -2, dtype=np.int64)])
    tree = shapely.STRtree(pool)
    h_idx, p_idx = tree.query(hulls, predicate="intersects")
    foreign = pool_label[p_idx] != h_idx
    h_idx, p_idx = h_idx[foreign], p_idx[foreign]
    cut = np.empty(len(groups), dtype=object)
    for g in range(len(groups)):
        others = pool[p_idx[h_idx == g]]
        cut[g] = shapely.difference(hulls[g], shapely.union_all(others)) if len(others) else hulls[g]
    own = np.empty(len(groups), dtype=object)
    for g, members in enumerate(groups):
        own[g] = shapely.union_all(wide[members])
    # A group's own widened buildings, less everything foreign, added back: it contains them whole.
    for g in range(len(groups)):
        others = pool[p_idx[h_idx == g]]
        mine = shapely.difference(own[g], shapely.union_all(others)) if len(others) else own[g]
        cut[g] = shapely.union(cut[g], mine)

    # Blocks earlier in the list win where two overlap (neither holds the other's buildings).
    tree = shapely.STRtree(cut)
    a, b = tree.query(cut, predicate="intersects")
    later = a > b  # a: the block to cut, b: an earlier one
    a, b = a[later], b[later]
    out = []
    for g in range(len(groups)):
        earlier = cut[b[a == g]]
        shape = shapely.difference(cut[g], shapely.union_all(earlier)) if len(earlier) else cut[g]
        shape = _polygons_only(shapely.make_valid(shape))
        out.append(_keep_parts_with(shape, geoms[groups[g]]))
    return out


def _keep_parts_with(shape, buildings):
    """Drop slivers: the parts of ``shape`` that hold none of ``buildings``."""
    if shape is None or shape.geom_type == "Polygon":
        return shape
    parts = shapely.get_parts(shape)
    hold = shapely.intersects(parts[:, None], np.asarray(buildings, dtype=object)[None, :]).any(axis=1)
    kept = parts[hold]
    return kept[0] if len(kept) == 1 else shapely.multipolygons(kept)


def plan_blocks(
    streets: Sequence[tuple[object, object]],
    buildings: np.ndarray,
    fronting: Sequence[object],
    max_buildings: int,
    max_metres: float,
    others: np.ndarray | None = None,
    avoid: np.ndarray | None = None,
) -> list[PlannedBlock]:
    """Blocks for lon/lat ``streets`` ((key, line) pairs) from the lon/lat ``buildings``
    that front them (``fronting[i]``: the key of building i's street, or None).
    ``others``: buildings no block may contain (those of other streets); ``avoid``:
    polygons no block may overlap (blocks that are kept)."""
    buildings = np.asarray(buildings, dtype=object)
    others = np.asarray(others if others is not None else [], dtype=object)
    avoid = np.asarray(avoid if avoid is not None else [], dtype=object)
    lines = np.array([line for _, line in streets], dtype=object)
    if len(lines) == 0 or len(buildings) == 0:
        return []
    everything = gpd.GeoSeries(np.concatenate([lines, buildings, others, avoid]), crs=LONLAT)
    crs = metric_crs_for(everything.total_bounds)
    metric = np.asarray(everything.to_crs(crs).values, dtype=object)
    n_l, n_b, n_o = len(lines), len(buildings), len(others)
    m_lines, m_build = metric[:n_l], metric[n_l : n_l + n_b]
    m_others, m_avoid = metric[n_l + n_b : n_l + n_b + n_o], metric[n_l + n_b + n_o :]
    fronting = np.array(fronting, dtype=object)
    anchors = anchor_points(m_build)
    planned: list[tuple[object, int, np.ndarray, float, float]] = []
    shapes: list = []
    avoid_now = list(m_avoid)
    for (key, _), street in zip(streets, m_lines, strict=True):
        if street.geom_type == "MultiLineString":
            street = shapely.line_merge(street)
        on = np.flatnonzero(fronting == key)
        if len(on) == 0:
            continue
        along = along_street_metric(street, anchors[on])
        groups = group_frontage(along.at_m, along.side, max_buildings, max_metres)
        # Every building that is not on this street is foreign to all of its blocks.
        local = np.concatenate([m_build[on], m_build[np.setdiff1d(np.arange(n_b), on)], m_others])
        local_groups = list(groups)
        sides = [int(along.side[g[0]]) for g in groups]
        geoms = block_shapes(local_groups, local, street, sides, np.array(avoid_now, dtype=object))
        for g, shape in zip(groups, geoms, strict=True):
            at = along.at_m[g]
            planned.append((key, int(along.side[g[0]]), on[g], float(at.min()), float(at.max() - at.min())))
            shapes.append(shape)
        avoid_now.extend(s for s in geoms if s is not None)
    back = gpd.GeoSeries(np.array(shapes, dtype=object), crs=crs).to_crs(LONLAT).values
    return [
        PlannedBlock(key, side, members, at, span, geom)
        for (key, side, members, at, span), geom in zip(planned, back, strict=True)
    ]


# -- checking a block drawn or changed by hand --------------------------------------------


@dataclass(frozen=True)
class BlockProblem:
    code: str  # invalid, overlaps, no_building, line_misses, not_neighbours
    detail: str = ""


def check_block(shape, others: np.ndarray, buildings: np.ndarray) -> tuple[BlockProblem | None, np.ndarray]:
    """Whether metric polygon ``shape`` may be stored beside metric blocks ``others``:
    (a problem or None, indices of the metric building points/geoms it contains)."""
    if shape is None or shape.is_empty or shape.geom_type not in ("Polygon", "MultiPolygon"):
        return BlockProblem("invalid", "not a polygon"), np.zeros(0, dtype=np.int64)
    if not shape.is_valid:
        return BlockProblem("invalid", shapely.is_valid_reason(shape)), np.zeros(0, dtype=np.int64)
    others = np.asarray(others, dtype=object)
    if len(others):
        overlap = shapely.area(shapely.intersection(others, shape))
        if (overlap > AREA_TOLERANCE_M2).any():
            return BlockProblem(
                "overlaps", str(int(np.flatnonzero(overlap > AREA_TOLERANCE_M2)[0]))
            ), np.zeros(0, dtype=np.int64)
    inside = np.flatnonzero(shapely.contains(shape, anchor_points(np.asarray(buildings, dtype=object))))
    if len(inside) == 0:
        return BlockProblem("no_building"), inside
    return None, inside


def split_block(shape, line):
    """The two (or more) polygons a metric ``line`` cuts metric ``shape`` into, or None
    when the line does not cross it from one side to the other."""
    from shapely.ops import split

    if line is None or line.geom_type != "LineString" or not line.intersects(shape):
        return None
    parts = [p for p in shapely.get_parts(split(shape, line)) if p.area > AREA_TOLERANCE_M2]
    return parts if len(parts) >= 2 else None


def merge_blocks(a, b):
    """The union of two metric blocks that share an edge (or come within a metre), else None."""
    if shapely.distance(a, b) > 1.0:
        return None
    merged = shapely.union(a, b)
    if merged.geom_type != "Polygon":
        # Neighbours a little apart: bridge the gap with the hull of the two.
        merged = shapely.union(merged, shapely.convex_hull(shapely.union(a, b)).buffer(0))
    return merged
