"""Import GIS layers (villages, buildings, streets, units) from files, all or nothing.

``import_layer`` reads and checks the file first (geometry types, repairs,
attributes) and then stores it in one write transaction; any refusal raises
ImportRefused before anything is committed. Every import leaves one audit event
and returns an ImportSummary whose ``messages()`` are translatable templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.address import TOWN_NAME, standard_address
from geoapp.domain.errors import ImportRefused, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import parse_uscc, parse_village_code
from geoapp.domain.uses import UnitKind, parse_use
from geoapp.services.accounts import audit
from geoapp.services.gis_io import topology
from geoapp.spatial.assign import anchor_points, assign_to_polygons, nearest_within
from geoapp.spatial.crs import LONLAT, metric_crs_for
from geoapp.spatial.readers import ImportLimits, find_column, format_rows, read_layer
from geoapp.spatial.repair import repair
from geoapp.store.db import Database
from geoapp.store.models import Building, Street, Unit, Village

LAYERS = ("villages", "buildings", "streets", "units")
UNIT_BUILDING_DISTANCE_M = 30.0
OVERLAP_TOLERANCE_M2 = 1.0
BATCH = 500

Progress = Callable[[int, int], None]
"""Called with (rows stored so far, rows to store)."""

# Shapely type ids each layer accepts, and how to name them in messages.
GEOMETRY_TYPES = {"villages": (3, 6), "buildings": (0, 3, 6), "streets": (1, 5), "units": (0,)}
GEOMETRY_LABELS = {
    "villages": "Polygon/MultiPolygon",
    "buildings": "Point/Polygon/MultiPolygon",
    "streets": "LineString/MultiLineString",
    "units": "Point",
}
TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}

# Column names recognised without an option, per layer and role.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "villages": {
        "name": ("name", "名称", "村名", "村名称", "村委会"),
        "code": ("code", "编码", "行政区划代码", "区划代码", "村代码", "村编码"),
        "task_people": ("task_people", "任务人口"),
        "task_houses": ("task_houses", "任务房屋"),
        "task_units": ("task_units", "任务单位"),
    },
    "buildings": {
        "address": ("address", "addr", "地址", "标准地址"),
        "door": ("door_no", "door", "门牌号", "门牌"),
        "use": ("use", "用途", "房屋用途"),
        "floors": ("floors", "层数", "楼层数"),
        "structure": ("structure", "结构", "房屋结构"),
        "owner": ("owner", "owner_name", "户主", "房主", "产权人"),
        "village": ("village", "village_code", "村", "所属村", "村名", "村编码"),
    },
    "streets": {
        "name": ("name", "名称", "街路巷名", "路名", "街路巷"),
        "kind": ("kind", "type", "类型", "等级"),
    },
    "units": {
        "name": ("name", "名称", "单位名称"),
        "uscc": ("uscc", "统一社会信用代码", "信用代码", "credit_code"),
        "kind": ("kind", "type", "类型", "单位类型"),
        "legal_rep": ("legal_rep", "法定代表人", "法人"),
        "phone": ("phone", "tel", "电话", "联系电话"),
    },
}
OPTIONS = {
    "name": "--name-field",
    "code": "--code-field",
    "address": "--address-field",
    "door": "--door-field",
    "use": "--use-field",
    "floors": "--floors-field",
    "village": "--village-field",
    "kind": "--kind-field",
    "uscc": "--uscc-field",
}
UNIT_KIND_ALIASES = {
    "沿街铺面": UnitKind.SHOP,
    "铺面": UnitKind.SHOP,
    "个体工商户": UnitKind.SHOP,
    "厂矿企业": UnitKind.ENTERPRISE,
    "企业": UnitKind.ENTERPRISE,
    "机关事业单位": UnitKind.OFFICE,
    "机关单位": UnitKind.OFFICE,
    "事业单位": UnitKind.OFFICE,
    "其他": UnitKind.OTHER,
}


@dataclass
class ImportOptions:
    crs: str | None = None  # overrides or supplies the file's CRS
    layer: str | None = None  # layer inside a multi-layer GeoPackage
    x_field: str | None = None  # CSV coordinate columns
    y_field: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # role (name, code, use…) -> column
    outside_village: str | None = None  # buildings: village code for those outside every village
    skip_outside: bool = False  # buildings: drop those outside every village
    skip_existing: bool = False  # leave out features already stored (a retried import)
    fronting_distance_m: float = 60.0
    limits: ImportLimits = field(default_factory=ImportLimits)  # file size, features, vertices
    actor: str = audit.SYSTEM_ACTOR
    user_id: int | None = None


def import_limits(settings: Settings) -> ImportLimits:
    """The limits of one import, from the settings (``GEOAPP_IMPORT_MAX_*``)."""
    return ImportLimits(
        max_bytes=int(settings.import_max_mb * 1024 * 1024),
        max_features=settings.import_max_features,
        max_zip_members=settings.import_max_zip_members,
        max_vertices=settings.import_max_vertices,
        max_boundary_vertices=settings.import_max_boundary_vertices,
    )


@dataclass
class ImportSummary:
    layer: str
    file: str
    format: str
    source_crs: str
    read: int
    crs_assumed: bool = False
    coordinate_columns: tuple[str, str] | None = None
    inserted: int = 0
    updated: int = 0
    repaired: dict[int, str] = field(default_factory=dict)  # row -> what was repaired
    skipped: list[int] = field(default_factory=list)  # rows left out on request
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(template, params) lines for the user, in order; templates are gettext msgids."""
        out: list[tuple[str, dict[str, Any]]] = [
            (
                N_("%(file)s: read %(read)d features (%(format)s, %(crs)s)."),
                {"file": self.file, "read": self.read, "format": self.format, "crs": self.source_crs},
            )
        ]
        if self.crs_assumed and self.coordinate_columns:
            x, y = self.coordinate_columns
            out.append(
                (
                    N_(
                        "Columns %(x)s/%(y)s were taken as EPSG:4326 longitude/latitude because of their names; give --crs if they are not."
                    ),
                    {"x": x, "y": y},
                )
            )
        out.append(
            (
                N_("Stored %(inserted)d new and updated %(updated)d existing features."),
                {"inserted": self.inserted, "updated": self.updated},
            )
        )
        if self.repaired:
            reasons = "; ".join(f"{r}: {why}" for r, why in list(self.repaired.items())[:10])
            out.append(
                (
                    N_("Repaired %(count)d geometries (rows %(rows)s): %(reasons)s."),
                    {"count": len(self.repaired), "rows": format_rows(self.repaired), "reasons": reasons},
                )
            )
        out.extend(self.notes)
        out.append(
            (
                N_("Refused: none (any refusal stops the whole import); skipped on request: %(skipped)d."),
                {"skipped": len(self.skipped)},
            )
        )
        return out

    def audit_changes(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "crs": self.source_crs,
            "crs_assumed": self.crs_assumed,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "repaired_rows": list(self.repaired),
            "skipped_rows": self.skipped,
        }


