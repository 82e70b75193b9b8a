"""Coordinate reference systems: storage is lon/lat (EPSG:4326), distances are metric."""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer

LONLAT = CRS.from_epsg(4326)


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS84 UTM zone containing (lon, lat): a metric CRS for local distances."""
    zone = int((lon + 180) // 6) + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def metric_crs_for(bounds) -> CRS:
    """A metric CRS suited to data within ``bounds`` (minx, miny, maxx, maxy) in lon/lat."""
    minx, miny, maxx, maxy = bounds
    return utm_crs((minx + maxx) / 2, (miny + maxy) / 2)


def transformer(src, dst) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def looks_like_lonlat(bounds) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(np.all(np.isfinite(bounds))) and -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def guess_projected_crs(bounds) -> str | None:
    """Name a likely Chinese projected CRS for coordinates that are not lon/lat.

    CGCS2000 3-degree Gauss-Kruger: eastings with an 8-digit zone prefix
    (38500000 → zone 38 → EPSG:4525) or plain eastings around 500000.
    """
    minx, miny, maxx, maxy = bounds
    if not np.all(np.isfinite(bounds)) or not (miny > 0 and maxy < 10_000_000):
        return None
    if minx >= 25_000_000 and maxx < 46_000_000:
        zone = int(minx // 1_000_000)
        if 25 <= zone <= 45:
            return f"EPSG:{4513 + zone - 25}"
    if minx >= 100_000 and maxx <= 900_000:
        return (
            "EPSG:4534..4554 (CGCS2000 3-degree Gauss-Kruger by central meridian, e.g. EPSG:4547 for 114°E)"
        )
    return None


def crs_label(crs) -> str:
    """``EPSG:4547`` when the CRS has an EPSG code, else its name."""
    crs = CRS.from_user_input(crs)
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.name


def within_area_of_use(lonlat_bounds, crs, margin_deg: float = 1.5) -> bool:
    """Whether lon/lat ``bounds`` lie in ``crs``'s area of use (widened by ``margin_deg``).

    A Gauss-Kruger zone covers 3 degrees of longitude: data that lands more than
    half a zone outside it was given the wrong zone. CRSs without a declared area
    accept anything finite.
    """
    minx, miny, maxx, maxy = lonlat_bounds
    if not np.all(np.isfinite(lonlat_bounds)):
        return False
    area = CRS.from_user_input(crs).area_of_use
    if area is None:
        return True
    west, south, east, north = area.bounds
    if west > east:  # crosses the antimeridian: do not second-guess
        return True
    return (
        west - margin_deg <= minx
        and maxx <= east + margin_deg
        and south - margin_deg <= miny
        and maxy <= north + margin_deg
    )
