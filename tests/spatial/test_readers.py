"""Reading GIS files: formats, CRSs and the refusals that name file, problem and fix."""

import io
import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geoapp.domain.errors import ImportRefused
from geoapp.spatial.readers import ImportLimits, find_column, format_rows, read_layer

LONLAT_BOX = shapely.box(114.0, 27.10, 114.01, 27.11)


def frame(geoms, crs, **columns) -> gpd.GeoDataFrame:
    columns = columns or {"name": [f"f{i}" for i in range(len(geoms))]}
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def write(df: gpd.GeoDataFrame, path, **kwargs):
    """Write with pyogrio; a frame without CRS is written without one, on purpose."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        warnings.filterwarnings("ignore", message="Could not decode error message", category=RuntimeWarning)
        df.to_file(path, engine="pyogrio", **kwargs)
    return path


def zip_shapefile(df, tmp_path, name="layer", zip_name="layer.zip"):
    folder = tmp_path / f"shp_{name}"
    folder.mkdir()
    write(df, folder / f"{name}.shp")
    target = tmp_path / zip_name
    with zipfile.ZipFile(target, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, f"data/{part.name}")
    return target


def refused(path, **kwargs) -> ImportRefused:
    with pytest.raises(ImportRefused) as info:
        read_layer(path, **kwargs)
    exc = info.value
    assert exc.field == path.name
    assert path.name in str(exc)
    return exc


def assert_same(geom_a, geom_b, tol=1e-6):
    assert shapely.equals_exact(shapely.normalize(geom_a), shapely.normalize(geom_b), tolerance=tol)


# -- formats and CRSs ----------------------------------------------------------------------


def test_geojson_in_lonlat_keeps_rows_and_attributes(tmp_path):
    path = write(frame([LONLAT_BOX, shapely.Point(114.005, 27.105)], 4326), tmp_path / "a.geojson")
    data = read_layer(path)
    assert data.source_crs == "EPSG:4326" and data.format == "GeoJSON"
    assert data.frame.index.tolist() == [1, 2]
    assert data.frame["name"].tolist() == ["f0", "f1"]
    assert_same(data.frame.geometry[1], LONLAT_BOX)


@pytest.mark.parametrize("epsg", [4547, 4526, 4490])
def test_geopackage_is_reprojected_to_lonlat(tmp_path, epsg):
    source = frame([LONLAT_BOX], 4326).to_crs(epsg)
    if epsg == 4526:  # zone-prefixed Gauss-Kruger eastings have 8 digits
        assert source.total_bounds[0] > 38_000_000
    path = write(source, tmp_path / "v.gpkg")
    data = read_layer(path)
    assert data.source_crs == f"EPSG:{epsg}"
    assert data.frame.crs.to_epsg() == 4326
    assert_same(data.frame.geometry[1], LONLAT_BOX)


def test_zipped_and_loose_shapefiles(tmp_path):
    source = frame([LONLAT_BOX], 4490)
    data = read_layer(zip_shapefile(source, tmp_path))
    assert data.source_crs == "EPSG:4490" and data.format == "Shapefile (zip)"
    assert_same(data.frame.geometry[1], LONLAT_BOX)
    loose = write(source.to_crs(4547), tmp_path / "loose.shp")
    assert_same(read_layer(loose).frame.geometry[1], LONLAT_BOX)


def test_crs_option_overrides_a_wrong_file_crs(tmp_path):
    projected = frame([LONLAT_BOX], 4326).to_crs(4526)
    path = write(projected.set_crs(4326, allow_override=True), tmp_path / "claims4326.geojson")
    data = read_layer(path, crs="EPSG:4526")
    assert data.source_crs == "EPSG:4526"
    assert_same(data.frame.geometry[1], LONLAT_BOX)


def test_multilayer_geopackage_needs_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    write(frame([LONLAT_BOX], 4326), path, layer="villages")
    write(frame([shapely.Point(114, 27.1)], 4326), path, layer="points")
    exc = refused(path)
    assert "--layer" in str(exc) and "villages" in str(exc)
    assert read_layer(path, layer="points").frame.geometry[1].geom_type == "Point"
    assert "--layer" in str(refused(path, layer="nope"))


def test_unclosed_ring_is_closed_and_reported(tmp_path):
    path = tmp_path / "open.geojson"
    ring = [[114.0, 27.1], [114.01, 27.1], [114.01, 27.11], [114.0, 27.11]]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "a"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"name": "b"},
                        "geometry": LONLAT_BOX.__geo_interface__,
                    },
                ],
            }
        )
    )
    data = read_layer(path)
    assert data.closed_rings == [1]
    assert_same(data.frame.geometry[1], LONLAT_BOX)


# -- CSV -------------------------------------------------------------------------------------


def test_csv_with_lonlat_names_is_assumed_epsg4326(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("名称,经度,纬度\n甲,114.001,27.101\n乙, 114.002 ,27.102\n", encoding="utf-8")
    data = read_layer(path)
    assert data.crs_assumed and data.source_crs == "EPSG:4326"
    assert data.coordinate_columns == ("经度", "纬度")
    assert data.frame.index.tolist() == [2, 3]  # line numbers
    assert data.frame.geometry[3].equals(shapely.Point(114.002, 27.102))


def test_csv_in_gbk_with_semicolons_and_named_columns(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("名称;E;N\n甲;114.001;27.101\n".encode("gbk"))
    assert "--x-field" in str(refused(path))
    data = read_layer(path, x_field="E", y_field="N", crs="EPSG:4490")
    assert not data.crs_assumed
    assert data.frame["名称"].tolist() == ["甲"]
    assert "--x-field" in str(refused(path, x_field="east", y_field="N"))


def test_csv_with_xy_needs_crs(tmp_path):
    x, y = shapely.get_coordinates(gpd.GeoSeries([shapely.Point(114.003, 27.104)], crs=4326).to_crs(4547))[0]
    path = tmp_path / "xy.csv"
    path.write_text(f"name,x,y\na,{x},{y}\n")
    exc = refused(path)
    assert "--crs" in str(exc) and "EPSG:45" in str(exc)
    data = read_layer(path, crs="EPSG:4547")
    assert abs(data.frame.geometry[2].x - 114.003) < 1e-6 and abs(data.frame.geometry[2].y - 27.104) < 1e-6


def test_csv_rows_without_coordinates_are_named(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("name,lon,lat\na,114,27.1\nb,,27.1\nc,abc,27.1\n")
    exc = refused(path)
    assert "3, 4" in str(exc)


def test_csv_without_coordinate_columns(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("name,address\na,b\n")
    exc = refused(path)
    assert "--x-field" in str(exc) and "--y-field" in str(exc)


# -- refusals --------------------------------------------------------------------------------


def test_missing_crs_asks_for_crs_and_guesses_the_zone(tmp_path):
    path = write(
        frame([LONLAT_BOX], 4326).to_crs(4526).set_crs(None, allow_override=True), tmp_path / "noprj.shp"
    )
    exc = refused(path)
    assert "--crs" in str(exc) and "EPSG:4526" in str(exc)
    lonlat = write(frame([LONLAT_BOX], None), tmp_path / "nocrs.gpkg")
    assert "--crs EPSG:4490" in str(refused(lonlat))
    assert read_layer(lonlat, crs="EPSG:4490").source_crs == "EPSG:4490"


@pytest.mark.parametrize(
    ("geom", "expect"),
    [
        (
            shapely.box(38_500_000, 3_000_000, 38_501_000, 3_001_000),
            "EPSG:4526",
        ),  # eastings claimed as lon/lat
        (shapely.box(114.0, 95.0, 114.01, 95.01), "--crs"),  # latitude above 90
    ],
)
def test_coordinates_that_cannot_be_lonlat(tmp_path, geom, expect):
    path = write(frame([geom], 4326), tmp_path / "claims_lonlat.geojson")
    exc = refused(path)
    assert expect in str(exc) and "--crs" in str(exc)


def test_coordinates_outside_the_projection_area(tmp_path):
    eastings = frame([LONLAT_BOX], 4326).to_crs(4526)  # 8-digit eastings …
    path = write(eastings.set_crs(4547, allow_override=True), tmp_path / "wrongzone.gpkg")  # … labelled 4547
    exc = refused(path)
    assert "EPSG:4547" in str(exc) and "EPSG:4526" in str(exc)
    shifted = frame([shapely.box(120.0, 27.1, 120.01, 27.11)], 4326).to_crs(4547)  # valid maths, wrong zone
    assert "--crs" in str(refused(write(shifted, tmp_path / "farzone.gpkg")))


def test_zip_problems(tmp_path):
    empty_zip = tmp_path / "nothing.zip"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    assert ".shp" in str(refused(empty_zip))

    two = tmp_path / "two.zip"
    source = frame([LONLAT_BOX], 4326)
    for name in ("a", "b"):
        write(source, tmp_path / f"{name}.shp")
    with zipfile.ZipFile(two, "w") as archive:
        for name in ("a", "b"):
            for ext in ("shp", "shx", "dbf", "prj"):
                archive.write(tmp_path / f"{name}.{ext}", f"{name}.{ext}")
    exc = refused(two)
    assert "a.shp" in str(exc) and "b.shp" in str(exc)

    broken = tmp_path / "broken.zip"
    broken.write_bytes(zip_shapefile(source, tmp_path).read_bytes()[:-60])
    refused(broken)

    damaged = bytearray(
        zip_shapefile(frame([LONLAT_BOX] * 50, 4326), tmp_path, "big", "big.zip").read_bytes()
    )
    damaged[100:400] = bytes(b ^ 0x55 for b in damaged[100:400])  # directory intact, member data not
    (tmp_path / "damaged.zip").write_bytes(bytes(damaged))
    assert "Shapefile" in str(refused(tmp_path / "damaged.zip"))

    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    refused(garbage)


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    refused(empty)
    no_features = tmp_path / "none.geojson"
    no_features.write_text('{"type": "FeatureCollection", "features": []}')
    refused(no_features)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is not a geopackage" * 10)
    refused(junk)
    header_only = tmp_path / "header.csv"
    header_only.write_text("name,lon,lat\n")
    refused(header_only)
    refused(tmp_path / "missing.geojson")
    refused(write(frame([LONLAT_BOX], 4326), tmp_path / "x.geojson").rename(tmp_path / "x.kml"))


def test_features_without_geometry_are_named(tmp_path):
    path = tmp_path / "nulls.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": LONLAT_BOX.__geo_interface__},
                    {"type": "Feature", "properties": {}, "geometry": None},
                ],
            }
        )
    )
    assert "2" in str(refused(path)).split("rows")[1]


def test_bad_crs_option(tmp_path):
    path = write(frame([LONLAT_BOX], 4326), tmp_path / "ok.geojson")
    assert "--crs" in str(refused(path, crs="EPSG:99999999"))


def test_helpers():
    assert find_column(["Name", "经度"], ["name"]) == "Name"
    assert find_column(["a"], ["b"]) is None
    assert format_rows(np.arange(1, 4)) == "1, 2, 3"
    assert format_rows(range(1, 30), limit=3) == "1, 2, 3 … (+26)"


def test_shapefile_with_cut_chinese_column_names_is_refused(tmp_path):
    # DBF column names hold 10 bytes: 任务人口 (12 bytes in UTF-8) is cut mid-character.
    path = write(frame([LONLAT_BOX], 4326, 任务人口=[1]), tmp_path / "cut.shp")
    assert "GeoPackage" in str(refused(path))


# -- size limits: refused before the data is read whole -----------------------------------------

SMALL = ImportLimits(max_bytes=1024 * 1024, max_features=5, max_zip_members=10)
POINTS = [shapely.Point(114.0 + i / 1000, 27.1) for i in range(6)]


def shapefile_zip(tmp_path, extra=(), *, name="layer.zip", points=POINTS[:2], dbf=None) -> Path:
    """A zipped Shapefile (under ``data/``); ``extra`` = (member name, bytes) added to it;
    ``dbf`` replaces the .dbf's bytes (e.g. with megabytes of zeros)."""
    folder = tmp_path / f"shp_{name}"
    folder.mkdir()
    write(frame(points, 4326), folder / "layer.shp")
    target = tmp_path / name
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            data = dbf if (dbf is not None and part.suffix == ".dbf") else part.read_bytes()
            archive.writestr(f"data/{part.name}", data)
        for member, data in extra:
            archive.writestr(zipfile.ZipInfo(member), data)
    return target