@dataclass
class _Job:
    layer: str
    file: str
    frame: gpd.GeoDataFrame
    options: ImportOptions
    summary: ImportSummary
    progress: Progress | None

    @property
    def geoms(self) -> np.ndarray:
        return np.asarray(self.frame.geometry.values, dtype=object)

    def refuse(self, template: str, **params: Any) -> ImportRefused:
        return ImportRefused(template, field=self.file, **params)

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)


def import_layer(
    target: Database | Session,
    layer: str,
    path: str | Path,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import ``path`` as ``layer`` into ``target`` (a Database, or a Session inside ``db.write()``).

    With a Session the import runs in a SAVEPOINT, so a refusal leaves the
    caller's transaction as it was. Raises ImportRefused naming the file, the
    problem and the fix; nothing is stored then.
    """
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}")
    options = options or ImportOptions()
    data = read_layer(
        path,
        crs=options.crs,
        x_field=options.x_field,
        y_field=options.y_field,
        layer=options.layer,
        limits=options.limits,
    )
    summary = ImportSummary(
        layer=layer,
        file=data.file,
        format=data.format,
        source_crs=data.source_crs,
        read=len(data.frame),
        crs_assumed=data.crs_assumed,
        coordinate_columns=data.coordinate_columns,
    )
    job = _Job(layer, data.file, data.frame, options, summary, progress)
    _check_geometries(job, data.closed_rings)
    if options.outside_village and options.skip_outside:
        raise job.refuse(
            N_("Use either --outside-village or --skip-outside, not both (importing %(field)s).")
        )
    handler = {
        "villages": _import_villages,
        "buildings": _import_buildings,
        "streets": _import_streets,
        "units": _import_units,
    }[layer]
    if isinstance(target, Database):
        with target.write() as session:
            _run(session, handler, job)
    else:
        with target.begin_nested():
            _run(target, handler, job)
    return summary


def _run(session: Session, handler, job: _Job) -> None:
    handler(session, job)
    session.flush()
    audit.record(
        session,
        "import",
        actor=job.options.actor,
        user_id=job.options.user_id,
        object_type=job.layer,
        changes=job.summary.audit_changes(),
    )


# -- geometries and attributes -------------------------------------------------------------


def _check_geometries(job: _Job, closed_rings: list[int]) -> None:
    """Refuse wrong geometry types and unsafe repairs; store the repaired geometries."""
    geoms = job.geoms
    if job.layer == "units":  # a MultiPoint of one point is a point
        single = (shapely.get_type_id(geoms) == 4) & (shapely.get_num_geometries(geoms) == 1)
        if single.any():
            geoms[single] = shapely.get_geometry(geoms[single], 0)
    types = shapely.get_type_id(geoms)
    wrong = ~np.isin(types, GEOMETRY_TYPES[job.layer])
    if wrong.any():
        raise job.refuse(
            N_(
                "%(field)s holds %(found)s geometries (rows %(rows)s), but a %(layer)s layer needs %(expected)s: export the right layer or convert the geometries."
            ),
            found="/".join(sorted({TYPE_NAMES.get(int(t), str(t)) for t in types[wrong]})),
            rows=format_rows(job.frame.index[wrong]),
            layer=job.layer,
            expected=GEOMETRY_LABELS[job.layer],
        )
    _refuse_huge_geometries(job, geoms)
    result = repair(geoms)
    rows = job.frame.index
    if result.refused.any():
        bad = np.flatnonzero(result.refused)
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have invalid geometries that cannot be repaired without changing their shape (%(reasons)s): fix them in a GIS (e.g. QGIS “Fix geometries”, then check the result) and import again."
            ),
            rows=format_rows(rows[bad]),
            reasons="; ".join(f"{rows[i]}: {result.reasons[i]}" for i in bad[:5]),
        )
    repaired = {int(r): "Unclosed ring" for r in closed_rings}
    for i in np.flatnonzero(result.repaired):
        repaired[int(rows[i])] = "; ".join(filter(None, (repaired.get(int(rows[i])), result.reasons[i])))
    job.summary.repaired = dict(sorted(repaired.items()))
    job.frame = job.frame.set_geometry(gpd.GeoSeries(result.geoms, index=rows, crs=LONLAT))


def _refuse_huge_geometries(job: _Job, geoms: np.ndarray) -> None:
    """Refuse features with absurd vertex counts: a footprint of a million vertices made its
    village's layer 39.5 MB for every collector's phone. Villages get a boundary's allowance."""
    limits = job.options.limits
    boundary = job.layer == "villages"
    limit = limits.max_boundary_vertices if boundary else limits.max_vertices
    counts = shapely.get_num_coordinates(geoms)
    over = counts > limit
    if over.any():
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have geometries with more than %(limit)d vertices (the most: %(most)d) (%(setting)s): simplify them in a GIS (e.g. QGIS “Simplify” with a tolerance of 0.1 m) or correct them, and import again."
            ),
            rows=format_rows(job.frame.index[over]),
            limit=limit,
            most=int(counts.max()),
            setting="GEOAPP_IMPORT_MAX_BOUNDARY_VERTICES" if boundary else "GEOAPP_IMPORT_MAX_VERTICES",
        )


