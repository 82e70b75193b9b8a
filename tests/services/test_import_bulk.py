"""The bulk store of a buildings import (store/bulk.py) on both backends: the same rows, R*Tree,
counts and tallies as the row-by-row path, and nothing stored when it fails in its last chunk."""

from __future__ import annotations

import shutil
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text

from geoapp.domain.errors import Conflict
from geoapp.services.gis_io.importer import bulk as checks
from geoapp.services.gis_io.importer import import_layer
from geoapp.store import bulk, village_tally
from geoapp.store.db import Database
from tests.conftest import pg_clone, pg_drop

VILLAGES = (("上新村", "431021101001", (114.00, 27.10)), ("下新村", "431021101002", (114.01, 27.10)))
HOUSES = 700
COLUMNS = (
    "id, village_id, street_id, door_no, address, use, floors, structure, owner_name, status, "
    "lon, lat, source, version, minx, miny, maxx, maxy, people_count, households_count"
)


def _write(frame: gpd.GeoDataFrame, path):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        frame.to_file(path, engine="pyogrio")
    return path


def county(tmp_path, houses: int = HOUSES, seed: int = 3, door_from: int = 1):
    """Two villages, a street in each, ``houses`` points (some footprints) with door numbers."""
    villages = _write(
        gpd.GeoDataFrame(
            {"名称": [v[0] for v in VILLAGES], "code": [v[1] for v in VILLAGES]},
            geometry=[shapely.box(x, y, x + 0.01, y + 0.01) for _, _, (x, y) in VILLAGES],
            crs=4326,
        ),
        tmp_path / "villages.geojson",
    )
    streets = _write(
        gpd.GeoDataFrame(
            {"街路巷名": ["上新一巷", "下新路"]},
            geometry=[
                shapely.LineString([(x + 0.001, y + 0.005), (x + 0.009, y + 0.005)])
                for _, _, (x, y) in VILLAGES
            ],
            crs=4326,
        ),
        tmp_path / "streets.geojson",
    )
    rng = np.random.default_rng(seed)
    lon = 114.0005 + rng.random(houses) * 0.019
    lat = 27.1005 + rng.random(houses) * 0.009
    geoms = list(shapely.points(lon, lat))
    for i in range(0, houses, 50):  # a footprint now and then
        geoms[i] = shapely.box(lon[i] - 0.00005, lat[i] - 0.00005, lon[i] + 0.00005, lat[i] + 0.00005)
    doors = [None if i % 7 == 0 else f"{door_from + i}" for i in range(houses)]
    houses_path = _write(
        gpd.GeoDataFrame(
            {
                "门牌号": doors,
                "用途": ["住宅", "商铺"] * (houses // 2) + ["住宅"] * (houses % 2),
                "层数": rng.integers(1, 5, houses),
            },
            geometry=geoms,
            crs=4326,
        ),
        tmp_path / f"houses-{seed}.gpkg",
    )
    return villages, streets, houses_path


def load(db, tmp_path, *, bulk_min: int, chunk: int = 200, monkeypatch, progress=None, **kw):
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", bulk_min)
    monkeypatch.setattr(bulk, "CHUNK", chunk)
    villages, streets, houses = county(tmp_path, **kw)
    import_layer(db, "villages", villages)
    import_layer(db, "streets", streets)
    return import_layer(db, "buildings", houses, progress=progress)


def snapshot(db) -> dict:
    with db.engine.connect() as c:
        out = {
            "rows": c.execute(text(f"SELECT {COLUMNS} FROM building ORDER BY id")).all(),
            "geoms": c.execute(
                text(
                    "SELECT id, ST_AsBinary(geom) FROM building ORDER BY id"
                    if db.dialect == "postgresql"
                    else "SELECT id, geom FROM building ORDER BY id"
                )
            ).all(),
            "tally": c.execute(text("SELECT * FROM village_tally ORDER BY 1, 2, 3, 4, 5, 6")).all(),
            "audit": c.execute(text("SELECT action, object_type FROM audit_event ORDER BY id")).all(),
            "map_change": c.execute(text("SELECT name, n FROM map_change ORDER BY name")).all(),
        }
        out["indexes"] = indexes(c)
        if db.dialect == "postgresql":
            out["constraints"] = c.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                    "WHERE conrelid = 'building'::regclass ORDER BY 1"
                )
            ).all()
            out["triggers"] = c.execute(
                text(
                    "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger "
                    "WHERE tgrelid = 'building'::regclass AND NOT tgisinternal ORDER BY 1"
                )
            ).all()
        if db.dialect == "sqlite":
            out["rtree"] = c.execute(text("SELECT * FROM rtree_building ORDER BY id")).all()
            out["triggers"] = sorted(
                c.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            )
    return out