def set_declared_size(path, member: str, size: int) -> None:
    """Rewrite the uncompressed size of ``member`` in the zip's central directory."""
    raw = bytearray(path.read_bytes())
    start = 0
    while (start := raw.find(b"PK\x01\x02", start)) >= 0:
        name_length = int.from_bytes(raw[start + 28 : start + 30], "little")
        if raw[start + 46 : start + 46 + name_length].decode() == member:
            raw[start + 24 : start + 28] = size.to_bytes(4, "little")
            path.write_bytes(bytes(raw))
            return
        start += 46
    raise AssertionError(f"{member} not in {path}")


@pytest.fixture
def nothing_extracted(monkeypatch):
    """Fail the test if any member of a zip is opened (decompressed)."""

    original = zipfile.ZipFile.open

    def opened(self, name, mode="r", *args, **kwargs):
        if mode == "r":  # writing the test's own zip files is fine
            raise AssertionError("a zip member was opened before the zip was checked")
        return original(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", opened)


@pytest.fixture
def nothing_read(monkeypatch):
    """Fail the test if GDAL or pandas reads the features."""

    def read(*args, **kwargs):
        raise AssertionError("the features were read before the count was checked")

    monkeypatch.setattr(pyogrio, "read_dataframe", read)
    monkeypatch.setattr(pd, "read_csv", read)


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path, nothing_extracted):
    """A .dbf of 3 MB of zeros packs into a few kilobytes; its declared size gives it away."""
    path = shapefile_zip(tmp_path, dbf=bytes(3 * 1024 * 1024), name="bomb.zip")
    assert path.stat().st_size < 50_000
    message = str(refused(path, limits=SMALL))
    assert "3.0 MB" in message and "1.0 MB" in message and "GEOAPP_IMPORT_MAX_MB" in message