def _column(job: _Job, role: str, *, required: bool = False) -> str | None:
    columns = [c for c in job.frame.columns if c != job.frame.geometry.name]
    given = job.options.fields.get(role)
    option = OPTIONS.get(role, f"--field {role}=COLUMN")
    if given:
        hit = find_column(columns, [given])
        if hit is None:
            raise job.refuse(
                N_(
                    "%(field)s has no column %(column)s (given with %(option)s); its columns are %(columns)s."
                ),
                column=given,
                option=option,
                columns=", ".join(map(str, columns)) or "—",
            )
        return hit
    hit = find_column(columns, ALIASES[job.layer].get(role, (role,)))
    if hit is None and required:
        raise job.refuse(
            N_(
                "%(field)s has no %(role)s column (looked for %(names)s; found %(columns)s): name it with %(option)s."
            ),
            role=role,
            names=", ".join(ALIASES[job.layer].get(role, (role,))),
            columns=", ".join(map(str, columns)) or "—",
            option=option,
        )
    return hit


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _texts(job: _Job, role: str, *, required: bool = False, max_length: int | None = None) -> np.ndarray:
    """Cleaned text per row (None where empty or no column); refuses empty required values."""
    column = _column(job, role, required=required)
    if column is None:
        return np.full(len(job.frame), None, dtype=object)
    values = np.array([_text(v) for v in job.frame[column]], dtype=object)
    rows = job.frame.index
    if required and (empty := pd.isna(values)).any():
        raise job.refuse(
            N_("%(field)s rows %(rows)s have no %(role)s (column %(column)s): fill it in."),
            rows=format_rows(rows[empty]),
            role=role,
            column=column,
        )
    if max_length is not None:
        too_long = np.array([v is not None and len(v) > max_length for v in values], dtype=bool)
        if too_long.any():
            raise job.refuse(
                N_(
                    "%(field)s rows %(rows)s have a %(role)s longer than %(limit)d characters (column %(column)s): shorten it."
                ),
                rows=format_rows(rows[too_long]),
                role=role,
                limit=max_length,
                column=column,
            )
    return values


