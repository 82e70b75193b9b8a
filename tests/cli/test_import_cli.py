"""``geoapp import``: summaries on success; on refusal a message naming file, problem and fix,
a non-zero exit status and an unchanged database (both backends)."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import select

from geoapp.cli.imports import import_cmd
from geoapp.store.models import Building, Village
from tests.services.test_importer import (
    BUILDINGS,
    OUTSIDE,
    V1,
    V2,
    V3,
    buildings_file,
    counts,
    same_shape,
    seed,
    streets_file,
    units_csv,
    villages_file,
    villages_frame,
    write,
)


@pytest.fixture
def run(db_url):
    """Invoke in English so that assertions can quote the messages' tokens."""

    def invoke(*args: str, command=import_cmd, locale: str = "en"):
        runner = CliRunner()
        env = {"GEOAPP_DATABASE_URL": db_url, "GEOAPP_LOCALE": locale}
        return runner.invoke(command, [str(a) for a in args], env=env)

    return invoke


def test_messages_are_chinese_by_default(run, db, tmp_path):
    missing = tmp_path / "村界.gpkg"
    result = run("villages", missing, locale="zh_CN")
    assert result.exit_code != 0
    assert "村界.gpkg 不存在" in result.output


# -- success ---------------------------------------------------------------------------------


def test_import_villages_from_geopackage_prints_a_summary(run, db, tmp_path):
    path = write(villages_frame(V1, V2, crs=4547), tmp_path / "villages.gpkg")
    result = run("villages", path)
    assert result.exit_code == 0, result.output
    assert "villages.gpkg" in result.stdout and "EPSG:4547" in result.stdout
    assert counts(db) == {"village": 2, "street": 0, "building": 0, "unit": 0, "audit_event": 1}
    with db.session() as s:
        stored = {v.code: v.geom for v in s.scalars(select(Village))}
    assert same_shape(stored[V1[1]], V1[2])


def test_the_command_is_registered_in_the_geoapp_group(run, db, tmp_path):
    from geoapp.cli import main

    result = run("import", "villages", villages_file(tmp_path), command=main)
    assert result.exit_code == 0, result.output
    assert counts(db)["village"] == 2


def test_field_options_map_columns(run, db, tmp_path):
    df = villages_frame(V1, tasks=False).rename(columns={"名称": "cun", "code": "dm"})
    df["renkou"] = [321]
    path = write(df, tmp_path / "renamed.geojson")
    result = run("villages", path)
    assert result.exit_code == 1 and "--name-field" in result.stderr
    result = run(
        "villages", path, "--name-field", "cun", "--code-field", "dm", "--field", "task_people=renkou"
    )
    assert result.exit_code == 0, result.output
    with db.session() as s:
        village = s.scalar(select(Village))
    assert (village.name, village.code, village.task_people) == (V1[0], V1[1], 321)
    assert run("villages", path, "--field", "oops").exit_code == 2


def test_buildings_with_skip_outside_and_outside_village(run, db, tmp_path):
    seed(db, tmp_path)
    path = buildings_file(tmp_path, [*BUILDINGS, OUTSIDE])
    result = run("buildings", path, "--skip-outside")
    assert result.exit_code == 0, result.output
    assert counts(db)["building"] == 3 and "rows 4" in result.stdout
    assert run("buildings", path, "--outside-village", V2[1]).exit_code == 1  # rows 1-3 are stored already
    result = run("buildings", path, "--outside-village", V2[1], "--skip-existing")
    assert result.exit_code == 0, result.output
    assert counts(db)["building"] == 4  # only the one left out before
    with db.session() as s:
        stray = s.scalar(select(Building).where(Building.door_no == "9"))
        village = s.scalar(select(Village).where(Village.code == V2[1]))
    assert stray.village_id == village.id
    assert counts(db)["audit_event"] == 4  # villages, streets, then one per import that stored


def test_units_csv_with_chinese_coordinate_columns(run, db, tmp_path):
    seed(db, tmp_path, buildings=True)
    result = run("units", units_csv(tmp_path))
    assert result.exit_code == 0, result.output
    assert "经度/纬度" in result.stdout and "EPSG:4326" in result.stdout
    assert counts(db)["unit"] == 3


def test_repairs_are_reported(run, db, tmp_path):
    x0, y0, x1, y1 = V1[2].bounds
    spike = shapely.Polygon(
        [(x0, y0), (x1, y0), (x1, 27.105), (x1 + 0.001, 27.105), (x1, 27.105), (x1, y1), (x0, y1)]
    )
    result = run("villages", villages_file(tmp_path, (V1[0], V1[1], spike), V2))
    assert result.exit_code == 0, result.output
    assert "1: self-intersection" in result.stdout and "rows 1)" in result.stdout


# -- refusals ----------------------------------------------------------------------------------


def _missing_crs(tmp_path):
    df = villages_frame(V3, crs=4526, tasks=False).rename(columns={"名称": "name"})
    return (
        "villages",
        write(df.set_crs(None, allow_override=True), tmp_path / "nocrs.shp"),
        ["--crs", "EPSG:4526"],
    )


def _zip_without_shp(tmp_path):
    path = tmp_path / "noshp.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cun.dbf", b"")
        archive.writestr("cun.prj", b"")
    return "villages", path, [".shp"]