def indexes(c) -> list[tuple]:
    """The indexes of ``building`` as the database states them (name, definition)."""
    if c.dialect.name == "postgresql":
        return c.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'building' ORDER BY 1")
        ).all()
    return c.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'building' ORDER BY 1")
    ).all()


def check_indexes(db) -> None:
    """The R*Tree equals one built row by row from the table, and the module finds it sound;
    the tallies equal a regroup of the houses."""
    with db.engine.connect() as c:
        if db.dialect == "sqlite":
            assert c.execute(text("SELECT rtreecheck('rtree_building')")).scalar() == "ok"
            c.execute(text("CREATE VIRTUAL TABLE temp.rebuilt USING rtree(id, minx, maxx, miny, maxy)"))
            c.execute(text("INSERT INTO temp.rebuilt SELECT id, minx, maxx, miny, maxy FROM building"))
            rebuilt = c.execute(text("SELECT * FROM temp.rebuilt ORDER BY id")).all()
            assert c.execute(text("SELECT * FROM rtree_building ORDER BY id")).all() == rebuilt
            box = dict(zip("abcd", (114.004, 114.012, 27.102, 27.106), strict=True))
            exact = "maxx >= :a AND minx <= :b AND maxy >= :c AND miny <= :d"
            found = c.execute(text(f"SELECT id FROM rtree_building WHERE {exact}"), box).scalars().all()
            expected = c.execute(text(f"SELECT id FROM building WHERE {exact}"), box).scalars().all()
            assert expected and set(expected) <= set(found)  # the index's boxes are rounded outwards
        tally = c.execute(text("SELECT * FROM village_tally ORDER BY 1, 2, 3, 4, 5, 6")).all()
        for statement in village_tally.rebuild_sql():
            c.execute(text(statement))
        assert c.execute(text("SELECT * FROM village_tally ORDER BY 1, 2, 3, 4, 5, 6")).all() == tally
        c.rollback()  # the regroup and the rebuilt R*Tree are only for comparing


def test_bulk_stores_what_the_row_by_row_path_stores(request, backend, db_url, tmp_path, monkeypatch):
    reports = []
    bulk_db = Database(db_url)
    try:
        progress = lambda done, total: reports.append((done, total))  # noqa: E731
        summary = load(bulk_db, tmp_path, bulk_min=100, monkeypatch=monkeypatch, progress=progress)
        assert summary.inserted == HOUSES
        assert reports == [(200, HOUSES), (400, HOUSES), (600, HOUSES), (HOUSES, HOUSES)]  # per chunk
        check_indexes(bulk_db)
        got = snapshot(bulk_db)
    finally:
        bulk_db.dispose()
    assert got["audit"][-1] == ("import", "buildings") and len(got["audit"]) == 3  # one event per import

    if backend == "sqlite":
        path = tmp_path / "row-by-row.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        row_url, drop = f"sqlite:///{path}", lambda: None
    else:
        base = request.getfixturevalue("postgis_base")
        row_url = pg_clone(base, request.getfixturevalue("pg_template"))
        drop = lambda: pg_drop(base, row_url)  # noqa: E731
    row_db = Database(row_url)
    try:
        load(row_db, tmp_path, bulk_min=10**9, monkeypatch=monkeypatch)
        check_indexes(row_db)
        expected = snapshot(row_db)
    finally:
        row_db.dispose()
        drop()
    assert got == expected