def _whole_numbers(job: _Job, role: str) -> np.ndarray | None:
    """Non-negative integers per row (NaN where empty); None without such a column."""
    column = _column(job, role)
    if column is None:
        return None
    texts = _texts(job, role)
    numbers = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=float)
    bad = ~pd.isna(texts) & ~((numbers >= 0) & (np.mod(numbers, 1) == 0))
    if bad.any():
        raise job.refuse(
            N_("%(field)s rows %(rows)s have a %(role)s that is not a whole number ≥ 0 (column %(column)s)."),
            rows=format_rows(job.frame.index[bad]),
            role=role,
            column=column,
        )
    return numbers


def _parsed(job: _Job, values: np.ndarray, parse, *, skip_empty: bool = False):
    """Each value through ``parse`` (a domain validator): (parsed values, [(row, value) refused])."""
    rows = job.frame.index
    out = np.full(len(values), None, dtype=object)
    bad: list[tuple[int, str]] = []
    for i, value in enumerate(values):
        if value is None and skip_empty:
            continue
        try:
            out[i] = parse(value)
        except InvalidInput:
            bad.append((rows[i], value or "—"))
    return out, bad


def _duplicates(values: np.ndarray, rows) -> str:
    """``value (rows 3, 9)`` for each value present more than once, or ''."""
    series = pd.Series(values, index=rows).dropna()
    dup = series[series.duplicated(keep=False)]
    return "; ".join(f"{v} ({format_rows(g.index)})" for v, g in dup.groupby(dup, sort=True))


def _bboxes(geoms: np.ndarray) -> np.ndarray:
    return shapely.bounds(geoms).astype(float)


def _geometry_keys(geoms: np.ndarray) -> np.ndarray:
    """Geometries as comparable bytes: normalised, on a 1e-7 degree (about 1 cm) grid."""
    if len(geoms) == 0:
        return np.array([], dtype=object)
    return shapely.to_wkb(shapely.normalize(shapely.set_precision(geoms, 1e-7)))


