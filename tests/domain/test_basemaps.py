"""GEOAPP_BASEMAP: what it accepts, and bad values refused naming the variable and the fix."""

from __future__ import annotations

import pytest

from geoapp.config import Settings
from geoapp.domain.basemaps import Basemap, BasemapConfigError, parse_basemaps


def test_none_is_the_default():
    assert Settings.from_env({}).basemaps == ()
    assert Settings.from_env({"GEOAPP_BASEMAP": "none"}).basemaps == ()
    assert Settings.from_env({"GEOAPP_BASEMAP": " "}).basemaps == ()


def test_several_at_once_in_order():
    env = {"GEOAPP_BASEMAP": "mbtiles:instance/t.mbtiles, tianditu,gaode", "GEOAPP_TIANDITU_KEY": "k1"}
    settings = Settings.from_env(env)
    assert settings.basemaps == (
        Basemap("mbtiles", "instance/t.mbtiles"),
        Basemap("tianditu"),
        Basemap("gaode"),
    )
    assert settings.tianditu_key == "k1"
    assert [b.gcj02 for b in settings.basemaps] == [False, False, True]
    assert parse_basemaps("tencent,tianditu-img", "k")[1] == Basemap("tianditu-img")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("osm", "unknown basemap 'osm'"),
        ("mbtiles", "names no file"),
        ("mbtiles:", "names no file"),
        ("pmtiles:x.pmtiles", "pmtiles convert"),
        ("tianditu", "GEOAPP_TIANDITU_KEY"),
        ("gaode,gaode", "listed twice"),
        ("mbtiles:a.mbtiles,mbtiles:b.mbtiles", "listed twice"),
        ("none,gaode", "cannot be combined"),
        ("gaode:x", "unknown basemap"),
    ],
)
def test_bad_values_are_refused_clearly(value, says):
    with pytest.raises(BasemapConfigError) as caught:
        Settings.from_env({"GEOAPP_BASEMAP": value})
    message = str(caught.value)
    assert message.startswith("GEOAPP_BASEMAP:")
    assert says in message