def test_a_first_bulk_load_remakes_the_indexes_and_moves_the_map_etag(db, tmp_path, monkeypatch):
    """A load larger than what is stored sorts the indexes after the rows (PostgreSQL and SQLite
    drop them inside the import's transaction): they are all there after it, as before; the
    houses layer's change counter (its ETag) moved; on PostgreSQL the table was analysed."""
    from geoapp.store import map_change

    villages, streets, _ = county(tmp_path, houses=10)
    import_layer(db, "villages", villages)
    import_layer(db, "streets", streets)
    with db.engine.connect() as c:
        before_indexes = indexes(c)
        before_tag = map_change.counters(c, ["building"])
    assert len(before_indexes) >= 4  # status, street, village, address (and the GiST on PostgreSQL)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 100)
    monkeypatch.setattr(bulk, "CHUNK", 200)
    _, _, houses = county(tmp_path, houses=HOUSES, seed=7)
    assert import_layer(db, "buildings", houses).inserted == HOUSES
    check_indexes(db)
    with db.engine.connect() as c:
        assert indexes(c) == before_indexes
        assert map_change.counters(c, ["building"]) > before_tag
        if db.dialect == "postgresql":
            analysed = text("SELECT reltuples FROM pg_class WHERE relname = 'building'")
            assert c.execute(analysed).scalar() == HOUSES
            box = "ST_MakeEnvelope(114, 27.1, 114.001, 27.101, 4326)"
            plan = c.execute(text(f"EXPLAIN SELECT id FROM building WHERE geom && {box}")).scalars().all()
            assert any("ix_building_geom" in line for line in plan), plan
            keys = c.execute(
                text(
                    "SELECT count(*) FROM pg_constraint WHERE conrelid = 'building'::regclass AND contype = 'f'"
                )
            ).scalar()
            assert keys == 2  # village and street: dropped for the load, made again


def test_bulk_onto_stored_houses_keeps_indexes_whole(db, tmp_path, monkeypatch):
    load(db, tmp_path, bulk_min=10**9, monkeypatch=monkeypatch, houses=300)  # row by row
    with db.write() as s:  # some houses collected: they are in the tallies
        s.execute(
            text(
                "UPDATE building SET status = 'collected', collected_at = '2016-05-01 08:00:00' WHERE id % 3 = 0"
            )
        )
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 100)
    _, _, more = county(tmp_path, houses=500, seed=4, door_from=10_000)
    assert import_layer(db, "buildings", more).inserted == 500
    check_indexes(db)
    with db.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM building")).scalar() == 800
        assert c.execute(text("SELECT sum(houses) FROM village_tally")).scalar() == 100


def test_a_failure_in_the_last_chunk_stores_nothing(db, tmp_path, monkeypatch):
    load(db, tmp_path, bulk_min=10**9, monkeypatch=monkeypatch, houses=100)
    before = snapshot(db)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 100)
    _, _, more = county(tmp_path, houses=600, seed=5, door_from=10_000)
    frame = gpd.read_file(more)
    frame.loc[599, "门牌号"] = frame.loc[1, "门牌号"]  # the last row repeats a standard address
    frame.loc[599, "geometry"] = frame.loc[1, "geometry"].buffer(0.0001).centroid
    clash = _write(frame, tmp_path / "clash.gpkg")
    # The file check names the address ...
    with pytest.raises(Conflict):
        import_layer(db, "buildings", clash)
    # ... and without it the database's unique index refuses the last chunk: nothing is stored.
    monkeypatch.setattr(checks, "refuse_taken_addresses", lambda *a: None)
    import geoapp.services.gis_io.importer.buildings as buildings

    monkeypatch.setattr(buildings, "refuse_taken_addresses", lambda *a: None)
    reports = []
    with pytest.raises(Exception, match=r"(?i)unique|duplicate|two houses"):
        import_layer(db, "buildings", clash, progress=lambda d, t: reports.append(d))
    assert reports[:2] == [200, 400]  # the first chunks went in before the last failed
    assert snapshot(db) == before
    check_indexes(db)


# A `geoapp import` whose first progress report stops it for good (it is killed meanwhile).
KILLED_IMPORT = """
import sys, time
from geoapp.cli import imports, main
from geoapp.store import bulk

bulk.CHUNK, bulk.BULK_MIN_ROWS = 2_000, 1_000

def report(self, done, total):
    print(f"progress {done}/{total}", flush=True)
    time.sleep(120)

imports._Bar.__call__ = report
sys.argv = ["geoapp", *sys.argv[1:]]
main()
"""


def test_an_import_killed_midway_stores_nothing(db, db_url, tmp_path, monkeypatch):
    """kill -9 after the first chunk went in: the database opens, is sound, and holds nothing of it."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    load(db, tmp_path, bulk_min=10**9, monkeypatch=monkeypatch, houses=100)
    before = snapshot(db)
    _, _, houses = county(tmp_path, houses=20_000, seed=6, door_from=10_000)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "GEOAPP_DATABASE_URL": db_url, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, "import", "buildings", str(houses)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("progress 2000/20000"), (line, proc.stderr.read() if proc.poll() else "")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    db.dispose()
    assert snapshot(db) == before
    check_indexes(db)
    with db.engine.connect() as c:
        if db.dialect == "sqlite":
            assert c.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    # The next import is not held up by what the killed one left behind.
    assert import_layer(db, "buildings", houses).inserted == 20_000
    check_indexes(db)
