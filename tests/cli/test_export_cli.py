"""`geoapp export gpkg|geojson|xlsx`: every layer, readable back, and a round trip through import."""

from __future__ import annotations

import json

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from geoapp.cli import main
from geoapp.store.db import Database
from geoapp.store.models import AuditEvent, Building, Street, Unit, Village


def run(db_url, *args):
    return CliRunner().invoke(
        main, [str(a) for a in args], env={"GEOAPP_DATABASE_URL": db_url, "GEOAPP_LOCALE": "en"}
    )


def counts(url):
    db = Database(url)
    with db.session() as s:
        result = {
            m.__tablename__: s.scalar(select(func.count()).select_from(m))
            for m in (Village, Street, Building, Unit)
        }
    db.dispose()
    return result


def test_export_geopackage_holds_every_layer_in_lonlat(demo_url, tmp_path):
    path = tmp_path / "town.gpkg"
    result = run(demo_url, "export", "gpkg", path)
    assert result.exit_code == 0, result.output
    layers = dict(pyogrio.list_layers(path))
    assert layers == {
        "villages": "Polygon",
        "streets": "LineString",
        "units": "Point",
        "buildings_points": "Point",
        "buildings_footprints": "Polygon",
    }
    expected = counts(demo_url)
    n = {name: pyogrio.read_info(path, layer=name)["features"] for name in layers}
    assert n["villages"] == expected["village"] == 28
    assert n["buildings_points"] + n["buildings_footprints"] == expected["building"] == 10831
    assert n["units"] == expected["unit"] and n["streets"] == expected["street"]
    assert pyogrio.read_info(path, layer="villages")["crs"] == "EPSG:4326"
    villages = pyogrio.read_dataframe(path, layer="villages")
    assert "范固村" in set(villages["name"])
    db = Database(demo_url)
    with db.session() as s:
        exports = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export"))
    db.dispose()
    assert exports == 1


def test_export_geojson_writes_one_file_per_layer(demo_url, tmp_path):
    out = tmp_path / "gj"
    assert run(demo_url, "export", "geojson", out).exit_code == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(
        f"{n}.geojson" for n in ("villages", "streets", "units", "buildings_points", "buildings_footprints")
    )
    data = json.loads((out / "villages.geojson").read_text(encoding="utf-8"))
    x, y = data["features"][0]["geometry"]["coordinates"][0][0]
    assert 73 < x < 136 and 3 < y < 54  # RFC 7946: longitude, latitude


def test_export_excel_has_chinese_headers(demo_url, tmp_path):
    path = tmp_path / "town.xlsx"
    assert run(demo_url, "export", "xlsx", path).exit_code == 0
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["村", "街路巷", "房屋", "单位"]
    assert {"名称", "行政区划代码", "实有人口任务数", "实有房屋任务数"} <= set(sheets["村"].columns)
    assert {"标准地址", "采集状态", "经度", "纬度", "所属村"} <= set(sheets["房屋"].columns)
    assert len(sheets["房屋"]) == 10831


def test_export_round_trips_through_import(demo_url, db_url, tmp_path):
    """What we export, we (and QGIS) can read back: villages then buildings into an empty database."""
    path = tmp_path / "town.gpkg"
    assert run(demo_url, "export", "gpkg", path).exit_code == 0
    for args in (
        ("villages", "--layer", "villages"),
        ("streets", "--layer", "streets"),
        ("buildings", "--layer", "buildings_points"),
        ("buildings", "--layer", "buildings_footprints"),
    ):
        result = run(db_url, "import", args[0], path, *args[1:])
        assert result.exit_code == 0, result.output
    assert counts(db_url) == {**counts(demo_url), "unit": 0}


def test_export_to_an_unwritable_place_fails_cleanly(demo_url, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(demo_url, "export", "gpkg", blocker / "town.gpkg")
    assert result.exit_code != 0


@pytest.mark.parametrize("fmt", ["shp", "kml"])
def test_unknown_formats_are_refused(demo_url, tmp_path, fmt):
    result = run(demo_url, "export", fmt, tmp_path / f"x.{fmt}")
    assert result.exit_code == 2 and "gpkg" in result.output
