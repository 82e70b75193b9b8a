"""geoapp tiles build, and geoapp demo writing the tile file GEOAPP_BASEMAP names."""

from __future__ import annotations

from click.testing import CliRunner

from geoapp.cli import main
from geoapp.spatial.mbtiles import open_tile_file


def test_tiles_build_writes_the_town_basemap(demo_url, tmp_path):
    out = tmp_path / "town.mbtiles"
    env = {"GEOAPP_DATABASE_URL": demo_url}
    result = CliRunner().invoke(main, ["tiles", "build", "--out", str(out), "--max-zoom", "13"], env=env)
    assert result.exit_code == 0, result.output
    assert "zooms 12-13" in result.output
    info = open_tile_file(out)
    assert (info.minzoom, info.maxzoom, info.format) == (12, 13, "png")


def test_demo_writes_the_configured_tile_file_when_missing(demo_url, tmp_path):
    out = tmp_path / "demo-tiles.mbtiles"
    env = {"GEOAPP_DATABASE_URL": demo_url, "GEOAPP_GIS_DATA": str(tmp_path), "GEOAPP_BASEMAP": f"mbtiles:{out}",
           "GEOAPP_ARGON2_TIME_COST": "1", "GEOAPP_ARGON2_MEMORY_KIB": "8192"}  # fmt: skip
    result = CliRunner().invoke(main, ["demo", "--if-empty"], env=env)
    assert result.exit_code == 0, result.output
    assert out.exists() and "basemap:" in result.output
    again = CliRunner().invoke(main, ["demo", "--if-empty"], env=env)
    assert "basemap:" not in again.output  # there already


def test_a_bad_basemap_stops_the_command_naming_the_variable(tmp_path):
    env = {"GEOAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "GEOAPP_BASEMAP": "gaode,osm"}
    result = CliRunner().invoke(main, ["tiles", "build"], env=env)
    assert result.exit_code == 2
    assert "GEOAPP_BASEMAP: unknown basemap 'osm'" in result.output