def _zip_with_several(tmp_path):
    df = villages_frame(V3, tasks=False).rename(columns={"名称": "name"})
    path = tmp_path / "several.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for stem in ("north", "south"):
            write(df, tmp_path / f"{stem}.shp")
            for ext in ("shp", "shx", "dbf", "prj"):
                archive.write(tmp_path / f"{stem}.{ext}", f"{stem}.{ext}")
    return "villages", path, ["north.shp", "south.shp"]


def _broken_zip(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04\x14\x00 truncated")
    return "villages", path, []


def _empty_file(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    return "villages", path, []


def _wrong_geometry_type(tmp_path):
    return "villages", streets_file(tmp_path, name="lines.geojson"), ["LineString", "rows 1, 2"]


def _self_intersecting(tmp_path):
    bow_tie = shapely.Polygon([(114.02, 27.10), (114.03, 27.11), (114.03, 27.10), (114.02, 27.11)])
    return "villages", villages_file(tmp_path, (V3[0], V3[1], bow_tie), name="bowtie.geojson"), ["rows 1 "]


def _eastings_claimed_lonlat(tmp_path):
    df = villages_frame(V3, crs=4526).set_crs(4326, allow_override=True)
    return "villages", write(df, tmp_path / "eastings.geojson"), ["EPSG:4526", "--crs"]


def _latitude_above_90(tmp_path):
    north = (V3[0], V3[1], shapely.box(114.0, 95.0, 114.01, 95.01))
    return "villages", villages_file(tmp_path, north, name="north.geojson"), ["--crs"]


def _overlapping_villages(tmp_path):
    over = (V3[0], V3[1], shapely.box(114.015, 27.10, 114.03, 27.11))  # over 下新村 in the database
    return "villages", villages_file(tmp_path, over, name="overlap.geojson"), [V3[0], V2[0]]


def _duplicate_codes(tmp_path):
    twice = (V3[0], V3[1], V3[2]), ("石门二村", V3[1], shapely.box(114.03, 27.10, 114.04, 27.11))
    return "villages", villages_file(tmp_path, *twice, name="dups.geojson"), [V3[1], "1, 2"]


def _csv_without_coordinates(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("单位名称,地址\n甲,上新村\n", encoding="utf-8")
    return "units", path, ["--x-field", "--y-field"]


def _csv_xy_without_crs(tmp_path):
    x, y = shapely.get_coordinates(gpd.GeoSeries([shapely.Point(114.0051, 27.1052)], crs=4326).to_crs(4547))[
        0
    ]
    path = tmp_path / "xy.csv"
    path.write_text(f"name,x,y\n甲,{x},{y}\n")
    return "units", path, ["--crs"]


def _buildings_outside(tmp_path):
    return (
        "buildings",
        buildings_file(
            tmp_path, [(shapely.Point(114.006, 27.1051), "14", None, None, None), OUTSIDE], name="b.geojson"
        ),
        [
            "rows 2",
            "--outside-village",
            "--skip-outside",
        ],
    )


CASES = [
    _missing_crs,
    _zip_without_shp,
    _zip_with_several,
    _broken_zip,
    _empty_file,
    _wrong_geometry_type,
    _self_intersecting,
    _eastings_claimed_lonlat,
    _latitude_above_90,
    _overlapping_villages,
    _duplicate_codes,
    _csv_without_coordinates,
    _csv_xy_without_crs,
    _buildings_outside,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(run, db, tmp_path, case):
    seed(db, tmp_path, buildings=True)
    layer, path, tokens = case(tmp_path)
    before = counts(db)
    result = run(layer, path)
    assert result.exit_code == 1, result.output
    assert path.name in result.stderr
    for token in tokens:
        assert token in result.stderr
    assert result.stdout == ""
    assert counts(db) == before


def test_progress_bar_writes_to_stderr(capsys):
    from geoapp.cli.imports import _Bar

    bar = _Bar()
    bar(500, 1000)
    bar(1000, 1000)
    assert bar.bar.n == 1000 and bar.bar.total == 1000
    bar.close()
    assert capsys.readouterr().out == ""


def test_the_import_limits_come_from_the_environment(db, db_url, tmp_path):
    """GEOAPP_IMPORT_MAX_*: a zip expanding past the limit and a file with too many features are
    refused with the limit, the setting and the fix; nothing is stored."""
    seed_villages = villages_file(tmp_path, name="v.geojson")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("buildings.shp", bytes(2 * 1024 * 1024))  # 2 MB of zeros in ~2 KB
    env = {"GEOAPP_DATABASE_URL": db_url, "GEOAPP_LOCALE": "en", "GEOAPP_IMPORT_MAX_MB": "1"}
    result = CliRunner().invoke(import_cmd, ["buildings", str(bomb)], env=env)
    assert result.exit_code == 1
    assert "bomb.zip would expand to 2.0 MB, more than the 1.0 MB" in result.stderr
    assert "GEOAPP_IMPORT_MAX_MB" in result.stderr
    env = {**env, "GEOAPP_IMPORT_MAX_FEATURES": "1", "GEOAPP_LOCALE": "zh_CN"}
    result = CliRunner().invoke(import_cmd, ["villages", str(seed_villages)], env=env)
    assert result.exit_code == 1
    assert "v.geojson" in result.stderr and "GEOAPP_IMPORT_MAX_FEATURES" in result.stderr
    assert counts(db) == {"village": 0, "street": 0, "building": 0, "unit": 0, "audit_event": 0}
