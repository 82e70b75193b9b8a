"""Visiting order through remaining houses: an open path from where the collector stands.

The naive answer, always walking to the nearest unvisited house, leaves long
doubling-back legs; we start from that chain and improve it with 2-opt (reverse a
stretch whenever that shortens the walk) and Or-opt (move a run of one to three
houses elsewhere), until no move helps. Distances are a matrix, so walking
distances along streets or straight lines both work.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


def distance_matrix(xy: np.ndarray) -> np.ndarray:
    """Straight-line distances between metric points (row 0 may be the start)."""
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def path_length(order: list[int], dist: np.ndarray) -> float:
    return float(sum(dist[a, b] for a, b in itertools.pairwise(order)))


def nearest_neighbour(dist: np.ndarray, start: int = 0) -> list[int]:
    n = len(dist)
    order = [start]
    left = np.ones(n, dtype=bool)
    left[start] = False
    for _ in range(n - 1):
        row = np.where(left, dist[order[-1]], np.inf)
        nxt = int(np.argmin(row))
        order.append(nxt)
        left[nxt] = False
    return order


def two_opt(order: list[int], dist: np.ndarray) -> list[int]:
    """Reverse stretches while that shortens the open path (the start stays first).

    For each position the best reversal is found with one vectorised step.
    """
    order = np.asarray(order)
    n = len(order)
    improved = True
    while improved:
        improved = False
        for i in range(1, n - 1):
            a, b = order[i - 1], order[i]
            c = order[i + 1 :]
            d = np.append(order[i + 2 :], -1)
            has_d = d >= 0
            d_safe = np.where(has_d, d, 0)
            old = dist[a, b] + np.where(has_d, dist[c, d_safe], 0.0)
            new = dist[a, c] + np.where(has_d, dist[b, d_safe], 0.0)
            gain = old - new
            k = int(np.argmax(gain))
            if gain[k] > 1e-9:
                j = i + 1 + k
                order[i : j + 1] = order[i : j + 1][::-1].copy()
                improved = True
    return [int(v) for v in order]


def or_opt(order: list[int], dist: np.ndarray) -> list[int]:
    """Move runs of 1..3 stops to a better place while that shortens the path."""
    order = list(order)
    improved = True
    while improved:
        improved = False
        n = len(order)
        for size in (1, 2, 3):
            for i in range(1, n - size + 1):
                run = order[i : i + size]
                prev, nxt = order[i - 1], order[i + size] if i + size < n else None
                removed = dist[prev, run[0]] + (dist[run[-1], nxt] if nxt is not None else 0.0)
                removed -= dist[prev, nxt] if nxt is not None else 0.0
                rest = order[:i] + order[i + size :]
                best, where, flip = 1e-9, None, False
                for k in range(len(rest)):
                    p, q = rest[k], rest[k + 1] if k + 1 < len(rest) else None
                    base = dist[p, q] if q is not None else 0.0
                    for candidate, flipped in ((run, False), (run[::-1], True)):
                        added = (
                            dist[p, candidate[0]] + (dist[candidate[-1], q] if q is not None else 0.0) - base
                        )
                        if removed - added > best:
                            best, where, flip = removed - added, k, flipped
                if where is not None:
                    insert = run[::-1] if flip else run
                    order = rest[: where + 1] + insert + rest[where + 1 :]
                    improved = True
                    break
            if improved:
                break
    return order


OR_OPT_LIMIT = 80  # Or-opt is cubic: beyond this many stops 2-opt alone


@dataclass(frozen=True)
class Tour:
    order: list[int]  # indices of the stops (0 is the start, not included)
    length: float
    naive_length: float  # the nearest-neighbour chain, for comparison


def plan_tour(dist: np.ndarray) -> Tour:
    """Row/column 0 of ``dist`` is the start; the answer visits every other index once."""
    if len(dist) <= 1:
        return Tour([], 0.0, 0.0)
    naive = nearest_neighbour(dist, 0)
    order = naive
    for _ in range(4):
        better = two_opt(order, dist)
        if len(dist) <= OR_OPT_LIMIT:
            better = or_opt(better, dist)
        if path_length(better, dist) + 1e-9 >= path_length(order, dist):
            order = better
            break
        order = better
    return Tour(order[1:], path_length(order, dist), path_length(naive, dist))