def test_a_declared_huge_size_is_refused_with_the_default_limits(tmp_path, nothing_extracted):
    path = shapefile_zip(tmp_path, name="huge.zip")
    set_declared_size(path, "data/layer.dbf", 4_000_000_000)
    message = str(refused(path))
    assert "3,814.7 MB" in message and "500.0 MB" in message


def test_a_member_holding_more_than_it_declares_is_refused_as_damaged(tmp_path):
    """Extraction stops at the declared size, and the CRC then fails: refused, never read further."""
    path = shapefile_zip(tmp_path, dbf=bytes(200_000), name="liar.zip")
    set_declared_size(path, "data/layer.dbf", 1_000)
    assert "not a readable zip archive" in str(refused(path))


def test_too_many_members_are_refused(tmp_path, nothing_extracted):
    extra = [(f"data/readme{i}.txt", b"") for i in range(ImportLimits().max_zip_members)]
    path = shapefile_zip(tmp_path, extra, name="many.zip")
    with zipfile.ZipFile(path) as archive:
        members = len(archive.infolist())
    message = str(refused(path))
    assert f"{members} files" in message and "1000" in message
    assert "GEOAPP_IMPORT_MAX_ZIP_MEMBERS" in message


def test_nested_archives_are_refused_unopened(tmp_path, nothing_extracted):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(1024 * 1024))
    path = shapefile_zip(tmp_path, [("data/more.zip", inner.getvalue())], name="nested.zip")
    assert "more.zip" in str(refused(path))


