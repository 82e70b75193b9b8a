"""What every layer's import shares: options, the summary, the job being run, and the
checks of geometries and attribute columns (all refusals raise ImportRefused)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.errors import ImportRefused, InvalidInput
from geoapp.domain.i18n import N_, Phrases
from geoapp.domain.layers import LayerSpec
from geoapp.services.accounts import audit
from geoapp.spatial.readers import ImportLimits, find_column, format_rows
from geoapp.spatial.repair import reason_label

BATCH = 500

Progress = Callable[[int, int], None]
"""Called with (rows stored so far, rows to store)."""

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
    repair: bool = False  # --repair: make_valid invalid polygons, within max_area_change
    max_area_change: float = 0.05  # share of the area a --repair may change (0.05 = 5 %)
    skip_invalid: bool = False  # --skip-invalid: leave out (and list) what cannot be stored
    dry_run: bool = False  # --dry-run: do everything, then roll back
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
    invalid: dict[int, str] = field(default_factory=dict)  # row -> why it was left out (--skip-invalid)
    dry_run: bool = False

    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(template, params) lines for the user, in order; templates are gettext msgids."""
        out: list[tuple[str, dict[str, Any]]] = [
            (
                N_("%(file)s: read %(read)d features (%(format)s, %(crs)s)."),
                {"file": self.file, "read": self.read, "format": self.format, "crs": self.source_crs},
            )
        ]
        if self.dry_run:
            out.insert(0, (N_("Dry run: nothing was stored. An import would do this:"), {}))
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
            reasons = Phrases(
                (f"{r}: ", reason_label(part), "")
                for r, why in list(self.repaired.items())[:10]
                for part in why.split("; ")
            )
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
            "invalid_rows": list(self.invalid),
        }


@dataclass
class Job:
    spec: LayerSpec
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

    @property
    def layer(self) -> str:
        return self.spec.name


# -- geometries and attributes -------------------------------------------------------------


def _refuse_huge_geometries(job: Job, geoms: np.ndarray) -> None:
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


def column_of(job: Job, role: str, *, required: bool = False) -> str | None:
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
    hit = find_column(columns, job.spec.aliases.get(role, (role,)))
    if hit is None and required:
        raise job.refuse(
            N_(
                "%(field)s has no %(role)s column (looked for %(names)s; found %(columns)s): name it with %(option)s."
            ),
            role=role,
            names=", ".join(job.spec.aliases.get(role, (role,))),
            columns=", ".join(map(str, columns)) or "—",
            option=option,
        )
    return hit


def text_of(value: Any) -> str | None:
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def texts_of(column: pd.Series) -> np.ndarray:
    """``text_of`` of each value; columns of only strings or whole numbers in one vectorised pass."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":  # never missing
        return np.array([str(v) for v in column.tolist()], dtype=object)
    if pd.api.types.infer_dtype(column, skipna=True) == "string":
        return np.array(
            [(v.strip() or None) if isinstance(v, str) else None for v in column.tolist()], dtype=object
        )
    return np.array([text_of(v) for v in column], dtype=object)


def text_values(job: Job, role: str, *, required: bool = False, max_length: int | None = None) -> np.ndarray:
    """Cleaned text per row (None where empty or no column); refuses empty required values."""
    column = column_of(job, role, required=required)
    if column is None:
        return np.full(len(job.frame), None, dtype=object)
    values = texts_of(job.frame[column])
    rows = job.frame.index
    if required and (empty := pd.isna(values)).any():
        raise job.refuse(
            N_("%(field)s rows %(rows)s have no %(role)s (column %(column)s): fill it in."),
            rows=format_rows(rows[empty]),
            role=role,
            column=column,
        )
    if max_length is not None:
        too_long = pd.Series(values, dtype=object).str.len().gt(max_length).to_numpy()
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


def whole_numbers(job: Job, role: str) -> np.ndarray | None:
    """Non-negative integers per row (NaN where empty); None without such a column."""
    column = column_of(job, role)
    if column is None:
        return None
    values = job.frame[column]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":  # never missing
        texts = np.zeros(len(values), dtype=object)  # not missing
        numbers = values.to_numpy(dtype=float)
    else:
        texts = text_values(job, role)
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


def per_distinct(values, function) -> np.ndarray:
    """``function`` of each value, called once per distinct value (None included) and mapped
    back to the rows: an object array."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    missing = [function(None)] if (codes < 0).any() else [None]
    mapped = np.empty(len(uniques) + 1, dtype=object)  # the last one: rows without a value
    mapped[:] = [*(function(u) for u in uniques), *missing]
    return mapped[codes]


def looked_up(mapping: dict, keys) -> np.ndarray:
    """``mapping.get(key)`` per key (None where the key is None or unknown): an object array."""
    return per_distinct(keys, lambda k: None if k is None else mapping.get(int(k)))


def optional_ints(numbers: np.ndarray) -> np.ndarray:
    """Whole numbers (floats, NaN where empty) as Python ints or None: an object array."""
    out = np.full(len(numbers), None, dtype=object)
    known = ~np.isnan(numbers)
    out[known] = numbers[known].astype(np.int64).tolist()
    return out


def parsed(job: Job, values: np.ndarray, parse, *, skip_empty: bool = False):
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


def duplicates(values: np.ndarray, rows) -> str:
    """``value (rows 3, 9)`` for each value present more than once, or ''."""
    series = pd.Series(values, index=rows).dropna()
    dup = series[series.duplicated(keep=False)]
    return "; ".join(f"{v} ({format_rows(g.index)})" for v, g in dup.groupby(dup, sort=True))


def bboxes(geoms: np.ndarray) -> np.ndarray:
    return shapely.bounds(geoms).astype(float)


def geometry_keys(geoms: np.ndarray) -> np.ndarray:
    """Geometries as comparable bytes: normalised, on a 1e-7 degree (about 1 cm) grid."""
    if len(geoms) == 0:
        return np.array([], dtype=object)
    return shapely.to_wkb(shapely.normalize(shapely.set_precision(geoms, 1e-7)))


def leave_out_stored(job: Job, stored: np.ndarray, message: str) -> None:
    """Rows already in the database: refused, or left out with --skip-existing.

    Importing a file twice must not store its features twice; with
    --skip-existing a retried or extended import stores only what is new.
    """
    if not stored.any():
        return
    rows = job.frame.index[stored]
    if not job.options.skip_existing:
        raise job.refuse(message, rows=format_rows(rows), count=int(stored.sum()))
    job.summary.skipped.extend(int(r) for r in rows)
    job.summary.notes.append(
        (
            N_("Already in the database, left out: %(count)d (rows %(rows)s)."),
            {"count": int(stored.sum()), "rows": format_rows(rows)},
        )
    )
    job.frame = job.frame[~stored]


def insert_rows(session: Session, job: Job, table, rows: list[dict[str, Any]]) -> None:
    total = len(rows)
    for start in range(0, total, BATCH):
        session.execute(insert(table), rows[start : start + BATCH])
        job.report(min(start + BATCH, total), total)
    job.summary.inserted += total
