"""Validate geometries and repair them where the repair cannot change what they mean.

The rule for polygons: ``shapely.make_valid`` (structure method, collapsed parts
dropped) is accepted only if the result is still polygonal and its area equals
the absolute shoelace area of the original rings within ``tolerance`` (0.1 %).
Spikes, repeated points (exactly equal consecutive vertices), inverted holes and wrongly oriented rings pass; a
bow-tie or a ring crossing itself changes the area and is refused. Points and
lines are not repaired: invalid ones are refused. Everything is vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geoapp.domain.i18n import N_

# GEOS's is_valid_reason (and this module's) -> a phrase for the user (a msgid).
REASONS = {
    "Self-intersection": N_("self-intersection"),
    "Ring Self-intersection": N_("ring self-intersection"),
    "Too few points in geometry component": N_("too few points"),
    "Hole lies outside shell": N_("hole outside its outline"),
    "Nested holes": N_("nested holes"),
    "Interior is disconnected": N_("interior cut in two"),
    "Nested shells": N_("nested outlines"),
    "Duplicate Rings": N_("duplicate rings"),
    "Invalid Coordinate": N_("invalid coordinate"),
    "Ring is not closed": N_("unclosed ring"),
    "Unclosed ring": N_("unclosed ring"),
    "Repeated points": N_("repeated points"),
}


def reason_label(reason: str | None) -> str:
    """The msgid naming a validity reason such as ``Self-intersection[114.1 27.1]`` ('' for none)."""
    head = (reason or "").split("[", 1)[0].split(";", 1)[0].strip()
    return REASONS.get(head, head)


POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon
AREA_TOLERANCE = 1e-3


@dataclass(frozen=True)
class RepairResult:
    """Per input geometry: the geometry to store and what happened to it."""

    geoms: np.ndarray  # repaired where ``repaired``, otherwise the input
    repaired: np.ndarray  # bool: was invalid (or had repeated points) and is now valid
    refused: np.ndarray  # bool: invalid and not safely repairable
    reasons: np.ndarray  # str: why it was repaired or refused ("" if valid)

    @property
    def ok(self) -> bool:
        return not self.refused.any()


def shoelace_area(geoms) -> np.ndarray:
    """Area of polygons from their rings: |exterior| - sum |interiors|, summed over parts.

    Unlike ``shapely.area`` this does not assume the rings are valid, so a
    bow-tie's two lobes cancel out (its shoelace area is 0). Non-polygons give 0.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    polygonal = np.isin(shapely.get_type_id(geoms), POLYGONAL)
    if not polygonal.any():
        return out
    parts, part_owner = shapely.get_parts(geoms[polygonal], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if len(rings) == 0:
        return out
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    # Sum x_i*y_{i+1} - x_{i+1}*y_i over consecutive vertices of the same ring.
    same = ring_of[1:] == ring_of[:-1]
    cross = coords[:-1, 0] * coords[1:, 1] - coords[1:, 0] * coords[:-1, 1]
    signed = np.bincount(ring_of[:-1][same], weights=cross[same], minlength=len(rings)) / 2.0
    is_exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    ring_area = np.where(is_exterior, 1.0, -1.0) * np.abs(signed)
    per_part = np.bincount(ring_part, weights=ring_area, minlength=len(parts))
    per_geom = np.bincount(part_owner, weights=per_part, minlength=int(polygonal.sum()))
    out[polygonal] = np.abs(per_geom)
    return out


def _paths(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The linear pieces (rings, lines) of ``geoms`` and the geometry each belongs to."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    rings, ring_part = shapely.get_rings(parts[polygon], return_index=True)
    lines = np.flatnonzero(shapely.get_type_id(parts) == 1)
    paths = np.concatenate([rings, parts[lines]])
    path_owner = np.concatenate([owner[polygon][ring_part], owner[lines]]).astype(np.int64)
    return paths, path_owner


def has_repeated_points(geoms) -> np.ndarray:
    """Per geometry: does a ring or line hold the same vertex twice in a row (exactly)?

    Compared exactly, coordinate by coordinate. GEOS's ``remove_repeated_points``
    compares squared distances, which underflow to 0 for distinct vertices closer
    than ~1e-154 (e.g. x = 0 and x = 2.2e-308): it dropped real vertices of valid
    polygons and reported them as repeated points."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=bool)
    if len(geoms) == 0:
        return out
    linear = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (-1, 0, 4)))  # points have no paths
    if len(linear) == 0:
        return out
    paths, path_owner = _paths(geoms[linear])
    if len(paths) == 0:
        return out
    path_owner = linear[path_owner]
    coords, path_of = shapely.get_coordinates(paths, return_index=True)
    same_path = path_of[1:] == path_of[:-1]
    repeated = same_path & np.all(coords[1:] == coords[:-1], axis=1)
    out[path_owner[path_of[1:][repeated]]] = True
    return out


def _without_repeats(coords: np.ndarray) -> np.ndarray:
    keep = np.r_[True, np.any(coords[1:] != coords[:-1], axis=1)]
    return coords[keep]


def drop_repeated_points(geom):
    """``geom`` without exactly repeated consecutive vertices (lines and polygons, single or multi)."""
    kind = shapely.get_type_id(geom)
    if kind == 1:
        return shapely.LineString(_without_repeats(shapely.get_coordinates(geom)))
    if kind == 3:
        return shapely.Polygon(
            _without_repeats(shapely.get_coordinates(geom.exterior)),
            [_without_repeats(shapely.get_coordinates(r)) for r in geom.interiors],
        )
    if kind in (5, 6):
        return type(geom)([drop_repeated_points(part) for part in geom.geoms])
    return geom


def repair(geoms, tolerance: float = AREA_TOLERANCE) -> RepairResult:
    """Validate ``geoms``; repair polygons where it is safe (see module docstring)."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    reasons = np.full(n, "", dtype=object)
    repaired = np.zeros(n, dtype=bool)
    refused = np.zeros(n, dtype=bool)
    out = geoms.copy()
    if n == 0:
        return RepairResult(out, repaired, refused, reasons)

    polygonal = np.isin(shapely.get_type_id(geoms), POLYGONAL)
    valid = shapely.is_valid(geoms)
    invalid = ~valid
    reasons[invalid] = shapely.is_valid_reason(geoms[invalid])

    # Invalid points and lines cannot be repaired without guessing.
    refused[invalid & ~polygonal] = True

    fix = invalid & polygonal
    if fix.any():
        fixed = shapely.make_valid(geoms[fix], method="structure", keep_collapsed=False)
        expected = shoelace_area(geoms[fix])
        got = shapely.area(fixed)
        still_polygonal = np.isin(shapely.get_type_id(fixed), POLYGONAL) & ~shapely.is_empty(fixed)
        same_area = (expected > 0) & (np.abs(got - expected) <= tolerance * expected)
        safe = still_polygonal & same_area
        idx = np.flatnonzero(fix)
        out[idx[safe]] = fixed[safe]
        repaired[idx[safe]] = True
        refused[idx[~safe]] = True
        reasons[idx[~safe]] = [
            _refusal(r, e, g, p)
            for r, e, g, p in zip(
                reasons[idx[~safe]], expected[~safe], got[~safe], still_polygonal[~safe], strict=True
            )
        ]

    # Repeated consecutive points: valid, but noise; drop them and say so.
    keep = ~refused & ~shapely.is_missing(out)
    if keep.any():
        idx = np.flatnonzero(keep)[has_repeated_points(out[keep])]
        out[idx] = [drop_repeated_points(g) for g in out[idx]]
        newly = idx[~repaired[idx]]
        reasons[newly] = "Repeated points"
        repaired[idx] = True

    # One ring orientation (exterior counter-clockwise, as GeoJSON wants); not a repair.
    ok_poly = polygonal & ~refused
    if ok_poly.any():
        out[ok_poly] = shapely.orient_polygons(out[ok_poly], exterior_cw=False)
    return RepairResult(out, repaired, refused, reasons)


def _refusal(reason: str, expected: float, got: float, polygonal: bool) -> str:
    if not polygonal:
        return f"{reason}; the repair is not a polygon"
    if expected <= 0:
        return f"{reason}; the rings cancel out (e.g. a bow-tie)"
    return f"{reason}; the repair changes the area by {(got - expected) / expected * 100:+.1f}%"


@dataclass(frozen=True)
class ForcedRepair:
    """``make_valid`` of invalid polygons, keeping the polygonal part, with the area it changes.

    ``area_before`` is the shoelace area of the rings as drawn (a lobe drawn the wrong way
    round counts against the rest, so an even figure-8 has 0), ``area_after`` the area of
    the repair, both in m²; ``change`` is (after - before) / before, infinite when before is 0."""

    geoms: np.ndarray  # polygonal repair, None where nothing polygonal is left
    area_before: np.ndarray
    area_after: np.ndarray

    @property
    def change(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (self.area_after - self.area_before) / self.area_before
        return np.where(self.area_before > 1e-6 * self.area_after, out, np.inf)

    def accepted(self, max_change: float) -> np.ndarray:
        """Per geometry: is the repair polygonal and within ``max_change`` (a share, 0.05 = 5 %)?"""
        return ~shapely.is_missing(self.geoms) & (np.abs(self.change) <= max_change)


def polygonal_part(geoms) -> np.ndarray:
    """The polygons in each geometry (collections flattened) as a Polygon or MultiPolygon; None if none."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    sub, sub_owner = shapely.get_parts(parts, return_index=True)
    owner = owner[sub_owner]
    keep = (shapely.get_type_id(sub) == 3) & ~shapely.is_empty(sub)
    polys, owner = sub[keep], owner[keep]  # owners ascend: get_parts keeps the input order
    owners, starts, counts = np.unique(owner, return_index=True, return_counts=True)
    single = counts == 1
    out[owners[single]] = polys[starts[single]]
    multi = ~single
    if multi.any():
        in_multi = np.isin(owner, owners[multi])
        out[owners[multi]] = shapely.multipolygons(
            polys[in_multi], indices=np.searchsorted(owners[multi], owner[in_multi])
        )
    return out


def repair_polygons(geoms, metric_crs) -> ForcedRepair:
    """Repair invalid (multi)polygons in lon/lat whatever the area change; areas measured in ``metric_crs``."""
    from geoapp.spatial.crs import LONLAT, transformer

    geoms = np.asarray(geoms, dtype=object)
    fixed = polygonal_part(shapely.make_valid(geoms))
    ok = ~shapely.is_missing(fixed)
    fixed[ok] = shapely.orient_polygons(fixed[ok], exterior_cw=False)
    to_metric = transformer(LONLAT, metric_crs)
    origin = np.array(to_metric.transform(*shapely.total_bounds(geoms)[:2]))

    def project(g):  # metres from a local origin, so that the shoelace sums do not cancel out digits
        return shapely.transform(
            g, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])) - origin
        )

    before = shoelace_area(project(geoms))
    after = np.nan_to_num(shapely.area(project(fixed)))
    return ForcedRepair(fixed, before, after)