STORED_BEFORE = {
    "buildings": N_(
        "%(field)s rows %(rows)s (%(count)d buildings) are already in the database at the same positions: the file, or part of it, was imported before. Leave them out with --skip-existing, or remove them from the file."
    ),
    "streets": N_(
        "%(field)s rows %(rows)s (%(count)d streets) are already in the database with the same name and line: the file, or part of it, was imported before. Leave them out with --skip-existing, or remove them from the file."
    ),
    "units": N_(
        "%(field)s rows %(rows)s (%(count)d units) are already in the database (same credit code, or same name in the same building): leave them out with --skip-existing, or remove them from the file."
    ),
}


def _leave_out_stored(job: _Job, stored: np.ndarray) -> None:
    """Rows already in the database: refused, or left out with --skip-existing.

    Importing a file twice must not store its features twice; with
    --skip-existing a retried or extended import stores only what is new.
    """
    if not stored.any():
        return
    rows = job.frame.index[stored]
    if not job.options.skip_existing:
        raise job.refuse(STORED_BEFORE[job.layer], rows=format_rows(rows), count=int(stored.sum()))
    job.summary.skipped.extend(int(r) for r in rows)
    job.summary.notes.append(
        (
            N_("Already in the database, left out: %(count)d (rows %(rows)s)."),
            {"count": int(stored.sum()), "rows": format_rows(rows)},
        )
    )
    job.frame = job.frame[~stored]


def _insert(session: Session, job: _Job, table, rows: list[dict[str, Any]]) -> None:
    total = len(rows)
    for start in range(0, total, BATCH):
        session.execute(insert(table), rows[start : start + BATCH])
        job.report(min(start + BATCH, total), total)
    job.summary.inserted += total


# -- villages -------------------------------------------------------------------------------


def _import_villages(session: Session, job: _Job) -> None:
    rows = job.frame.index
    names = _texts(job, "name", required=True, max_length=100)
    codes, bad = _parsed(job, _texts(job, "code", required=True), parse_village_code)
    if bad:
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have village codes that are not 12-digit division codes (6-digit county, 3-digit township, 3-digit village): %(values)s. Correct column %(column)s, or name the code column with --code-field."
            ),
            rows=format_rows(r for r, _ in bad),
            values=", ".join(v for _, v in bad[:20]),
            column=_column(job, "code"),
        )
    for values, template in (
        (codes, N_("%(field)s has duplicate village codes: %(duplicates)s. Each village must appear once.")),
        (names, N_("%(field)s has duplicate village names: %(duplicates)s. Each village must appear once.")),
    ):
        if dups := _duplicates(values, rows):
            raise job.refuse(template, duplicates=dups)
    tasks = {role: _whole_numbers(job, role) for role in ("task_people", "task_houses", "task_units")}

    existing = {v.code: v for v in session.scalars(select(Village).order_by(Village.id))}
    file_codes = set(codes)
    kept = [v for code, v in existing.items() if code not in file_codes]
    kept_names = {v.name: v.code for v in kept}
    taken = [f"{n} ({kept_names[n]})" for n in names if n in kept_names]
    if taken:
        raise job.refuse(
            N_(
                "%(field)s gives villages names already used by other villages in the database: %(names)s. Use the existing village's code to update it, or rename one of them."
            ),
            names=", ".join(taken),
        )
    geoms = job.geoms
    _refuse_overlaps(job, geoms, [f"{n} ({c})" for n, c in zip(names, codes, strict=True)], kept)

    bounds = _bboxes(geoms)
    for i, code in enumerate(codes):
        village = existing.get(code)
        if village is None:
            village = Village(code=code, task_people=0, task_houses=0, task_units=0)
            session.add(village)
            job.summary.inserted += 1
        else:
            job.summary.updated += 1
        village.name = names[i]
        village.geom = geoms[i]
        village.minx, village.miny, village.maxx, village.maxy = (float(v) for v in bounds[i])
        for role, numbers in tasks.items():
            if numbers is not None and not np.isnan(numbers[i]):
                setattr(village, role, int(numbers[i]))
    session.flush()
    job.report(len(codes), len(codes))
    _reassign_buildings(session, job)


