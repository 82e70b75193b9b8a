"""``geoapp import … --repair / --skip-invalid / --dry-run`` on OSM-like files (both backends)."""

from __future__ import annotations

from tests.cli.test_import_cli import run  # noqa: F401 (fixture)
from tests.services.test_import_real_files import (
    FIGURE_8,
    SQUARE,
    TWISTED,
    footprint,
    osm_buildings,
)
from tests.services.test_importer import counts, seed


def test_refusal_names_repair_and_stores_nothing(run, db, tmp_path):  # noqa: F811
    seed(db, tmp_path)
    before = counts(db)
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED)])
    result = run("buildings", path)
    assert result.exit_code == 1
    assert "--repair" in result.stderr and "rows 2" in result.stderr
    assert counts(db) == before


def test_repair_and_skip_invalid_report_each_feature(run, db, tmp_path):  # noqa: F811
    seed(db, tmp_path)
    before = counts(db)
    shapes = [footprint(0, SQUARE), footprint(30, TWISTED), footprint(60, FIGURE_8)]
    result = run("buildings", osm_buildings(tmp_path, shapes, name="three.gpkg"), "--repair")
    assert result.exit_code == 1 and "+66.7 %" in result.stderr and "--skip-invalid" in result.stderr
    assert counts(db) == before
    path = osm_buildings(tmp_path, [*shapes, None])
    result = run("buildings", path, "--repair", "--skip-invalid", "--max-area-change", "0.01")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Stored 2 new" in out
    assert "Repaired row 2 (osm_id 1001) (self-intersection)" in out
    assert (
        "Repair refused for row 3 (osm_id 1002) (self-intersection)" in out
        and "more than the 1 % allowed" in out
    )
    assert "Left out as invalid (--skip-invalid): 2 (rows 3, 4)." in out
    assert "Left out row 4 (osm_id 1003): empty geometry." in out
    assert counts(db)["building"] == before["building"] + 2


def test_dry_run_prints_the_same_report_and_stores_nothing(run, db, tmp_path):  # noqa: F811
    seed(db, tmp_path)
    before = counts(db)
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED), None])
    dry = run("buildings", path, "--repair", "--skip-invalid", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert counts(db) == before
    real = run("buildings", path, "--repair", "--skip-invalid")
    assert real.exit_code == 0, real.output
    assert counts(db)["building"] == before["building"] + 2
    first, *rest = dry.stdout.splitlines()
    assert first == "Dry run: nothing was stored. An import would do this:"
    assert rest == real.stdout.splitlines()


def test_messages_in_chinese(run, db, tmp_path):  # noqa: F811
    seed(db, tmp_path)
    twisted = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED)], name="twisted.gpkg")
    result = run("buildings", twisted, locale="zh_CN")
    assert result.exit_code == 1 and "--repair" in result.stderr and "2: 自相交 [" in result.stderr
    path = osm_buildings(tmp_path, [footprint(0, SQUARE), footprint(30, TWISTED), None])
    result = run("buildings", path, "--repair", "--skip-invalid", "--dry-run", locale="zh_CN")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "试运行" in out and "自相交" in out and "空几何" in out
    assert "Repaired" not in out and "Left out" not in out and "self-intersection" not in out
