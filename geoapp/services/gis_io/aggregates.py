"""Houses counted by square cell of the map, for the views too large to draw house by house
(a county, a whole town at low zoom): the database groups them, Python only writes the cells.

A cell is ``cell_degrees(zoom)`` wide and high (32 screen pixels at that zoom), numbered
from longitude -180 and latitude -90: cell ``(gx, gy)`` holds the houses with
``floor((lon + 180) / size) == gx`` and ``floor((lat + 90) / size) == gy``.

A view of many villages (a county) needs not even that: ``village_progress`` reads each
village's houses by status from ``village_tally``, kept by triggers, in milliseconds.
"""

from __future__ import annotations

import numpy as np
import orjson
import shapely
from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from geoapp.domain.roles import TOWN_ROLES, Role, Scope
from geoapp.domain.status import Status
from geoapp.services.accounts.scoping import scoped
from geoapp.services.gis_io.layers import raw_geom
from geoapp.store import map_change
from geoapp.store.models import Building, Village, VillageTally
from geoapp.store.spatial_index import BBox, bbox_filter

CELL_PIXELS = 32
MAX_ZOOM = 22
SCAN_AREA = 0.01  # square degrees (about 10 km × 10 km): larger views scan the houses on SQLite


def cell_degrees(zoom: int) -> float:
    """The side of a cell in degrees: CELL_PIXELS of a 256-pixel Web Mercator tile at ``zoom``."""
    return 360.0 / 2 ** max(0, min(MAX_ZOOM, zoom)) * CELL_PIXELS / 256


def _cell(column, offset: float, size: float, dialect: str):
    index = (column + offset) / size
    # SQLite's CAST truncates (a floor for the positive numbers here); PostgreSQL's rounds.
    return cast(func.floor(index), Integer) if dialect == "postgresql" else cast(index, Integer)


def house_bins(session: Session, scope: Scope, *, bbox: BBox | None, zoom: int) -> bytes:
    """The caller's houses in ``bbox`` counted per cell and status, as a FeatureCollection
    of squares with ``n`` (houses), ``c`` (collected: any status but uncollected), ``v``
    (verified) and ``s`` (houses per status)."""
    dialect = session.get_bind().dialect.name
    size = cell_degrees(zoom)
    gx = _cell(Building.lon, 180.0, size, dialect).label("gx")
    gy = _cell(Building.lat, 90.0, size, dialect).label("gy")
    stmt = scoped(select(gx, gy, Building.status, func.count()), scope)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        if dialect == "sqlite" and (maxx - minx) * (maxy - miny) > SCAN_AREA:
            # A view of many villages: reading the table beats a million R*Tree hits (same rows).
            b = Building
            stmt = stmt.where(b.maxx >= minx, b.minx <= maxx, b.maxy >= miny, b.miny <= maxy)
        else:
            stmt = stmt.where(bbox_filter(Building, bbox, dialect))
    rows = session.connection().execute(stmt.group_by(gx, gy, Building.status)).all()
    cells: dict[tuple[int, int], dict[str, int]] = {}
    for x, y, status, n in rows:
        cells.setdefault((int(x), int(y)), {})[status] = int(n)
    parts = []
    for i, ((x, y), by_status) in enumerate(sorted(cells.items()), start=1):
        w, s = round(x * size - 180.0, 7), round(y * size - 90.0, 7)
        e, n = round(w + size, 7), round(s + size, 7)
        total = sum(by_status.values())
        props = {
            "n": total,
            "c": total - by_status.get("uncollected", 0),
            "v": by_status.get("verified", 0),
            "s": by_status,
        }
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        parts.append(
            b'{"type":"Feature","id":%d,"geometry":{"type":"Polygon","coordinates":%s},"properties":%s}'
            % (i, orjson.dumps([ring]), orjson.dumps(props))
        )
    head = (
        b'{"type":"FeatureCollection",'
        + orjson.dumps({"cell": size, "zoom": zoom, "count": len(parts)})[1:-1]
    )
    return head + b',"features":[' + b",".join(parts) + b"]}"


_COUNTED = (Status.COLLECTED.value, Status.VERIFIED.value, Status.RETURNED.value)