def _refuse_overlaps(job: _Job, geoms: np.ndarray, labels: list[str], kept: list[Village]) -> None:
    """Refuse villages sharing more than 1 m² with each other or with villages kept in the database."""
    all_geoms = np.concatenate([geoms, np.array([v.geom for v in kept], dtype=object)])
    all_labels = labels + [f"{v.name} ({v.code})" for v in kept]
    is_new = np.r_[np.ones(len(geoms), dtype=bool), np.zeros(len(kept), dtype=bool)]
    series = gpd.GeoSeries(all_geoms, crs=LONLAT)
    metric = np.asarray(series.to_crs(metric_crs_for(series.total_bounds)).values, dtype=object)
    a, b = shapely.STRtree(metric).query(metric, predicate="intersects")
    pair = (a < b) & (is_new[a] | is_new[b])
    a, b = a[pair], b[pair]
    areas = shapely.area(shapely.intersection(metric[a], metric[b]))
    over = areas > OVERLAP_TOLERANCE_M2
    if over.any():
        pairs = [
            f"{all_labels[i]} / {all_labels[j]} ({area:,.0f} m²)"
            for i, j, area in zip(a[over], b[over], areas[over], strict=True)
        ]
        raise job.refuse(
            N_(
                "%(field)s has overlapping villages: %(pairs)s. Villages may only touch: fix the boundaries and import again."
            ),
            pairs="; ".join(pairs[:10]),
        )


def _reassign_buildings(session: Session, job: _Job) -> None:
    """Every building must still lie in exactly one village; move those whose village changed."""
    rows = session.execute(
        select(Building.id, Building.geom, Building.village_id, Building.address).order_by(Building.id)
    ).all()
    if not rows:
        return
    village_ids, village_geoms = topology.village_index(session)
    geoms = np.array([r[1] for r in rows], dtype=object)
    new = topology.villages_for(geoms, village_ids, village_geoms)
    orphans = np.flatnonzero(new == 0)
    if len(orphans):
        raise job.refuse(
            N_(
                "%(field)s would leave existing buildings outside every village (%(count)d, e.g. %(examples)s): draw the village boundaries so that they cover these buildings, or move the buildings first."
            ),
            count=len(orphans),
            examples="; ".join(f"#{rows[i][0]} {rows[i][3]}" for i in orphans[:5]),
        )
    old = np.array([r[2] for r in rows], dtype=np.int64)
    changed = np.flatnonzero(new != old)
    if len(changed):
        table = Building.__table__
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(village_id=bindparam("v_id"), version=table.c.version + 1),
            [{"b_id": int(rows[i][0]), "v_id": int(new[i])} for i in changed],
        )
        job.summary.notes.append(
            (N_("Existing buildings moved to another village: %(count)d."), {"count": len(changed)})
        )


# -- buildings ------------------------------------------------------------------------------