@pytest.mark.parametrize(
    "member",
    ["../../outside.prj", "data/../../layer.cpg", "/etc/layer.cpg", "C:/temp/layer.cpg", "..\\up.txt"],
)
def test_member_names_that_leave_the_folder_are_refused(tmp_path, nothing_extracted, member):
    path = shapefile_zip(tmp_path, [(member, b"x")], name="slip.zip")
    message = str(refused(path))
    assert member in message and "unsafe" in message


def test_a_zipped_shapefile_is_extracted_and_read_within_the_limits(tmp_path):
    data = read_layer(shapefile_zip(tmp_path, name="fine.zip"), limits=SMALL)
    assert len(data.frame) == 2 and data.format == "Shapefile (zip)"


def test_a_large_plain_file_is_refused_before_it_is_read(tmp_path, nothing_read):
    path = write(frame(POINTS * 200, 4326), tmp_path / "big.geojson")
    limits = ImportLimits(max_bytes=path.stat().st_size - 1)
    assert "GEOAPP_IMPORT_MAX_MB" in str(refused(path, limits=limits))


def test_a_loose_shapefile_counts_its_parts(tmp_path, nothing_read):
    path = write(frame(POINTS * 50, 4326), tmp_path / "loose.shp")
    shp_only = path.stat().st_size
    assert "GEOAPP_IMPORT_MAX_MB" in str(refused(path, limits=ImportLimits(max_bytes=shp_only + 10)))


