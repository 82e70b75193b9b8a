"""The offline basemap: drawn from the demo town into an MBTiles file, served by the app."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from geoapp.domain.basemaps import Basemap
from geoapp.services.gis_io.basemap_tiles import build_town_tiles, tile_range


@pytest.fixture
def tiled(demo_app, demo_db, tmp_path):
    """The demo app configured with GEOAPP_BASEMAP=mbtiles:<a file built from the demo town>."""
    path = tmp_path / "town.mbtiles"
    with demo_db.session() as s:
        result = build_town_tiles(s, path, min_zoom=12, max_zoom=13)
    settings = demo_app.extensions["geoapp.settings"]
    demo_app.extensions["geoapp.settings"] = dataclasses.replace(
        settings, basemaps=(Basemap("mbtiles", str(path)),)
    )
    yield result
    demo_app.extensions["geoapp.settings"] = settings


def test_the_town_is_drawn_into_a_small_file(tiled):
    x0, y0, x1, y1 = tile_range(tiled.bounds, 13)
    assert tiled.tiles > (x1 - x0 + 1) * (y1 - y0 + 1)  # every tile over the town at 13, and 12's
    assert tiled.bytes < 2_000_000


def test_a_tile_in_the_file_is_served(clients, tiled):
    x0, y0, x1, y1 = tile_range(tiled.bounds, 13)
    x, y = (x0 + x1) // 2, (y0 + y1) // 2
    r = clients("collector").get(f"/tiles/base/13/{x}/{y}")
    assert r.status_code == 200
    assert r.mimetype == "image/png"
    image = Image.open(io.BytesIO(r.data))
    assert image.size == (256, 256)
    assert len(image.convert("RGB").getcolors(maxcolors=4096)) > 1  # something drawn, not a blank square
    assert "max-age" in r.headers["Cache-Control"] and "private" in r.headers["Cache-Control"]
    etag = r.headers["ETag"]
    again = clients("collector").get(f"/tiles/base/13/{x}/{y}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = clients("collector").get(f"/tiles/base/13/{x}/{y + 1}")
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_tiles_outside_the_file_are_empty(clients, tiled):
    x0, y0, _, _ = tile_range(tiled.bounds, 13)
    client = clients("leader")
    assert client.get(f"/tiles/base/13/{x0 - 5}/{y0}").status_code == 204
    assert client.get("/tiles/base/16/0/0").status_code == 204  # a zoom the file lacks
    assert client.get("/tiles/base/3/99/99").status_code == 204  # not a tile at all


def test_tiles_are_for_logged_in_users_only(clients, tiled):
    x0, y0, _, _ = tile_range(tiled.bounds, 13)
    r = clients(None).get(f"/tiles/base/13/{x0}/{y0}")
    assert r.status_code in (302, 401)
    assert r.mimetype != "image/png"


def test_no_tile_file_configured_answers_empty(clients):
    assert clients("officer").get("/tiles/base/13/6672/3477").status_code == 204