class KeptOutlines:
    """The villages' outlines as ``_outlines`` makes them, kept by their owner (the app, in
    ``app.extensions``: one per app and database) until the villages change."""

    def __init__(self) -> None:
        self.value: tuple | None = None  # (key, outlines): replaced whole, read once
        self.made = 0  # times made (tests check an unchanged village set is not made again)


def _outlines(session: Session, kept: KeptOutlines | None) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """Every village's id, bounds and feature text up to its figures, kept in ``kept`` for as
    long as the villages do not change: the ``village`` change counter (``store/map_change.py``)
    and the villages' number, largest id and task sum read first (a new or restored database
    gives another key)."""
    connection = session.connection()
    v = Village
    key = (
        map_change.counters(connection, ("village",)),
        tuple(connection.execute(select(func.count(), func.max(v.id), func.sum(v.task_houses))).one()),
    )
    value = kept.value if kept is not None else None
    if value is not None and value[0] == key:
        return value[1]
    dialect = session.get_bind().dialect.name
    columns = (v.id, v.name, v.code, v.task_houses, v.minx, v.miny, v.maxx, v.maxy, raw_geom(v.geom, dialect))
    rows = connection.execute(select(*columns).order_by(v.id)).all()
    geoms = (
        shapely.to_geojson(shapely.from_wkb(np.asarray([r[8] for r in rows], dtype=object))) if rows else []
    )
    heads = [
        b'{"type":"Feature","id":%d,"geometry":%s,"properties":%s'
        % (r[0], g.encode(), orjson.dumps({"name": r[1], "code": r[2], "task": int(r[3] or 0)})[:-1])
        for r, g in zip(rows, geoms, strict=True)
    ]
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    bounds = np.asarray([r[4:8] for r in rows], dtype=np.float64).reshape(-1, 4)
    if kept is not None:
        kept.value = (key, (ids, bounds, heads))
        kept.made += 1
    return ids, bounds, heads


def village_progress(
    session: Session, scope: Scope, *, bbox: BBox | None, kept: KeptOutlines | None = None
) -> bytes:
    """The villages meeting ``bbox`` (a collector: theirs only) with their houses counted by
    status from ``village_tally`` (kept by triggers: a few rows per village, however many
    houses), as a FeatureCollection of village outlines with ``name``, ``code``, ``task``
    (the village's task number of houses), ``c`` (collected: any status but uncollected, as
    the squares count), ``v`` (verified) and ``s`` (houses per status, uncollected left out:
    the tally does not keep them). What the map draws at county zoom instead of grouping
    every house; the outlines are kept in ``kept`` while the villages do not change."""
    ids, bounds, heads = _outlines(session, kept)
    keep = np.ones(len(ids), dtype=bool)
    t = VillageTally
    sums = select(t.village_id, *(func.sum(case((t.status == st, t.houses), else_=0)) for st in _COUNTED))
    if scope.role == Role.COLLECTOR:
        keep &= ids == (scope.village_id if scope.village_id is not None else -1)
        sums = sums.where(t.village_id == scope.village_id)
    elif scope.role not in TOWN_ROLES:  # a unit's reporter: no village's figures
        keep[:] = False
    if bbox is not None:
        minx, miny, maxx, maxy = (float(b) for b in bbox)
        keep &= (
            (bounds[:, 2] >= minx) & (bounds[:, 0] <= maxx) & (bounds[:, 3] >= miny) & (bounds[:, 1] <= maxy)
        )
    picked = np.flatnonzero(keep)
    figures = {}
    if len(picked):
        for village_id, *n in session.connection().execute(sums.group_by(t.village_id)):
            figures[village_id] = {st: int(k) for st, k in zip(_COUNTED, n, strict=True) if k}
    parts = []
    for i in picked:
        by_status = figures.get(int(ids[i]), {})
        tail = {"c": sum(by_status.values()), "v": by_status.get("verified", 0), "s": by_status}
        parts.append(heads[i] + b"," + orjson.dumps(tail)[1:] + b"}")
    return b'{"type":"FeatureCollection","count":%d,"features":[%s]}' % (len(parts), b",".join(parts))