@pytest.mark.parametrize("suffix", ["geojson", "gpkg", "zip"])
def test_too_many_features_are_refused_before_they_are_read(tmp_path, suffix, monkeypatch):
    if suffix == "zip":
        path = shapefile_zip(tmp_path, points=POINTS, name="six.zip")
    else:
        path = write(frame(POINTS, 4326), tmp_path / f"six.{suffix}")
    read_layer(path, limits=ImportLimits(max_features=6))  # at the limit: read
    monkeypatch.setattr(pyogrio, "read_dataframe", lambda *a, **k: pytest.fail("read before counting"))
    message = str(refused(path, limits=SMALL))
    assert "6 features" in message and "5" in message and "GEOAPP_IMPORT_MAX_FEATURES" in message


def test_too_many_csv_rows_are_refused_before_pandas_reads_them(tmp_path, nothing_read):
    path = tmp_path / "six.csv"
    path.write_text("name,lon,lat\n" + "".join(f"p{i},114.0{i},27.1\n" for i in range(6)), encoding="utf-8")
    assert "6 features" in str(refused(path, limits=SMALL))


def test_csv_rows_are_counted_as_records_not_lines(tmp_path):
    path = tmp_path / "multiline.csv"
    rows = "".join(f'"p{i}\nsecond line",114.0{i},27.1\n' for i in range(5))
    path.write_text("name,lon,lat\n" + rows, encoding="utf-8")  # 11 lines, 5 records
    assert len(read_layer(path, limits=SMALL).frame) == 5


def test_a_memory_error_while_reading_is_a_refusal(tmp_path, monkeypatch):
    path = write(frame(POINTS, 4326), tmp_path / "ok.geojson")

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(pyogrio, "read_dataframe", exhausted)
    assert "memory" in str(refused(path))


def test_the_settings_give_the_readers_limits():
    from geoapp.config import Settings
    from geoapp.services.gis_io.importer import import_limits

    assert import_limits(Settings()) == ImportLimits()  # the same defaults in both places
    env = {
        "GEOAPP_IMPORT_MAX_MB": "0.5",
        "GEOAPP_IMPORT_MAX_FEATURES": "10",
        "GEOAPP_IMPORT_MAX_ZIP_MEMBERS": "20",
        "GEOAPP_IMPORT_MAX_VERTICES": "30",
        "GEOAPP_IMPORT_MAX_BOUNDARY_VERTICES": "40",
    }
    assert import_limits(Settings.from_env(env)) == ImportLimits(512 * 1024, 10, 20, 30, 40)
