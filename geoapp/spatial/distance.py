"""Distances in metres between lon/lat positions and geometries."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point

from geoapp.spatial.crs import utm_crs


@lru_cache(maxsize=16)
def _to_utm(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def metres_between(lon: float, lat: float, geom) -> float:
    """Distance from a position to a geometry (0 inside a footprint), in the local UTM zone."""
    tr = _to_utm(utm_crs(lon, lat).to_epsg())

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    here = Point(*tr.transform(lon, lat))
    return float(here.distance(shapely.transform(geom, project)))
