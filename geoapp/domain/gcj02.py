"""WGS84 ↔ GCJ-02 ("Mars coordinates"), the offset Chinese web maps (Gaode, Tencent) draw in.

The forward transform is the published closed formula on the Krasovsky ellipsoid
(a = 6378245 m, e² = 0.00669342162296594323); there is no closed inverse, so
``gcj_to_wgs`` iterates the forward one until the residual is below a millimetre.
Outside China (a rough box, as every implementation does) nothing is shifted.
Vectorised over NumPy arrays; plain floats work too. ``static/js/gcj02.js`` is the
same formula for the browser (tests check they agree).
"""

from __future__ import annotations

import numpy as np

A = 6378245.0
EE = 0.00669342162296594323
# The box the shift applies in (lon 72.004–137.8347, lat 0.8293–55.8271): outside it, none.
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)


def in_china(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    minx, miny, maxx, maxy = CHINA_BOX
    return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)


def _delta(lon, lat):
    """(dlon, dlat) in degrees that GCJ-02 adds to a WGS84 point inside China."""
    x, y = lon - 105.0, lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    t_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    t_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    t_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    t_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (t_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (t_lon * 180.0) / (A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _out(lon, lat, like):
    return (float(lon), float(lat)) if np.ndim(like) == 0 else (lon, lat)


def wgs_to_gcj(lon, lat):
    """WGS84 lon/lat → GCJ-02 lon/lat (arrays or floats); unchanged outside China."""
    lon0, lat0 = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon0, lat0)
    inside = in_china(lon0, lat0)
    return _out(np.where(inside, lon0 + dlon, lon0), np.where(inside, lat0 + dlat, lat0), lon)


def gcj_to_wgs(lon, lat, *, tolerance_deg: float = 1e-10, max_iterations: int = 30):
    """GCJ-02 lon/lat → WGS84 by fixed-point iteration (1e-10° ≈ 0.01 mm); unchanged outside China."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iterations):
        dlon, dlat = _delta(wlon, wlat)
        err_lon, err_lat = wlon + dlon - glon, wlat + dlat - glat
        wlon, wlat = wlon - err_lon, wlat - err_lat
        if np.all(np.abs(err_lon) < tolerance_deg) and np.all(np.abs(err_lat) < tolerance_deg):
            break
    inside = in_china(glon, glat)
    return _out(np.where(inside, wlon, glon), np.where(inside, wlat, glat), lon)