def _import_buildings(session: Session, job: _Job) -> None:
    anchors = anchor_points(job.geoms)
    new_keys = zip(np.round(shapely.get_x(anchors), 7), np.round(shapely.get_y(anchors), 7), strict=True)
    stored_keys = {(round(x, 7), round(y, 7)) for x, y in session.execute(select(Building.lon, Building.lat))}
    _leave_out_stored(job, np.array([k in stored_keys for k in new_keys], dtype=bool))
    if len(job.frame) == 0:
        return
    village_ids, village_geoms = topology.village_index(session)
    if len(village_ids) == 0:
        raise job.refuse(
            N_(
                "%(field)s cannot be imported before the villages: import them first (geoapp import villages FILE)."
            )
        )
    assigned = topology.villages_for(job.geoms, village_ids, village_geoms)
    outside = assigned == 0
    if outside.any():
        outside_rows = job.frame.index[outside]
        if job.options.outside_village:
            village = _village_by_code(session, job, job.options.outside_village)
            assigned[outside] = village.id
            job.summary.notes.append(
                (
                    N_("Buildings outside every village put into %(village)s: %(count)d (rows %(rows)s)."),
                    {"count": int(outside.sum()), "village": village.name, "rows": format_rows(outside_rows)},
                )
            )
        elif job.options.skip_outside:
            job.summary.skipped = [int(r) for r in outside_rows]
            job.summary.notes.append(
                (
                    N_("Buildings outside every village left out: %(count)d (rows %(rows)s)."),
                    {"count": int(outside.sum()), "rows": format_rows(outside_rows)},
                )
            )
            job.frame = job.frame[~outside]
            assigned = assigned[~outside]
        else:
            raise job.refuse(
                N_(
                    "%(field)s has buildings outside every village (%(count)d, rows %(rows)s): put them into a village with --outside-village CODE, leave them out with --skip-outside, or correct their positions."
                ),
                count=int(outside.sum()),
                rows=format_rows(outside_rows),
            )
    if len(job.frame) == 0:
        return
    geoms = job.geoms
    street_ids, street_geoms = topology.street_index(session)
    fronting = topology.fronting_streets(geoms, street_ids, street_geoms, job.options.fronting_distance_m)
    village_names = dict(session.execute(select(Village.id, Village.name)).all())
    village_codes = dict(session.execute(select(Village.id, Village.code)).all())
    street_names = dict(session.execute(select(Street.id, Street.name)).all())

    addresses = _texts(job, "address", max_length=200)
    doors = _texts(job, "door", max_length=40)
    uses = _texts(job, "use")
    structures = _texts(job, "structure", max_length=40)
    owners = _texts(job, "owner", max_length=100)
    floors = _whole_numbers(job, "floors")
    claimed = _texts(job, "village")

    anchors = anchor_points(geoms)
    lon, lat = shapely.get_x(anchors), shapely.get_y(anchors)
    bounds = _bboxes(geoms)
    records = []
    for i, geom in enumerate(geoms):
        village_id = int(assigned[i])
        street_id = fronting[i]
        address = addresses[i] or standard_address(
            TOWN_NAME, village_names[village_id], street_names.get(street_id), doors[i]
        )
        records.append(
            {
                "village_id": village_id,
                "street_id": street_id,
                "door_no": doors[i],
                "address": address[:200],
                "use": parse_use(uses[i]).value,
                "floors": None if floors is None or np.isnan(floors[i]) else int(floors[i]),
                "structure": structures[i],
                "owner_name": owners[i],
                "status": "uncollected",
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "source": job.file[:200],
                "version": 1,
                "geom": geom,
                "minx": float(bounds[i, 0]),
                "miny": float(bounds[i, 1]),
                "maxx": float(bounds[i, 2]),
                "maxy": float(bounds[i, 3]),
            }
        )
    _insert(session, job, Building.__table__, records)

    with_street = sum(s is not None for s in fronting)
    job.summary.notes.append(
        (
            N_("Fronting street found for %(count)d of %(total)d buildings (within %(distance)g m)."),
            {"count": with_street, "total": len(records), "distance": job.options.fronting_distance_m},
        )
    )
    disagree = [
        int(job.frame.index[i])
        for i, value in enumerate(claimed)
        if value is not None and value not in (village_names[assigned[i]], village_codes[assigned[i]])
    ]
    if disagree:
        job.summary.notes.append(
            (
                N_(
                    "The village column disagrees with the position in rows %(rows)s; the position decided the village."
                ),
                {"rows": format_rows(disagree)},
            )
        )


def _village_by_code(session: Session, job: _Job, value: str) -> Village:
    try:
        code = parse_village_code(value, field="--outside-village")
    except InvalidInput:
        code = str(value)
    village = session.scalar(select(Village).where(Village.code == code))
    if village is None:
        raise job.refuse(
            N_(
                "--outside-village %(code)s is not the code of a village in the database (importing %(field)s): give the 12-digit code of an existing village."
            ),
            code=value,
        )
    return village


# -- streets ----------------------------------------------------------------------------------


def _import_streets(session: Session, job: _Job) -> None:
    stored = session.execute(select(Street.name, Street.geom)).all()
    stored_geoms = np.array([geom for _, geom in stored], dtype=object)
    stored_keys = set(zip([name for name, _ in stored], _geometry_keys(stored_geoms), strict=True))
    new_names = _texts(job, "name", required=True, max_length=100)
    new_keys = zip(new_names, _geometry_keys(job.geoms), strict=True)
    _leave_out_stored(job, np.array([k in stored_keys for k in new_keys], dtype=bool))
    if len(job.frame) == 0:
        return
    names = _texts(job, "name", required=True, max_length=100)
    kinds = _texts(job, "kind", max_length=20)
    geoms = job.geoms
    bounds = _bboxes(geoms)
    records = [
        {
            "name": names[i],
            "kind": kinds[i] or "lane",
            "geom": geoms[i],
            "minx": float(bounds[i, 0]),
            "miny": float(bounds[i, 1]),
            "maxx": float(bounds[i, 2]),
            "maxy": float(bounds[i, 3]),
        }
        for i in range(len(geoms))
    ]
    _insert(session, job, Street.__table__, records)
    changed = topology.refresh_fronting(session, job.options.fronting_distance_m)
    job.summary.notes.append(
        (N_("Existing buildings whose fronting street changed: %(count)d."), {"count": changed})
    )


