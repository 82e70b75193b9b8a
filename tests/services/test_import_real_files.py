"""Real-world (OpenStreetMap-like) files on both backends: --repair, --skip-invalid, --dry-run,
unnamed streets. A refused import stores nothing; a dry run stores nothing and reports the same."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import select

from geoapp.domain.errors import ImportRefused
from geoapp.domain.i18n import render
from geoapp.services.gis_io.importer import ImportOptions, import_layer
from geoapp.store.models import Building
from tests.services.test_importer import counts, refuse, seed, write


def footprint(x0: float, pts) -> shapely.Polygon:
    """A polygon in 上新村 (V1) from coordinates in units of 1e-5 degrees (about 1 m)."""
    return shapely.Polygon([(114.001 + (x0 + x) * 1e-5, 27.101 + y * 1e-5) for x, y in pts])


SQUARE = [(0, 0), (20, 0), (20, 10), (0, 10)]
TWISTED = [(0, 0), (20, 0), (19, 10), (20, 9), (0, 10)]  # a bow-tie at one corner: +0.5 % when repaired
FIGURE_8 = [(0, 0), (20, 10), (20, 0), (0, 20)]  # two unequal lobes crossing: +66.7 % when repaired
EQUAL_BOW_TIE = [(0, 0), (20, 20), (20, 0), (0, 20)]  # lobes cancel out: area 0 as drawn


def osm_buildings(tmp_path, shapes, name="osm_buildings.gpkg"):
    """Footprints like an OSM extract: an osm_id column and no other attributes."""
    df = gpd.GeoDataFrame(
        {"osm_id": [1000 + i for i in range(len(shapes))], "building": ["yes"] * len(shapes)},
        geometry=list(shapes),
        crs=4326,
    )
    return write(df, tmp_path / name)


def texts(summary) -> list[str]:
    return [render(t, p, str) for t, p in summary.messages()]


@pytest.fixture
def town(db, tmp_path):
    seed(db, tmp_path)
    return db


def test_self_intersecting_footprints_are_refused_naming_repair(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED)])
    message = refuse(town, "buildings", path)
    assert "rows 2" in message and "--repair" in message and "--skip-invalid" in message


def test_repair_fixes_bow_tie_footprints_and_reports_the_area_change(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED), footprint(60, TWISTED)])
    summary = import_layer(town, "buildings", path, ImportOptions(repair=True))
    assert summary.inserted == 3
    assert set(summary.repaired) == {2, 3}
    lines = "\n".join(texts(summary))
    assert "Repaired row 2 (osm_id 1001) (self-intersection): area" in lines
    assert "(+0.5 %)" in lines
    with town.session() as s:
        geoms = list(s.scalars(select(Building.geom).order_by(Building.id)))
    assert all(shapely.is_valid(g) for g in geoms)
    assert sum(shapely.get_type_id(g) == 6 for g in geoms) == 2  # the twisted corner kept as its own part


def test_repair_changing_the_area_too_much_is_refused(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, TWISTED), footprint(30, FIGURE_8)])
    message = refuse(town, "buildings", path, ImportOptions(repair=True))
    assert "rows 2" in message and "+66.7 %" in message and "--max-area-change" in message
    # A larger allowance accepts it.
    summary = import_layer(town, "buildings", path, ImportOptions(repair=True, max_area_change=0.7))
    assert summary.inserted == 2 and set(summary.repaired) == {1, 2}


def test_skip_invalid_leaves_out_and_lists_what_cannot_be_stored(town, tmp_path):
    shapes = [
        footprint(0, SQUARE),
        footprint(30, TWISTED),
        footprint(60, FIGURE_8),
        shapely.Polygon(),
        None,
        footprint(90, EQUAL_BOW_TIE),
    ]
    path = osm_buildings(tmp_path, shapes)
    before = counts(town)
    summary = import_layer(town, "buildings", path, ImportOptions(repair=True, skip_invalid=True))
    assert summary.inserted == 2 and set(summary.repaired) == {2}
    assert summary.invalid == {
        3: "the repair changes the area too much",
        4: "empty geometry",
        5: "empty geometry",
        6: "the repair changes the area too much",
    }
    assert counts(town)["building"] == before["building"] + 2
    lines = "\n".join(texts(summary))
    assert "Left out as invalid (--skip-invalid): 4 (rows 3, 4, 5, 6)." in lines
    assert "Left out row 4 (osm_id 1003): empty geometry." in lines
    assert "Repair refused for row 6 (osm_id 1005) (self-intersection): area 0.0 m²" in lines
    assert "(∞)" in lines


def test_skip_invalid_without_repair_leaves_out_self_intersections(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED)], name="b.geojson")
    summary = import_layer(town, "buildings", path, ImportOptions(skip_invalid=True))
    assert summary.inserted == 1 and summary.invalid == {2: "self-intersection"}


def test_empty_geometries_are_refused_without_skip_invalid(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), None], name="b.geojson")
    message = refuse(town, "buildings", path)
    assert "rows 2" in message and "--skip-invalid" in message


def test_dry_run_stores_nothing_and_reports_like_the_real_run(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED), None])
    options = dict(repair=True, skip_invalid=True)
    before = counts(town)
    dry = import_layer(town, "buildings", path, ImportOptions(dry_run=True, **options))
    assert counts(town) == before  # buildings and audit events alike
    real = import_layer(town, "buildings", path, ImportOptions(**options))
    assert counts(town)["building"] == before["building"] + 2
    assert counts(town)["audit_event"] == before["audit_event"] + 1
    assert texts(dry)[0] == "Dry run: nothing was stored. An import would do this:"
    assert texts(dry)[1:] == texts(real)
    assert dry.inserted == real.inserted == 2


def test_dry_run_reports_a_refusal_like_the_real_run(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, FIGURE_8)])
    dry = refuse(town, "buildings", path, ImportOptions(repair=True, dry_run=True))
    assert dry == refuse(town, "buildings", path, ImportOptions(repair=True))


def test_dry_run_of_villages_and_streets(db, tmp_path):
    from tests.services.test_importer import streets_file, villages_file

    before = counts(db)
    summary = import_layer(db, "villages", villages_file(tmp_path), ImportOptions(dry_run=True))
    assert summary.inserted == 2 and counts(db) == before
    seed(db, tmp_path, streets=False)
    before = counts(db)
    summary = import_layer(db, "streets", streets_file(tmp_path), ImportOptions(dry_run=True))
    assert summary.inserted == 2 and counts(db) == before


def test_a_refused_import_inside_a_caller_transaction_leaves_it_usable(town, tmp_path):
    path = osm_buildings(tmp_path, [footprint(0, FIGURE_8)])
    with town.write() as session:
        with pytest.raises(ImportRefused):
            import_layer(session, "buildings", path, ImportOptions(repair=True))
        summary = import_layer(session, "buildings", path, ImportOptions(repair=True, skip_invalid=True))
        assert summary.inserted == 0 and summary.invalid == {1: "the repair changes the area too much"}


# -- unnamed streets -------------------------------------------------------------------------

UNNAMED_A = shapely.LineString([(114.002, 27.107), (114.008, 27.107)])  # in 上新村, north of 上新一巷
UNNAMED_B = shapely.LineString([(114.012, 27.107), (114.018, 27.107)])  # in 下新村


def osm_streets(tmp_path, name="osm_streets.geojson"):
    """5 of 725 OSM ways have no name: here two empty names, one null, and a named one."""
    df = gpd.GeoDataFrame(
        {
            "osm_id": [1, 2, 3, 4],
            "name": [None, "", "新街", "无名路"],
            "highway": ["footway", "path", "residential", "track"],
        },
        geometry=[
            UNNAMED_A,
            UNNAMED_B,
            shapely.LineString([(114.002, 27.108), (114.008, 27.108)]),
            shapely.LineString([(114.002, 27.1085), (114.008, 27.1085)]),
        ],
        crs=4326,
    )
    return write(df, tmp_path / name)


def test_unnamed_streets_are_imported_each_on_its_own(town, tmp_path):
    from geoapp.store.models import Street

    path = osm_streets(tmp_path)
    summary = import_layer(town, "streets", path)
    assert summary.inserted == 4
    assert "Streets without a name, stored as unnamed roads: 3." in texts(summary)
    with town.session() as s:
        names = sorted(n for (n,) in s.execute(select(Street.name)))
    assert names == ["", "", "", "上新一巷", "下新路", "新街"]
    # Importing the file again finds every street already stored (by name and line), merges none.
    message = refuse(town, "streets", path)
    assert "4 streets" in message
    summary = import_layer(town, "streets", path, ImportOptions(skip_existing=True))
    assert summary.inserted == 0 and summary.skipped == [1, 2, 3, 4]


def unnamed_town(db, tmp_path):
    """The seed town plus two unnamed roads, each fronted by a numbered house."""
    from geoapp.store.models import Street

    seed(db, tmp_path, buildings=True)
    df = gpd.GeoDataFrame({"name": [None, None]}, geometry=[UNNAMED_A, UNNAMED_B], crs=4326)
    import_layer(db, "streets", write(df, tmp_path / "unnamed.geojson"))
    houses = gpd.GeoDataFrame(
        {"门牌号": ["7", "7", "8"]},
        geometry=[
            shapely.Point(114.005, 27.1072),
            shapely.Point(114.015, 27.1072),
            shapely.Point(114.006, 27.1072),
        ],
        crs=4326,
    )
    summary = import_layer(db, "buildings", write(houses, tmp_path / "houses.geojson"))
    assert summary.inserted == 3
    with db.session() as s:
        streets = dict(s.execute(select(Street.geom, Street.id)).all())
        rows = s.execute(
            select(Building.door_no, Building.address, Building.street_id).order_by(Building.id)
        ).all()
    ids = [next(i for g, i in streets.items() if shapely.equals(g, line)) for line in (UNNAMED_A, UNNAMED_B)]
    return ids, rows[-3:]


def test_houses_on_unnamed_roads_get_village_addresses(db, tmp_path):
    (a, b), rows = unnamed_town(db, tmp_path)
    assert [tuple(r) for r in rows] == [
        ("7", "余坪镇上新村7号", a),
        ("7", "余坪镇下新村7号", b),
        ("8", "余坪镇上新村8号", a),
    ]


def test_plates_and_numbering_of_unnamed_roads_keep_them_apart(db, tmp_path):
    from geoapp.domain.errors import InvalidInput
    from geoapp.domain.roles import Role, Scope
    from geoapp.services.addresses.numbering import plan_numbering
    from geoapp.services.addresses.plates import plates_for_street

    (a, b), _ = unnamed_town(db, tmp_path)
    admin = Scope(1, "admin", Role.ADMIN)
    with db.session() as s:
        on_a = plates_for_street(s, admin, a, base_url="http://x")
        on_b = plates_for_street(s, admin, b, base_url="http://x")
        assert on_a.title == "" and [p.address for p in on_a.plates] == ["余坪镇上新村7号", "余坪镇上新村8号"]
        assert [p.address for p in on_b.plates] == ["余坪镇下新村7号"]
        with pytest.raises(InvalidInput) as info:
            plan_numbering(s, a)
        assert "unnamed road" in str(info.value)
        named = s.scalar(select(Building.street_id).where(Building.door_no == "12"))
        assert (
            named is not None and plates_for_street(s, admin, named, base_url="http://x").title == "上新一巷"
        )


def test_exports_show_unnamed_roads_and_import_back_unnamed(db, tmp_path):
    from geoapp.domain.roles import Role, Scope
    from geoapp.services.gis_io.frames import buildings_frame, streets_frame
    from geoapp.store.models import Street

    unnamed_town(db, tmp_path)
    admin = Scope(1, "admin", Role.ADMIN)
    with db.session() as s:
        streets = streets_frame(s, admin)
        houses = buildings_frame(s, admin, None)
    assert sorted(streets["name"]) == ["上新一巷", "下新路", "无名路", "无名路"]
    assert (houses["street"] == "无名路").sum() == 3
    with db.write() as s:
        s.execute(
            Street.__table__.delete().where(
                Street.id.not_in(select(Building.street_id).where(Building.street_id.is_not(None)))
            )
        )
    exported = write(streets[streets["name"] == "无名路"].drop(columns=["id"]), tmp_path / "exported.gpkg")
    summary = import_layer(db, "streets", exported, ImportOptions(skip_existing=True))
    assert summary.inserted == 0 and summary.skipped == [1, 2]  # the same unnamed roads, found again


def test_phrases_are_translated_with_their_template():
    from geoapp.domain.address import UNNAMED_ROAD
    from geoapp.domain.errors import NotFound
    from geoapp.domain.i18n import Phrase

    error = NotFound("No house in your scope is on street %(name)s.", name=Phrase(UNNAMED_ROAD))
    zh = {
        "No house in your scope is on street %(name)s.": "街路巷 %(name)s 上没有你范围内的房屋。",
        UNNAMED_ROAD: "无名路",
    }
    assert error.render(lambda m: zh.get(m, m)) == "街路巷 无名路 上没有你范围内的房屋。"


def test_invalid_lines_are_refused_or_left_out(town, tmp_path):
    from geoapp.store.models import Street

    df = gpd.GeoDataFrame(
        {"name": ["好路", "坏路"]},
        geometry=[UNNAMED_A, shapely.LineString([(114.003, 27.109), (114.003, 27.109)])],  # one point twice
        crs=4326,
    )
    path = write(df, tmp_path / "lines.gpkg")
    message = refuse(town, "streets", path, ImportOptions(repair=True))  # lines are never repaired
    assert "rows 2" in message and "--skip-invalid" in message
    summary = import_layer(town, "streets", path, ImportOptions(skip_invalid=True))
    assert summary.inserted == 1 and summary.invalid == {2: "invalid point or line (not repaired)"}
    with town.session() as s:
        assert s.scalar(select(Street.id).where(Street.name == "坏路")) is None
