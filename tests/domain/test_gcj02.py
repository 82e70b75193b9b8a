"""WGS84 ↔ GCJ-02 against published pairs, and the round trip over China in metres."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from geoapp.domain.gcj02 import gcj_to_wgs, in_china, wgs_to_gcj

GEOD = Geod(ellps="WGS84")

# (wgs lon, wgs lat, gcj lon, gcj lat). Sources:
# - googollee/eviltransform, python/test.py TESTS (Shanghai, Shenzhen, Beijing);
# - wandergis/coordtransform's pair as repeated in coordtransform-rs tests/ (wgs84_to_gcj02(116.404, 39.915)).
PAIRS = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai (eviltransform)
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen (eviltransform)
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing (eviltransform)
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # Beijing (coordtransform)
]


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), PAIRS)
def test_forward_matches_published_pairs(wlon, wlat, glon, glat):
    lon, lat = wgs_to_gcj(wlon, wlat)
    assert metres(lon, lat, glon, glat) < 0.001


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), PAIRS[:3])
def test_inverse_matches_published_pairs(wlon, wlat, glon, glat):
    lon, lat = gcj_to_wgs(glon, glat)
    assert metres(lon, lat, wlon, wlat) < 0.01


def test_round_trip_across_china_under_half_a_metre():
    lon, lat = np.meshgrid(np.linspace(74.0, 134.0, 61), np.linspace(18.5, 53.0, 36))
    lon, lat = lon.ravel(), lat.ravel()
    glon, glat = wgs_to_gcj(lon, lat)
    shift = metres(lon, lat, glon, glat)
    assert shift[in_china(lon, lat)].min() > 50  # the grid really is shifted …
    back_lon, back_lat = gcj_to_wgs(glon, glat)
    error = metres(lon, lat, back_lon, back_lat)
    assert error.max() < 0.5  # … and comes back
    assert error.max() < 0.01  # in fact to a centimetre


def test_no_shift_outside_china():
    for lon, lat in [(2.35, 48.85), (139.69, 35.68), (-74.0, 40.7), (0.0, 0.0)]:
        assert wgs_to_gcj(lon, lat) == (lon, lat)
        assert gcj_to_wgs(lon, lat) == (lon, lat)


def test_floats_in_floats_out_arrays_in_arrays_out():
    lon, lat = wgs_to_gcj(113.0, 28.0)
    assert isinstance(lon, float) and isinstance(lat, float)
    lons, lats = wgs_to_gcj(np.array([113.0, 2.0]), np.array([28.0, 48.0]))
    assert lons.shape == (2,) and lons[1] == 2.0 and lats[1] == 48.0


def test_browser_module_agrees_with_python_within_a_centimetre():
    """static/js/gcj02.js (run by node) gives the same points as this module, both ways."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = Path(__file__).resolve().parents[2] / "static" / "js" / "gcj02.js"
    lon, lat = np.meshgrid(np.linspace(74.0, 134.0, 13), np.linspace(18.5, 53.0, 8))
    points = [[float(a), float(b)] for a, b in zip(lon.ravel(), lat.ravel(), strict=True)]
    points += [[p[0], p[1]] for p in PAIRS] + [[2.35, 48.85]]
    code = (
        f"var g = require({json.dumps(str(script))}); var pts = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(pts.map(function (p) { return [g.toGcj(p[0], p[1]), g.toWgs(p[0], p[1])]; })));"
    )
    out = subprocess.run([node, "-e", code, json.dumps(points)], capture_output=True, text=True, check=True)
    js = np.array(json.loads(out.stdout))
    pts = np.array(points)
    fwd = np.array(wgs_to_gcj(pts[:, 0], pts[:, 1])).T
    inv = np.array(gcj_to_wgs(pts[:, 0], pts[:, 1])).T
    assert metres(js[:, 0, 0], js[:, 0, 1], fwd[:, 0], fwd[:, 1]).max() < 0.01
    assert metres(js[:, 1, 0], js[:, 1, 1], inv[:, 0], inv[:, 1]).max() < 0.01