# -- units ------------------------------------------------------------------------------------


def _unit_kind(value: str | None) -> str:
    if value is None:
        return UnitKind.ENTERPRISE.value
    if value in UNIT_KIND_ALIASES:
        return UNIT_KIND_ALIASES[value].value
    try:
        return UnitKind(value.lower()).value
    except ValueError:
        return UnitKind.OTHER.value


def _import_units(session: Session, job: _Job) -> None:
    building_rows = session.execute(select(Building.id, Building.geom).order_by(Building.id)).all()
    building_ids = np.array([r[0] for r in building_rows], dtype=np.int64)
    building_geoms = np.array([r[1] for r in building_rows], dtype=object)
    points = job.geoms
    idx = assign_to_polygons(points, building_geoms)
    loose = idx < 0
    if loose.any():
        idx[loose] = nearest_within(points[loose], building_geoms, UNIT_BUILDING_DISTANCE_M)
    if (idx < 0).any():
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s: no building contains these units or lies within %(distance)g m: move the points onto their buildings, or import the buildings first."
            ),
            rows=format_rows(job.frame.index[idx < 0]),
            distance=UNIT_BUILDING_DISTANCE_M,
        )
    rows = job.frame.index
    names = _texts(job, "name", required=True, max_length=200)
    uscc = _credit_codes(job)
    if dups := _duplicates(uscc, rows):
        raise job.refuse(
            N_("%(field)s has credit codes used by more than one unit: %(duplicates)s."), duplicates=dups
        )
    given = [c for c in uscc if c is not None]
    known = set(session.scalars(select(Unit.uscc).where(Unit.uscc.in_(given)))) if given else set()
    if known and not job.options.skip_existing:
        taken = [int(r) for r, c in zip(rows, uscc, strict=True) if c in known]
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have credit codes already registered in the database (%(codes)s): leave these units out of the file, or out of the import with --skip-existing."
            ),
            rows=format_rows(taken),
            codes=", ".join(sorted(known)[:10]),
        )
    pairs = {(b, n) for b, n in session.execute(select(Unit.building_id, Unit.name))}
    homes = building_ids[idx]
    stored = np.array(
        [uscc[i] in known or (int(homes[i]), names[i]) in pairs for i in range(len(rows))], dtype=bool
    )
    _leave_out_stored(job, stored)
    keep = ~stored
    names, uscc, homes = names[keep], uscc[keep], homes[keep]
    kinds = _texts(job, "kind")
    legal_reps = _texts(job, "legal_rep", max_length=100)
    phones = _texts(job, "phone", max_length=20)
    records = [
        {
            "building_id": int(homes[i]),
            "name": names[i],
            "uscc": uscc[i],
            "kind": _unit_kind(kinds[i]),
            "legal_rep": legal_reps[i],
            "phone": phones[i],
            "status": "uncollected",
            "version": 1,
        }
        for i in range(len(names))
    ]
    _insert(session, job, Unit.__table__, records)


def _credit_codes(job: _Job) -> np.ndarray:
    """Parsed credit codes (None where empty); any invalid one refuses the import."""
    uscc, bad = _parsed(job, _texts(job, "uscc"), parse_uscc, skip_empty=True)
    if bad:
        raise job.refuse(
            N_(
                "%(field)s rows %(rows)s have invalid unified social credit codes (GB 32100: registration authority and type, division code, organisation code and check character): %(values)s. Correct them or leave the cells empty."
            ),
            rows=format_rows(r for r, _ in bad),
            values=", ".join(v for _, v in bad[:20]),
        )
    return uscc
