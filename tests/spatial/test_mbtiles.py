"""MBTiles files: XYZ requests read TMS rows (the y flip), metadata."""

from __future__ import annotations

import sqlite3

from geoapp.spatial.mbtiles import open_tile_file, read_tile, tms_row, write_tile_file


def test_y_flip():
    assert tms_row(0, 0) == 0
    assert tms_row(1, 0) == 1
    assert tms_row(14, 6954) == 16383 - 6954
    assert tms_row(14, tms_row(14, 6954)) == 6954


def test_write_then_read_by_xyz(tmp_path):
    path = tmp_path / "t.mbtiles"
    write_tile_file(path, [(14, 13345, 6954, b"north"), (14, 13345, 6955, b"south")], {"format": "png"})
    with sqlite3.connect(path) as con:  # stored in TMS order: the northern tile has the higher row
        rows = dict(con.execute("SELECT tile_data, tile_row FROM tiles").fetchall())
    con.close()
    assert rows[b"north"] == 16383 - 6954 and rows[b"south"] == 16383 - 6955
    assert read_tile(path, 14, 13345, 6954) == b"north"
    assert read_tile(path, 14, 13345, 6955) == b"south"
    assert read_tile(path, 14, 13345, 6956) is None
    assert read_tile(path, 14, 1 << 14, 0) is None  # outside the world
    info = open_tile_file(path)
    assert (info.format, info.media_type) == ("png", "image/png")


def test_a_rebuilt_file_is_read_again(tmp_path):
    from geoapp.spatial.mbtiles import configured_tile_file

    path = tmp_path / "t.mbtiles"
    write_tile_file(path, [(1, 0, 0, b"a")], {"format": "png", "maxzoom": "1"})
    first = configured_tile_file("t.mbtiles", tmp_path)  # relative to the root given
    assert first.maxzoom == 1 and configured_tile_file("t.mbtiles", tmp_path) is first
    write_tile_file(path, [(2, 0, 0, b"bb")], {"format": "png", "maxzoom": "2", "minzoom": "2"})
    second = configured_tile_file(str(path), tmp_path)
    assert second.maxzoom == 2 and second.version != first.version
    assert configured_tile_file("missing.mbtiles", tmp_path) is None
    assert configured_tile_file(None, tmp_path) is None
