"""The importer service on both backends: what it stores, and what it refuses without storing."""

from __future__ import annotations

import json
import warnings
import zipfile

import geopandas as gpd
import orjson
import pytest
import shapely
from sqlalchemy import select, text

from geoapp.domain.errors import ImportRefused
from geoapp.domain.identifiers import make_uscc
from geoapp.services.gis_io.importer import ImportOptions, import_layer
from geoapp.spatial.readers import ImportLimits
from geoapp.store.models import AuditEvent, Building, Street, Unit, Village

TABLES = ("village", "street", "building", "unit", "audit_event")
V1 = ("上新村", "431021101001", shapely.box(114.00, 27.10, 114.01, 27.11))
V2 = ("下新村", "431021101002", shapely.box(114.01, 27.10, 114.02, 27.11))
V3 = ("石门村", "431021101003", shapely.box(114.02, 27.10, 114.03, 27.11))
STREETS = (
    ("上新一巷", shapely.LineString([(114.002, 27.105), (114.008, 27.105)])),
    ("下新路", shapely.LineString([(114.012, 27.103), (114.018, 27.103)])),
)
USCC_A = make_uscc("91431021MA4L00003")  # 工商 enterprise, county 431021, organisation code MA4L0000-3
USCC_B = make_uscc("92431021MA4L00011")  # 工商 个体工商户


# -- synthetic files -------------------------------------------------------------------------


