"""GeoJSON for the map layers, produced fast: geometries are encoded with
vectorised shapely and the features joined as text, never one object at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import orjson
import shapely
from shapely.ops import polylabel
from sqlalchemy import LargeBinary, case, func, select, type_coerce
from sqlalchemy.orm import Session

from geoapp.domain.roles import Role, Scope, mask_phone
from geoapp.domain.status import Status
from geoapp.services.accounts.scoping import scoped, village_filter, visible_building
from geoapp.services.campaign import moves
from geoapp.services.campaign.people import person_view
from geoapp.store import map_change
from geoapp.store.models import Building, Household, Person, Street, Unit, Village, VillageTally
from geoapp.store.spatial_index import BBox, bbox_filter


def raw_geom(column, dialect: str):
    """Select a geometry as WKB bytes without per-row conversion."""
    if dialect == "postgresql":
        return func.ST_AsBinary(column, type_=LargeBinary)
    return type_coerce(column, LargeBinary)


def feature_collection(
    ids: Sequence[int], wkb: Sequence[bytes], props: list[bytes], extra: dict | None = None
) -> bytes:
    """Join pre-encoded parts into a FeatureCollection (bytes of JSON)."""
    geoms = shapely.to_geojson(shapely.from_wkb(np.asarray(wkb, dtype=object))) if len(wkb) else []
    parts = [
        b'{"type":"Feature","id":%d,"geometry":%s,"properties":%s}' % (i, g.encode(), p)
        for i, g, p in zip(ids, geoms, props, strict=True)
    ]
    head = b'{"type":"FeatureCollection"'
    if extra:
        head += b"," + orjson.dumps(extra)[1:-1]
    return head + b',"features":[' + b",".join(parts) + b"]}"


def _house_rows(
    session: Session,
    scope: Scope,
    extra: tuple,
    *,
    village_id: int | None,
    bbox: BBox | None,
    limit: int,
) -> tuple[list, bool]:
    """The houses of a map answer, in id order, as Core rows (no ORM loading step: the
    largest answers the app gives): id, status, use, the ``extra`` columns, the geometry as
    WKB. More than ``limit``: none, and ``True`` (too many for one answer: the map asks by
    view, or counts them in squares)."""
    dialect = session.get_bind().dialect.name
    stmt = scoped(
        select(Building.id, Building.status, Building.use, *extra, raw_geom(Building.geom, dialect)), scope
    )
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(Building, bbox, dialect))
    rows = session.connection().execute(stmt.order_by(Building.id).limit(limit + 1)).all()
    if len(rows) > limit:
        return [], True
    return rows, False


def buildings_geojson(
    session: Session,
    scope: Scope,
    *,
    village_id: int | None = None,
    bbox: BBox | None = None,
    limit: int = 50_000,
) -> bytes:
    """Houses with their status and use, by village and/or map view.

    More than ``limit`` houses give no features and ``truncated: true``.
    """
    rows, truncated = _house_rows(session, scope, (), village_id=village_id, bbox=bbox, limit=limit)
    cache: dict[tuple[str, str], bytes] = {}  # a few (status, use) pairs: encode each once
    props = [
        cache.get((r[1], r[2])) or cache.setdefault((r[1], r[2]), orjson.dumps({"s": r[1], "u": r[2]}))
        for r in rows
    ]
    return feature_collection(
        [r[0] for r in rows], [r[-1] for r in rows], props, {"truncated": truncated, "count": len(rows)}
    )


def _footprints(wkb: Sequence[bytes], lon: np.ndarray, lat: np.ndarray) -> tuple[list[int], list[int]]:
    """Each house's outline (the outer ring of its polygon, of its first polygon when it has
    several; none for a point) as vertex counts ``n`` and one flat list of offsets from its
    point in 1e-7 degrees (x, y, x, y…), the ring's closing vertex left out."""
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
    kind = shapely.get_type_id(geoms)
    polys = np.where(kind == 6, shapely.get_geometry(geoms, 0), geoms)
    polys = np.where(np.isin(shapely.get_type_id(polys), [3]), polys, None)
    rings = shapely.get_exterior_ring(polys)
    coords, owner = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(owner, minlength=len(wkb)) if len(owner) else np.zeros(len(wkb), dtype=int)
    keep = np.ones(len(owner), dtype=bool)
    ends = np.cumsum(counts) - 1
    keep[ends[counts > 0]] = False  # the closing vertex repeats the first
    coords, owner = coords[keep], owner[keep]
    offsets = np.empty(2 * len(owner), dtype=np.int64)
    offsets[0::2] = np.rint((coords[:, 0] - lon[owner]) * 1e7)
    offsets[1::2] = np.rint((coords[:, 1] - lat[owner]) * 1e7)
    return np.maximum(counts - 1, 0).tolist(), offsets.tolist()


