"""The offline basemap: drawn from the demo town into an MBTiles file, served by the app."""

from __future__ import annotations

import dataclasses
import io
import json
import re

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


def basemap_options(html: str) -> dict:
    """The options the page gives static/js/basemaps.js."""
    call = re.search(r"geoapp\.basemaps\(\w+, (\{.*?\})\);\n", html)
    return json.loads(call.group(1))


def _configure(app, basemaps, key=""):
    settings = app.extensions["geoapp.settings"]
    app.extensions["geoapp.settings"] = dataclasses.replace(settings, basemaps=basemaps, tianditu_key=key)


MAP_PAGES = [("collector", "/"), ("officer", "/"), ("leader", "/"), ("leader", "/leaders")]


@pytest.mark.parametrize(("who", "path"), MAP_PAGES)
def test_offline_basemap_pages_name_no_outside_address(clients, tiled, who, path):
    html = clients(who).get(path).get_data(as_text=True)
    assert "geoapp.basemaps(" in html
    assert "/tiles/base/{z}/{x}/{y}" in html
    options = basemap_options(html)
    assert [layer["label"] for layer in options["layers"]] == ["离线底图"]  # the switch, in Chinese
    assert options["text"] == {"title": "底图", "none": "无底图"}
    assert options["layers"][0]["maxNativeZoom"] == 13  # the file's own zooms
    assert "js/gcj02.js" in html and "js/basemaps.js" in html
    for outside in ("tianditu.gov.cn", "autonavi.com", "gtimg.com", "openstreetmap", "http://", "https://"):
        assert outside not in html, outside


def test_no_basemap_by_default(clients):
    html = clients("officer").get("/").get_data(as_text=True)
    assert "geoapp.basemaps(" not in html and "/tiles/base/" not in html


def test_online_basemaps_get_their_url_templates(clients, demo_app):
    _configure(demo_app, (Basemap("tianditu"), Basemap("gaode"), Basemap("tencent")), key="KEY123")
    html = clients("collector").get("/").get_data(as_text=True)
    options = basemap_options(html)
    layers = {layer["id"]: layer for layer in options["layers"]}
    assert list(layers) == ["tianditu", "gaode", "tencent"]
    tdt = layers["tianditu"]
    assert tdt["url"].startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?") and "LAYER=vec" in tdt["url"]
    assert "tk=KEY123" in tdt["url"] and "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in tdt["url"]
    assert "LAYER=cva" in tdt["labels"] and tdt["crs"] == "wgs84"
    assert layers["gaode"]["url"].startswith("https://webrd0{s}.is.autonavi.com/appmaptile?")
    assert layers["gaode"]["crs"] == layers["tencent"]["crs"] == "gcj02"
    assert "y={-y}" in layers["tencent"]["url"]  # Tencent numbers rows from the south
    assert [layer["label"] for layer in options["layers"]] == ["天地图 矢量", "高德地图", "腾讯地图"]
    _configure(demo_app, (Basemap("tianditu-img"),), key="K")
    html = clients("collector").get("/").get_data(as_text=True)
    assert "LAYER=img" in html and "LAYER=cia" in html


def test_the_page_policy_lets_only_the_configured_tile_servers_in(clients, demo_app):
    policy = clients("officer").get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob:;" in policy
    _configure(demo_app, (Basemap("mbtiles", "x.mbtiles"),))
    assert "img-src 'self' data: blob:;" in clients("officer").get("/").headers["Content-Security-Policy"]
    _configure(demo_app, (Basemap("tianditu"), Basemap("tencent")), key="K")
    policy = clients("officer").get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.map.gtimg.com https://*.tianditu.gov.cn;" in policy
    assert "connect-src 'self';" in policy  # images only
