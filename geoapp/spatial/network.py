"""Walking distances along the street network (metric coordinates).

Streets are noded where they cross, their vertices become graph nodes, and one
Dijkstra run from where the collector stands gives the walking distance to every
house: the straight step onto the network, along the streets, and the step from
the street to the house. Where a house has no street near it, the straight-line
distance is used instead.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import shapely

DIRECT_M = 50.0


@dataclass
class StreetGraph:
    nodes: np.ndarray  # (n, 2) metric coordinates
    adjacency: list[list[tuple[int, float]]]
    segments: np.ndarray  # (m,) LineString geometries of two points each
    seg_nodes: np.ndarray  # (m, 2) node ids of each segment's ends
    tree: shapely.STRtree

    @classmethod
    def build(cls, lines: np.ndarray) -> StreetGraph | None:
        lines = np.asarray([g for g in lines if g is not None and not g.is_empty], dtype=object)
        if len(lines) == 0:
            return None
        noded = shapely.node(shapely.GeometryCollection(list(lines)))
        seg_ends = []
        for part in shapely.get_parts(noded):
            xy = shapely.get_coordinates(part)
            for k in range(len(xy) - 1):
                seg_ends.append((xy[k], xy[k + 1]))
        if not seg_ends:
            return None
        ends = np.asarray(seg_ends).reshape(-1, 2)
        keys = np.round(ends, 2)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        seg_nodes = inverse.reshape(-1, 2)
        adjacency: list[list[tuple[int, float]]] = [[] for _ in range(len(unique))]
        lengths = np.hypot(*(ends[1::2] - ends[0::2]).T)
        for (u, v), w in zip(seg_nodes, lengths, strict=True):
            if u != v:
                adjacency[u].append((int(v), float(w)))
                adjacency[v].append((int(u), float(w)))
        segments = shapely.linestrings(ends.reshape(-1, 2, 2))
        return cls(unique, adjacency, segments, seg_nodes, shapely.STRtree(segments))

    def snap(self, points: np.ndarray, max_distance: float):
        """For each point: (segment index or -1, distance to it, distance along it from its first node)."""
        idx_pts, idx_seg = self.tree.query_nearest(points, max_distance=max_distance, all_matches=False)
        seg = np.full(len(points), -1)
        seg[idx_pts] = idx_seg
        off = np.zeros(len(points))
        along = np.zeros(len(points))
        found = seg >= 0
        if found.any():
            segments = self.segments[seg[found]]
            off[found] = shapely.distance(points[found], segments)
            along[found] = shapely.line_locate_point(segments, points[found])
        return seg, off, along

    def dijkstra(self, sources: dict[int, float]) -> np.ndarray:
        dist = np.full(len(self.nodes), np.inf)
        heap = [(d, n) for n, d in sources.items()]
        for d, n in heap:
            dist[n] = min(dist[n], d)
        heapq.heapify(heap)
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            for v, w in self.adjacency[u]:
                nd = d + w
                if nd < dist[v]:
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
        return dist


def walking_distances(
    graph: StreetGraph | None, origin, targets: np.ndarray, *, snap_distance: float = 150.0
) -> tuple[np.ndarray, np.ndarray]:
    """(distances in metres, True where the street network was used) from ``origin`` to each target."""
    straight = shapely.distance(origin, targets)
    via = np.zeros(len(targets), dtype=bool)
    if graph is None or len(targets) == 0:
        return straight, via
    seg0, off0, along0 = graph.snap(np.array([origin]), snap_distance)
    if seg0[0] < 0:
        return straight, via
    u0, v0 = graph.seg_nodes[seg0[0]]
    length0 = graph.segments[seg0[0]].length
    dist = graph.dijkstra({int(u0): off0[0] + along0[0], int(v0): off0[0] + length0 - along0[0]})
    seg, off, along = graph.snap(targets, snap_distance)
    ok = seg >= 0
    if ok.any():
        ends = graph.seg_nodes[seg[ok]]
        lengths = shapely.length(graph.segments[seg[ok]])
        network = np.minimum(dist[ends[:, 0]] + along[ok], dist[ends[:, 1]] + lengths - along[ok]) + off[ok]
        same = seg[ok] == seg0[0]  # on the collector's own street stretch: walk straight along it
        network = np.where(same, np.abs(along[ok] - along0[0]) + off[ok] + off0[0], network)
        result = straight.copy()
        finite = np.isfinite(network)
        # Close by (under DIRECT_M) one walks straight across; farther, along the streets.
        near = straight[ok] < DIRECT_M
        chosen = np.where(finite & ~near, np.maximum(network, straight[ok]), straight[ok])
        result[ok] = chosen
        via[np.flatnonzero(ok)[finite & ~near]] = True
        return result, via
    return straight, via


def walking_matrix(
    graph: StreetGraph | None, points: np.ndarray, *, snap_distance: float = 150.0
) -> np.ndarray:
    """Walking distances between every pair of ``points`` (metric), for planning a tour.

    One Dijkstra run per point; the matrix is made symmetric with the shorter of
    the two directions (snapping can differ slightly between them).
    """
    points = np.asarray(points, dtype=object)
    rows = [walking_distances(graph, p, points, snap_distance=snap_distance)[0] for p in points]
    matrix = np.vstack(rows) if rows else np.zeros((0, 0))
    matrix = np.minimum(matrix, matrix.T)
    np.fill_diagonal(matrix, 0.0)
    return matrix