def buildings_columns(
    session: Session,
    scope: Scope,
    *,
    village_id: int | None = None,
    bbox: BBox | None = None,
    limit: int = 50_000,
) -> bytes:
    """The same houses as ``buildings_geojson`` as columns (the town map draws them on one
    canvas): ``ids``, ``lon``, ``lat`` (each house's point), ``s``/``u`` indexes into
    ``statuses``/``uses``, and the outlines (``_footprints``: ``n``, ``ring``). Parsed by the
    browser without an object per house."""
    rows, truncated = _house_rows(
        session, scope, (Building.lon, Building.lat), village_id=village_id, bbox=bbox, limit=limit
    )
    statuses: dict[str, int] = {}
    uses: dict[str | None, int] = {}
    lon = np.round(np.array([r[3] for r in rows], dtype=float), 7)
    lat = np.round(np.array([r[4] for r in rows], dtype=float), 7)
    n, ring = _footprints([r[-1] for r in rows], lon, lat) if rows else ([], [])
    s = [statuses.setdefault(r[1], len(statuses)) for r in rows]
    u = [uses.setdefault(r[2], len(uses)) for r in rows]
    return orjson.dumps(
        {
            "compact": True,
            "truncated": truncated,
            "count": len(rows),
            "statuses": list(statuses),
            "uses": list(uses),
            "ids": [r[0] for r in rows],
            "lon": lon,
            "lat": lat,
            "s": s,
            "u": u,
            "n": n,
            "ring": ring,
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )


def units_geojson(
    session: Session,
    scope: Scope,
    *,
    kinds: Sequence[str] | None = None,
    village_id: int | None = None,
    bbox: BBox | None = None,
) -> bytes:
    """Units at their building's point with status, kind and name, scoped like houses
    (a reporter: their own unit). Units not yet placed on the map are left out
    (``count`` says how many were drawn, ``unplaced`` how many of the kind wait for a place)."""
    stmt = scoped(
        select(Unit.id, Unit.status, Unit.kind, Unit.name, Building.lon, Building.lat).join(
            Building, Building.id == Unit.building_id
        ),
        scope,
    )
    if scope.role == Role.REPORTER:
        stmt = stmt.where(Unit.id == scope.unit_id)
    if kinds:
        stmt = stmt.where(Unit.kind.in_(list(kinds)))
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        stmt = stmt.where(Building.lon.between(minx, maxx), Building.lat.between(miny, maxy))
    rows = session.connection().execute(stmt.order_by(Unit.id)).all()
    unplaced = 0
    if scope.whole_town:
        loose = select(func.count()).select_from(Unit).where(Unit.building_id.is_(None))
        if kinds:
            loose = loose.where(Unit.kind.in_(list(kinds)))
        unplaced = int(session.scalar(loose) or 0)
    parts = [
        b'{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%s,%s]},"properties":%s}'
        % (r[0], orjson.dumps(r[4]), orjson.dumps(r[5]), orjson.dumps({"s": r[1], "k": r[2], "n": r[3]}))
        for r in rows
    ]
    head = b'{"type":"FeatureCollection",' + orjson.dumps({"count": len(rows), "unplaced": unplaced})[1:-1]
    return head + b',"features":[' + b",".join(parts) + b"]}"


def streets_geojson(session: Session, scope: Scope, *, bbox: BBox | None = None) -> bytes:
    """Streets with how many houses fronting them (in the caller's scope) are still
    uncollected: a street is uncollected while ``left`` > 0."""
    dialect = session.get_bind().dialect.name
    counts = street_counts(scope)
    stmt = select(
        Street.id,
        Street.name,
        Street.kind,
        func.coalesce(counts.c.houses, 0),
        func.coalesce(counts.c.left, 0),
        raw_geom(Street.geom, dialect),
    ).outerjoin(counts, counts.c.sid == Street.id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(Street, bbox, dialect))
    rows = session.execute(stmt.order_by(Street.id)).all()
    props = [orjson.dumps({"name": r[1], "kind": r[2], "houses": int(r[3]), "left": int(r[4])}) for r in rows]
    return feature_collection([r[0] for r in rows], [r[5] for r in rows], props)


def street_counts(scope: Scope):
    """Per street: its houses in the caller's scope and those still uncollected (``left``)."""
    return (
        scoped(
            select(
                Building.street_id.label("sid"),
                func.count().label("houses"),
                func.sum(case((Building.status == "uncollected", 1), else_=0)).label("left"),
            ).where(Building.street_id.is_not(None)),
            scope,
        )
        .group_by(Building.street_id)
        .subquery()
    )


def village_counts():
    """Per village: its houses (counted on the ``village_id`` index), those collected (any
    status but uncollected) and verified, the last two from the tally the database keeps
    (``store/village_tally.py``: a few rows per village, however many houses; grouping every
    house's status took 0.1 s for 120,000 houses, about a second for a county)."""
    houses = (
        select(Building.village_id.label("vid"), func.count().label("houses"))
        .group_by(Building.village_id)
        .subquery()
    )
    t = VillageTally
    kept = (
        select(
            t.village_id.label("vid"),
            func.sum(t.houses).label("collected"),
            func.sum(case((t.status == Status.VERIFIED.value, t.houses), else_=0)).label("verified"),
        )
        .where(t.status != Status.UNCOLLECTED.value)
        .group_by(t.village_id)
        .subquery()
    )
    return (
        select(
            houses.c.vid,
            houses.c.houses,
            func.coalesce(kept.c.collected, 0).label("collected"),
            func.coalesce(kept.c.verified, 0).label("verified"),
        )
        .outerjoin(kept, kept.c.vid == houses.c.vid)
        .subquery()
    )


def villages_geojson(session: Session) -> bytes:
    """Village boundaries with task numbers and collection counts."""
    dialect = session.get_bind().dialect.name
    counts = village_counts()
    stmt = (
        select(
            Village.id,
            Village.name,
            Village.code,
            Village.task_houses,
            Village.task_people,
            func.coalesce(counts.c.houses, 0),
            func.coalesce(counts.c.collected, 0),
            func.coalesce(counts.c.verified, 0),
            raw_geom(Village.geom, dialect),
        )
        .outerjoin(counts, counts.c.vid == Village.id)
        .order_by(Village.id)
    )
    rows = session.execute(stmt).all()
    labels = label_points([r[8] for r in rows])
    props = [
        orjson.dumps(
            {
                "name": r[1],
                "code": r[2],
                "task_houses": r[3],
                "task_people": r[4],
                "houses": int(r[5]),
                "collected": int(r[6]),
                "verified": int(r[7]),
                "label": label,
            }
        )
        for r, label in zip(rows, labels, strict=True)
    ]
    return feature_collection([r[0] for r in rows], [r[8] for r in rows], props)


def label_points(wkb: Sequence[bytes]) -> list[list[float] | None]:
    """Where a polygon's name is written: [lon, lat] of its pole of inaccessibility (the inside
    point farthest from the edge; for a multipolygon, in its largest part), to about 1 % of
    its size, rounded to 6 decimals."""
    out: list[list[float] | None] = []
    for geom in shapely.from_wkb(np.asarray(wkb, dtype=object)) if len(wkb) else []:
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            out.append(None)
            continue
        part = max(geom.geoms, key=lambda g: g.area) if geom.geom_type == "MultiPolygon" else geom
        minx, miny, maxx, maxy = part.bounds
        tolerance = max(min(maxx - minx, maxy - miny) / 100, 1e-7)
        try:
            point = polylabel(part, tolerance=tolerance)
        except Exception:  # a degenerate ring: any inside point will do
            point = part.representative_point()
        out.append([round(point.x, 6), round(point.y, 6)])
    return out


def map_bounds(session: Session, scope: Scope) -> BBox | None:
    """What a user's map opens on: their village, their unit's buildings, or the town."""
    if scope.role == Role.COLLECTOR:
        stmt = select(
            func.min(Village.minx), func.min(Village.miny), func.max(Village.maxx), func.max(Village.maxy)
        )
        row = session.execute(stmt.where(Village.id == scope.village_id)).one()
    else:
        row = session.execute(
            select(
                func.min(Village.minx), func.min(Village.miny), func.max(Village.maxx), func.max(Village.maxy)
            )
        ).one()
    if scope.role == Role.REPORTER or row[0] is None:
        stmt = select(
            func.min(Building.minx), func.min(Building.miny), func.max(Building.maxx), func.max(Building.maxy)
        )
        row = session.execute(scoped(stmt, scope)).one()
    return None if row[0] is None else tuple(float(v) for v in row)


def building_detail(session: Session, scope: Scope, building_id: int) -> dict:
    """A house as the caller may see it: people only for roles that see people, masked
    (``people_count`` tells the caller how many to charge to the reader's budget);
    leaders get the house and its status, no names of people."""
    b = visible_building(session, scope, building_id)
    village = session.scalar(select(Village.name).where(Village.id == b.village_id))
    street = session.scalar(select(Street.name).where(Street.id == b.street_id)) if b.street_id else None
    units = session.scalars(select(Unit).where(Unit.building_id == b.id).order_by(Unit.id)).all()
    detail = {
        "id": b.id,
        "address": b.address,
        "village_id": b.village_id,
        "village": village,
        "street": street,
        "door_no": b.door_no,
        "use": b.use,
        "floors": b.floors,
        "structure": b.structure,
        "status": b.status,
        "return_reason": b.return_reason,
        "visit_flag": b.visit_flag,
        "visit_distance_m": b.visit_distance_m,
        "version": b.version,
        "units": [u.name for u in units],
        "unit_details": [
            {
                "id": u.id,
                "name": u.name,
                "kind": u.kind,
                "uscc": u.uscc,
                "phone": mask_phone(u.phone) if scope.sees_people else None,
                "status": u.status,
            }
            for u in units
        ],
    }
    if scope.sees_people:
        detail["pending_moves"] = moves.pending_for_building(session, scope, b.id)
        detail["may_reveal_ids"] = scope.may_reveal or (
            scope.role == Role.COLLECTOR and b.status == Status.RETURNED.value
        )
        detail["owner_name"] = b.owner_name
        households = session.scalars(
            select(Household).where(Household.building_id == b.id).order_by(Household.id)
        )
        people = session.scalars(select(Person).where(Person.building_id == b.id).order_by(Person.id)).all()
        detail["households"] = [
            {
                "id": h.id,
                "number": h.number,
                "people": [person_view(p) for p in people if p.household_id == h.id],
            }
            for h in households
        ]
        detail["people_count"] = len(people)
    return detail


def layer_etag(session: Session, scope: Scope, tables: Sequence[str], *parts: object) -> str:
    """An ETag for a map layer as ``scope`` sees it: the change counters of the tables it
    reads (``store/map_change.py``, one indexed read), the caller's scope and ``parts``
    (the request's query, the day for layers that count days). Read it before the body,
    so that a change made meanwhile gives the next request a new tag."""
    counts = map_change.counters(session.connection(), tables)
    key = repr(
        (counts, tuple(tables), scope.role.value, scope.village_id, scope.unit_id, scope.user_id, parts)
    )
    return "m" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24]