def write(df: gpd.GeoDataFrame, path, **kwargs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        df.to_file(path, engine="pyogrio", **kwargs)
    return path


def villages_frame(*villages, crs=4326, tasks=True) -> gpd.GeoDataFrame:
    columns = {"名称": [v[0] for v in villages], "code": [v[1] for v in villages]}
    if tasks:
        columns["任务人口"] = [100 * (i + 1) for i in range(len(villages))]
        columns["任务房屋"] = [40 * (i + 1) for i in range(len(villages))]
    return gpd.GeoDataFrame(columns, geometry=[v[2] for v in villages], crs=4326).to_crs(crs)


def villages_file(tmp_path, *villages, name="villages.geojson", crs=4326):
    return write(villages_frame(*(villages or (V1, V2)), crs=crs), tmp_path / name)


def streets_file(tmp_path, name="streets.geojson"):
    df = gpd.GeoDataFrame(
        {"街路巷名": [s[0] for s in STREETS], "kind": ["lane", None]},
        geometry=[s[1] for s in STREETS],
        crs=4326,
    )
    return write(df, tmp_path / name)


BUILDINGS = [  # (geometry, 门牌号, 用途, 层数, 地址)
    (shapely.Point(114.005, 27.1052), "12", "住宅", 2, None),  # 上新村, ~22 m from 上新一巷
    (shapely.box(114.0150, 27.1032, 114.0152, 27.1034), "3", "沿街铺面", 3, None),  # 下新村 on 下新路
    (shapely.Point(114.015, 27.109), None, None, None, "下新村后山1号"),  # far from any street
]
OUTSIDE = (shapely.Point(114.05, 27.105), "9", None, None, None)


def buildings_file(tmp_path, rows=BUILDINGS, name="buildings.geojson"):
    df = gpd.GeoDataFrame(
        {
            "门牌号": [r[1] for r in rows],
            "用途": [r[2] for r in rows],
            "层数": [r[3] for r in rows],
            "地址": [r[4] for r in rows],
        },
        geometry=[r[0] for r in rows],
        crs=4326,
    )
    return write(df, tmp_path / name)


def units_csv(tmp_path, lines=None, name="units.csv"):
    lines = lines or [
        f"华兴五金店,114.0151,27.1033,{USCC_A},沿街铺面",  # inside the polygon building
        f"上新米厂,114.0051,27.1052,{USCC_B},",  # ~10 m from the point building
        "无证小卖部,114.0049,27.1053,,",
    ]
    path = tmp_path / name
    path.write_text("单位名称,经度,纬度,统一社会信用代码,类型\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def counts(db) -> dict[str, int]:
    with db.session() as s:
        return {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def refuse(db, layer, path, options=None) -> str:
    """Import must fail with a message naming the file, and leave every table as it was."""
    before = counts(db)
    with pytest.raises(ImportRefused) as info:
        import_layer(db, layer, path, options)
    assert counts(db) == before
    assert info.value.field == path.name
    message = str(info.value)
    assert path.name in message
    return message


def seed(db, tmp_path, *, streets=True, buildings=False):
    import_layer(db, "villages", villages_file(tmp_path, name="seed_villages.geojson"))
    if streets:
        import_layer(db, "streets", streets_file(tmp_path, name="seed_streets.geojson"))
    if buildings:
        import_layer(db, "buildings", buildings_file(tmp_path, name="seed_buildings.geojson"))


def same_shape(a, b, tol=1e-6) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=tol))


def village_rows(db) -> dict[str, Village]:
    with db.session() as s:
        return {v.code: v for v in s.scalars(select(Village))}


# -- villages ------------------------------------------------------------------------------


def test_villages_from_geopackage_in_gauss_kruger_4547(db, tmp_path):
    path = write(villages_frame(V1, V2, crs=4547), tmp_path / "villages.gpkg")
    progress = []
    summary = import_layer(db, "villages", path, progress=lambda done, total: progress.append((done, total)))
    assert (summary.read, summary.inserted, summary.updated) == (2, 2, 0)
    assert summary.source_crs == "EPSG:4547" and summary.format == "GeoPackage"
    assert progress[-1] == (2, 2)
    villages = village_rows(db)
    for name, code, geom in (V1, V2):
        stored = villages[code]
        assert stored.name == name
        assert same_shape(stored.geom, geom)  # reprojected back within 1e-6°
        assert (stored.minx, stored.miny, stored.maxx, stored.maxy) == pytest.approx(geom.bounds, abs=1e-6)
    assert villages[V2[1]].task_people == 200 and villages[V2[1]].task_houses == 80
    with db.session() as s:
        events = s.scalars(select(AuditEvent)).all()
    assert [(e.action, e.object_type) for e in events] == [("import", "villages")]
    changes = orjson.loads(events[0].changes)
    assert changes["file"] == "villages.gpkg" and changes["inserted"] == 2


def test_villages_from_zipped_shapefile_in_cgcs2000(db, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    df = villages_frame(V1, V2, crs=4490, tasks=False).rename(columns={"名称": "name"})
    write(df, folder / "cun.shp")
    path = tmp_path / "cun.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    summary = import_layer(db, "villages", path)
    assert summary.source_crs == "EPSG:4490" and summary.inserted == 2
    villages = village_rows(db)
    assert same_shape(villages[V1[1]].geom, V1[2]) and villages[V1[1]].task_people == 0


def test_reimporting_villages_updates_by_code_and_moves_buildings(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    ids = {code: v.id for code, v in village_rows(db).items()}
    with db.session() as s:
        house = s.scalar(select(Building).where(Building.door_no == "3"))  # in 下新村 at 114.015
    # 上新村 is renamed and grows east over that house; 石门村 is new.
    wider = ("上新社区", V1[1], shapely.box(114.00, 27.10, 114.016, 27.11))
    narrower = (V2[0], V2[1], shapely.box(114.016, 27.10, 114.02, 27.11))
    summary = import_layer(db, "villages", villages_file(tmp_path, wider, narrower, V3, name="again.geojson"))
    assert (summary.inserted, summary.updated) == (1, 2)
    villages = village_rows(db)
    assert {code: v.id for code, v in villages.items() if code in ids} == ids
    assert villages[V1[1]].name == "上新社区" and same_shape(villages[V1[1]].geom, wider[2])
    with db.session() as s:
        moved = s.get(Building, house.id)
    assert moved.village_id == ids[V1[1]] and moved.version == house.version + 1
    assert any("moved" in t and p["count"] == 2 for t, p in summary.messages())  # doors 3 and the far one


def test_repaired_geometries_are_reported(db, tmp_path):
    x0, y0, x1, y1 = V1[2].bounds
    spike = shapely.Polygon(
        [(x0, y0), (x1, y0), (x1, 27.105), (x1 + 0.001, 27.105), (x1, 27.105), (x1, y1), (x0, y1)]
    )
    repeated = shapely.Polygon([(x1, y0), (114.02, y0), (114.02, y0), (114.02, y1), (x1, y1)])
    path = villages_file(tmp_path, (V1[0], V1[1], spike), (V2[0], V2[1], repeated))
    summary = import_layer(db, "villages", path)
    assert set(summary.repaired) == {1, 2}
    assert "Self-intersection" in summary.repaired[1] and "Repeated" in summary.repaired[2]
    assert any("Repaired" in t and p["rows"] == "1, 2" for t, p in summary.messages())
    villages = village_rows(db)
    assert villages[V1[1]].geom.is_valid and villages[V1[1]].geom.symmetric_difference(V1[2]).area < 1e-12


def test_duplicate_village_codes_are_refused(db, tmp_path):
    message = refuse(db, "villages", villages_file(tmp_path, V1, (V2[0], V1[1], V2[2])))
    assert V1[1] in message and "1, 2" in message


def test_bad_village_codes_are_refused(db, tmp_path):
    message = refuse(db, "villages", villages_file(tmp_path, V1, (V2[0], "4310211", V2[2])))
    assert "4310211" in message and "--code-field" in message


def test_overlapping_villages_in_the_file_are_refused(db, tmp_path):
    overlapping = (V2[0], V2[1], shapely.box(114.009, 27.10, 114.02, 27.11))
    message = refuse(db, "villages", villages_file(tmp_path, V1, overlapping))
    assert V1[0] in message and V2[0] in message


def test_villages_overlapping_those_in_the_database_are_refused(db, tmp_path):
    seed(db, tmp_path, streets=False)
    intruder = (V3[0], V3[1], shapely.box(114.015, 27.10, 114.03, 27.11))
    message = refuse(db, "villages", villages_file(tmp_path, intruder, name="intruder.geojson"))
    assert V3[0] in message and V2[0] in message
    # Replacing 下新村 in the same file makes room: no refusal.
    narrower = (V2[0], V2[1], shapely.box(114.01, 27.10, 114.015, 27.11))
    import_layer(db, "villages", villages_file(tmp_path, narrower, intruder, name="ok.geojson"))


def test_village_import_leaving_buildings_outside_is_refused(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    shrunk = (V2[0], V2[1], shapely.box(114.01, 27.10, 114.02, 27.105))  # loses the house at 27.109
    message = refuse(db, "villages", villages_file(tmp_path, shrunk, name="shrunk.geojson"))
    assert "下新村后山1号" in message and "(1, " in message


def test_wrong_geometry_type_is_refused(db, tmp_path):
    message = refuse(db, "villages", streets_file(tmp_path))
    assert "LineString" in message and "1, 2" in message


def test_self_intersecting_village_is_refused(db, tmp_path):
    bow_tie = shapely.Polygon([(114.01, 27.10), (114.02, 27.11), (114.02, 27.10), (114.01, 27.11)])
    message = refuse(db, "villages", villages_file(tmp_path, V1, (V2[0], V2[1], bow_tie)))
    assert "rows 2 " in message and "2: self-intersection [" in message and "--repair" in message


def test_village_name_column_is_required(db, tmp_path):
    path = write(villages_frame(V1).rename(columns={"名称": "label"}), tmp_path / "noname.geojson")
    message = refuse(db, "villages", path)
    assert "--name-field" in message
    summary = import_layer(db, "villages", path, ImportOptions(fields={"name": "label"}))
    assert summary.inserted == 1


# -- streets and buildings --------------------------------------------------------------------


def test_streets_are_stored_and_buildings_refronted(db, tmp_path):
    seed(db, tmp_path, streets=False, buildings=True)
    with db.session() as s:
        assert s.scalars(select(Building.street_id)).all() == [None, None, None]
    summary = import_layer(db, "streets", streets_file(tmp_path))
    assert summary.inserted == 2
    with db.session() as s:
        streets = {st.name: st for st in s.scalars(select(Street))}
        fronting = dict(s.execute(select(Building.door_no, Building.street_id)).all())
    assert streets["上新一巷"].kind == "lane" and streets["下新路"].kind == "lane"
    assert fronting == {"12": streets["上新一巷"].id, "3": streets["下新路"].id, None: None}


def test_buildings_points_and_polygons_get_village_street_and_address(db, tmp_path):
    seed(db, tmp_path)
    summary = import_layer(db, "buildings", buildings_file(tmp_path))
    assert summary.inserted == 3
    villages = village_rows(db)
    with db.session() as s:
        streets = {st.name: st.id for st in s.scalars(select(Street))}
        houses = s.scalars(select(Building).order_by(Building.id)).all()
    point, polygon, far = houses
    assert (point.village_id, point.street_id) == (villages[V1[1]].id, streets["上新一巷"])
    assert point.address == "余坪镇上新村上新一巷12号" and point.use == "dwelling" and point.floors == 2
    assert (point.lon, point.lat) == pytest.approx((114.005, 27.1052))
    assert (polygon.village_id, polygon.street_id) == (villages[V2[1]].id, streets["下新路"])
    assert polygon.geom.geom_type == "Polygon" and polygon.use == "shop" and polygon.floors == 3
    assert polygon.address == "余坪镇下新村下新路3号"
    assert shapely.box(114.0150, 27.1032, 114.0152, 27.1034).contains(shapely.Point(polygon.lon, polygon.lat))
    assert far.street_id is None and far.address == "下新村后山1号" and far.floors is None
    assert {h.status for h in houses} == {"uncollected"} and {h.source for h in houses} == {
        "buildings.geojson"
    }


def test_buildings_outside_every_village_are_refused_by_default(db, tmp_path):
    seed(db, tmp_path)
    path = buildings_file(tmp_path, [*BUILDINGS, OUTSIDE])
    message = refuse(db, "buildings", path)
    assert "--outside-village" in message and "--skip-outside" in message and "rows 4" in message
    options = ImportOptions(outside_village="431021109999")
    assert "--outside-village" in refuse(db, "buildings", path, options)
    both = ImportOptions(outside_village=V1[1], skip_outside=True)
    assert "--skip-outside" in refuse(db, "buildings", path, both)


def test_outside_village_option_puts_them_in_that_village(db, tmp_path):
    seed(db, tmp_path)
    path = buildings_file(tmp_path, [*BUILDINGS, OUTSIDE])
    summary = import_layer(db, "buildings", path, ImportOptions(outside_village=V2[1]))
    assert summary.inserted == 4
    with db.session() as s:
        stray = s.scalar(select(Building).where(Building.door_no == "9"))
    assert stray.village_id == village_rows(db)[V2[1]].id
    assert any(p.get("rows") == "4" for _, p in summary.messages())


def test_skip_outside_leaves_them_out_and_says_so(db, tmp_path):
    seed(db, tmp_path)
    summary = import_layer(
        db, "buildings", buildings_file(tmp_path, [OUTSIDE, *BUILDINGS]), ImportOptions(skip_outside=True)
    )
    assert (summary.read, summary.inserted, summary.skipped) == (4, 3, [1])
    assert counts(db)["building"] == 3
    assert any(p.get("skipped") == 1 for _, p in summary.messages())


def test_buildings_before_villages_are_refused(db, tmp_path):
    assert "villages" in refuse(db, "buildings", buildings_file(tmp_path))


def test_bad_floors_are_refused(db, tmp_path):
    seed(db, tmp_path)
    rows = [BUILDINGS[0], (shapely.Point(114.006, 27.106), "13", None, "三", None)]
    message = refuse(db, "buildings", buildings_file(tmp_path, rows))
    assert "rows 2 " in message and "层数" in message


# -- units ------------------------------------------------------------------------------------


def test_units_from_csv_with_chinese_coordinate_columns(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    summary = import_layer(db, "units", units_csv(tmp_path))
    assert summary.crs_assumed and summary.coordinate_columns == ("经度", "纬度")
    assert any("EPSG:4326" in t for t, _ in summary.messages())
    with db.session() as s:
        houses = {b.door_no: b.id for b in s.scalars(select(Building))}
        units = {u.name: u for u in s.scalars(select(Unit))}
    assert units["华兴五金店"].building_id == houses["3"] and units["华兴五金店"].kind == "shop"
    assert units["上新米厂"].building_id == houses["12"] and units["上新米厂"].kind == "enterprise"
    assert units["上新米厂"].uscc == USCC_B and units["无证小卖部"].uscc is None
    assert {u.status for u in units.values()} == {"uncollected"}


def test_units_with_bad_or_taken_credit_codes_are_refused(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    bad = USCC_A[:-1] + ("0" if USCC_A[-1] != "0" else "1")
    message = refuse(
        db, "units", units_csv(tmp_path, [f"甲,114.0051,27.1052,{USCC_B},", f"乙,114.0051,27.1052,{bad},"])
    )
    assert "rows 3 " in message and bad in message
    import_layer(db, "units", units_csv(tmp_path, [f"甲,114.0051,27.1052,{USCC_B},"], name="first.csv"))
    again = units_csv(tmp_path, [f"丙,114.0051,27.1052,{USCC_B},"], name="again.csv")
    assert USCC_B in refuse(db, "units", again)


def test_units_far_from_any_building_are_refused(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    path = units_csv(tmp_path, ["甲,114.0051,27.1052,,", "乙,114.009,27.101,,"])
    message = refuse(db, "units", path)
    assert "rows 3:" in message and "30" in message


def test_csv_with_xy_columns_needs_crs(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    x, y = shapely.get_coordinates(gpd.GeoSeries([shapely.Point(114.0051, 27.1052)], crs=4326).to_crs(4547))[
        0
    ]
    path = tmp_path / "units_xy.csv"
    path.write_text(f"name,x,y\n甲,{x},{y}\n")
    assert "--crs" in refuse(db, "units", path)
    summary = import_layer(db, "units", path, ImportOptions(crs="EPSG:4547"))
    assert summary.inserted == 1 and not summary.crs_assumed


def test_csv_without_coordinate_columns_is_refused(db, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("单位名称,地址\n甲,上新村\n", encoding="utf-8")
    message = refuse(db, "units", path)
    assert "--x-field" in message and "--y-field" in message


# -- file-level refusals change nothing -------------------------------------------------------


def test_file_problems_change_nothing(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    projected = villages_frame(V3, crs=4526, tasks=False).rename(columns={"名称": "name"})
    no_crs = write(projected.set_crs(None, allow_override=True), tmp_path / "nocrs.shp")
    assert "EPSG:4526" in refuse(db, "villages", no_crs)
    eastings = write(
        villages_frame(V3, crs=4526).set_crs(4326, allow_override=True), tmp_path / "eastings.geojson"
    )
    assert "EPSG:4526" in refuse(db, "villages", eastings)
    north = write(
        villages_frame((V3[0], V3[1], shapely.box(114.0, 95.0, 114.01, 95.01))), tmp_path / "north.geojson"
    )
    assert "--crs" in refuse(db, "villages", north)
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    refuse(db, "villages", empty)
    no_shp = tmp_path / "no_shp.zip"
    with zipfile.ZipFile(no_shp, "w") as archive:
        archive.writestr("cun.dbf", b"")
    assert ".shp" in refuse(db, "villages", no_shp)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04broken")
    refuse(db, "villages", broken)
    unclosed = tmp_path / "unclosed.geojson"
    ring = [[114.02, 27.10], [114.03, 27.10], [114.03, 27.11], [114.02, 27.11]]
    feature = {
        "type": "Feature",
        "properties": {"name": "石门村", "code": V3[1]},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    unclosed.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    summary = import_layer(db, "villages", unclosed)  # not a refusal: the ring is closed and reported
    assert summary.repaired == {1: "Unclosed ring"}


# -- sessions ---------------------------------------------------------------------------------


def test_import_inside_a_callers_transaction_uses_a_savepoint(db, tmp_path):
    good = villages_file(tmp_path, V1, name="good.geojson")
    bad = villages_file(tmp_path, V1, (V2[0], V1[1], V2[2]), name="bad.geojson")
    with db.write() as session:
        with pytest.raises(ImportRefused):
            import_layer(session, "villages", bad)
        summary = import_layer(session, "villages", good)
    assert summary.inserted == 1
    assert counts(db) == {"village": 1, "street": 0, "building": 0, "unit": 0, "audit_event": 1}


# -- importing again ----------------------------------------------------------------------------


def test_importing_the_same_buildings_twice_is_refused_or_skipped(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    again = buildings_file(tmp_path, name="again.geojson")
    message = refuse(db, "buildings", again)
    assert "rows 1, 2, 3 " in message and "--skip-existing" in message
    summary = import_layer(db, "buildings", again, ImportOptions(skip_existing=True))
    assert (summary.inserted, summary.skipped) == (0, [1, 2, 3])
    assert counts(db)["building"] == len(BUILDINGS)
    # An extended file stores only what is new.
    extra = (shapely.Point(114.006, 27.1051), "14", "住宅", 1, None)
    more = buildings_file(tmp_path, [*BUILDINGS, extra], name="more.geojson")
    summary = import_layer(db, "buildings", more, ImportOptions(skip_existing=True))
    assert (summary.inserted, summary.skipped) == (1, [1, 2, 3])
    with db.session() as s:
        assert s.scalars(select(Building.door_no).order_by(Building.id)).all() == ["12", "3", None, "14"]


def test_importing_the_same_streets_twice_is_refused_or_skipped(db, tmp_path):
    seed(db, tmp_path)
    again = streets_file(tmp_path, name="again.geojson")
    assert "--skip-existing" in refuse(db, "streets", again)
    summary = import_layer(db, "streets", again, ImportOptions(skip_existing=True))
    assert (summary.inserted, len(summary.skipped)) == (0, len(STREETS))
    assert counts(db)["street"] == len(STREETS)


def test_a_street_of_the_same_name_elsewhere_is_new(db, tmp_path):
    seed(db, tmp_path)
    df = gpd.GeoDataFrame(
        {"街路巷名": ["上新一巷"]},
        geometry=[shapely.LineString([(114.002, 27.107), (114.008, 27.107)])],
        crs=4326,
    )
    summary = import_layer(db, "streets", write(df, tmp_path / "elsewhere.geojson"))
    assert summary.inserted == 1


def test_importing_the_same_units_twice_is_refused_or_skipped(db, tmp_path):
    seed(db, tmp_path, buildings=True)
    import_layer(db, "units", units_csv(tmp_path))
    again = units_csv(tmp_path, name="again.csv")
    assert USCC_A in refuse(db, "units", again)
    summary = import_layer(db, "units", again, ImportOptions(skip_existing=True))
    assert (summary.inserted, summary.skipped) == (0, [2, 3, 4])
    no_code = units_csv(tmp_path, ["无证小卖部,114.0049,27.1053,,"], name="no_code.csv")
    message = refuse(db, "units", no_code)  # same name in the same building: already there
    assert "rows 2 " in message and "--skip-existing" in message
    assert counts(db)["unit"] == 3


# -- size limits -------------------------------------------------------------------------------


def test_a_footprint_with_an_absurd_vertex_count_is_refused_naming_its_row(db, tmp_path):
    """A building of 20,001 vertices (the issue's had a million) would weigh on every phone."""
    seed(db, tmp_path)
    huge = shapely.Point(114.0152, 27.1052).buffer(0.0002, quad_segs=5000)
    assert shapely.get_num_coordinates(huge) == 20_001
    rows = [*BUILDINGS, (huge, "99", "住宅", 1, None)]
    message = refuse(db, "buildings", buildings_file(tmp_path, rows, name="huge.geojson"))
    assert "rows 4 " in message and "10000" in message and "20001" in message
    assert "GEOAPP_IMPORT_MAX_VERTICES" in message and "Simplify" in message


def test_village_boundaries_have_their_own_vertex_limit(db, tmp_path):
    detailed = shapely.Polygon(
        [(114.0 + 0.01 * i / 500, 27.10) for i in range(500)]
        + [(114.01, 27.10), (114.01, 27.11), (114.0, 27.11)]
    )
    path = villages_file(tmp_path, (V1[0], V1[1], detailed), V2, name="detailed.geojson")
    low = ImportOptions(limits=ImportLimits(max_vertices=100, max_boundary_vertices=200))
    message = refuse(db, "villages", path, low)
    assert "rows 1 " in message and "GEOAPP_IMPORT_MAX_BOUNDARY_VERTICES" in message
    summary = import_layer(db, "villages", path, ImportOptions(limits=ImportLimits(max_vertices=100)))
    assert summary.inserted == 2  # 504 vertices: a detailed boundary, well within the default


def test_limits_refuse_before_anything_is_stored(db, tmp_path):
    seed(db, tmp_path)
    path = buildings_file(tmp_path, name="three.geojson")
    message = refuse(db, "buildings", path, ImportOptions(limits=ImportLimits(max_features=2)))
    assert "3 features" in message
