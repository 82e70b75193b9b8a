"""Read a GIS file into a GeoDataFrame in longitude/latitude (EPSG:4326).

Formats: GeoJSON, GeoPackage, Shapefile (loose or zipped) and CSV with coordinate
columns. The CRS comes from the file (or ``--crs``); coordinates that cannot be in
that CRS are refused rather than stored in the wrong place. Rows keep the numbers
a user sees: features count from 1, CSV rows are the line numbers (header = 1).
Every problem raises ImportRefused naming the file, the problem and the fix.

Size limits (``ImportLimits``; settings ``GEOAPP_IMPORT_MAX_*``) are checked before
anything is read whole: the file's size, or for a zip the sizes its directory
declares (members, nested archives and unsafe names are refused before any member
is opened), then the feature count GDAL reports. A zipped Shapefile is extracted
by Python into a temporary folder, reading no more than each member declares (a
member that holds more fails its CRC and is refused as damaged).
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyogrio.raw
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geoapp.domain.errors import ImportRefused
from geoapp.domain.i18n import N_
from geoapp.spatial.crs import (
    LONLAT,
    crs_label,
    guess_projected_crs,
    looks_like_lonlat,
    within_area_of_use,
)

FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".zip": "Shapefile (zip)",
    ".csv": "CSV",
}
LON_NAMES = ("lon", "lng", "long", "longitude", "经度")
LAT_NAMES = ("lat", "latitude", "纬度")
X_NAMES = ("x", "x坐标", "横坐标")
Y_NAMES = ("y", "y坐标", "纵坐标")

MB = 1024 * 1024
# Members that are archives themselves: never opened, the zip is refused.
ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".kmz")
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)


@dataclass(frozen=True)
class ImportLimits:
    """What one import may read (settings ``GEOAPP_IMPORT_MAX_*``, same defaults there)."""

    max_bytes: int = 500 * MB  # the file, the Shapefile's parts, or what a zip expands to
    max_features: int = 2_000_000
    max_zip_members: int = 1_000
    max_vertices: int = 10_000  # per feature: building footprints, streets
    max_boundary_vertices: int = 200_000  # per village boundary


def _size(n: int) -> str:
    return f"{n / MB:,.1f} MB" if n >= MB / 10 else f"{n:,d} bytes"


_OGR_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
)


@dataclass
class LayerData:
    """A layer read from a file, in EPSG:4326, indexed by the rows a user sees."""

    frame: gpd.GeoDataFrame
    file: str
    format: str
    source_crs: str
    crs_assumed: bool = False
    coordinate_columns: tuple[str, str] | None = None
    closed_rings: list[int] = field(default_factory=list)


def format_rows(rows, limit: int = 20) -> str:
    """``3, 7, 12`` — at most ``limit`` row numbers, then how many more."""
    rows = [int(r) for r in rows]
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" … (+{len(rows) - limit})" if len(rows) > limit else "")


def find_column(columns, names) -> str | None:
    """The first column whose name matches one of ``names`` (case-insensitive)."""
    lowered = {str(c).strip().lower(): c for c in reversed(list(columns))}
    for wanted in names:
        if (hit := lowered.get(wanted.lower())) is not None:
            return hit
    return None


def parse_crs(value: str, file: str) -> CRS:
    try:
        return CRS.from_user_input(value.strip())
    except CRSError:
        raise ImportRefused(
            N_(
                "--crs %(value)s is not a coordinate reference system: write it as an EPSG code, e.g. --crs EPSG:4490 or --crs EPSG:4547 (importing %(field)s)."
            ),
            field=file,
            value=value,
        ) from None


def read_layer(
    path: str | Path,
    *,
    crs: str | None = None,
    x_field: str | None = None,
    y_field: str | None = None,
    layer: str | None = None,
    limits: ImportLimits | None = None,
    keep_empty: bool = False,
) -> LayerData:
    """Read ``path`` and reproject it to EPSG:4326; ``crs`` overrides or supplies the file's CRS.

    ``limits`` (default ``ImportLimits()``) are checked before the data is read whole; rows
    without a geometry are refused unless ``keep_empty`` (some rows must have one)."""
    limits = limits or ImportLimits()
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ImportRefused(N_("%(field)s does not exist: check the path and the file name."), field=name)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportRefused(
            N_(
                "%(field)s is not a supported format: use GeoJSON (.geojson), GeoPackage (.gpkg), Shapefile (.shp, or a .zip holding one) or CSV (.csv) with coordinate columns."
            ),
            field=name,
        )
    if path.stat().st_size == 0:
        raise ImportRefused(N_("%(field)s is empty (0 bytes): export the layer again."), field=name)
    override = parse_crs(crs, name) if crs else None

    _check_file_size(path, name, fmt, limits)
    try:
        return _read_checked(path, name, fmt, override, x_field, y_field, layer, limits, keep_empty)
    except MemoryError:  # a last resort: the limits above should refuse such files first
        raise _too_large_for_memory(name) from None


def _read_checked(
    path: Path,
    name: str,
    fmt: str,
    override: CRS | None,
    x_field: str | None,
    y_field: str | None,
    layer: str | None,
    limits: ImportLimits,
    keep_empty: bool = False,
) -> LayerData:
    if fmt == "CSV":
        frame, columns, geographic_names = _read_csv(path, name, x_field, y_field, limits)
        source = override or (LONLAT if geographic_names else None)
        data = LayerData(frame, name, fmt, "", crs_assumed=source is not None and override is None)
        data.coordinate_columns = columns
    else:
        with _vector_source(path, name, fmt, limits) as src:
            frame, closed = _read_vector(src, name, fmt, layer, limits, keep_empty)
        source = override or frame.crs
        data = LayerData(frame, name, fmt, "", closed_rings=closed)

    if source is None:
        bounds = frame.total_bounds
        suggestion = (
            "EPSG:4490" if looks_like_lonlat(bounds) else (guess_projected_crs(bounds) or "EPSG:xxxx")
        )
        raise ImportRefused(
            N_(
                "%(field)s does not say which coordinate reference system (CRS) its coordinates use: give it with --crs %(suggestion)s."
            ),
            field=name,
            suggestion=suggestion,
        )
    data.frame = _to_lonlat(frame, name, CRS.from_user_input(source))
    data.source_crs = crs_label(source)
    return data


def _check_file_size(path: Path, name: str, fmt: str, limits: ImportLimits) -> None:
    """The file (a loose Shapefile: with its .dbf, .shx … parts) within ``max_bytes``."""
    size = path.stat().st_size
    if fmt == "Shapefile":
        stem = path.stem.lower()
        size = sum(p.stat().st_size for p in path.parent.iterdir() if p.stem.lower() == stem and p.is_file())
    if size > limits.max_bytes:
        raise ImportRefused(
            N_(
                "%(field)s is %(size)s, more than the %(limit)s one import may read (GEOAPP_IMPORT_MAX_MB): split the layer into smaller files (e.g. one per village), or raise the limit if the file is genuine."
            ),
            field=name,
            size=_size(size),
            limit=_size(limits.max_bytes),
        )


@contextmanager
def _vector_source(path: Path, name: str, fmt: str, limits: ImportLimits) -> Iterator[str]:
    """What GDAL opens: the file itself, or a zipped Shapefile extracted into a temporary folder."""
    if fmt != "Shapefile (zip)":
        yield str(path)
        return
    folder = Path(tempfile.mkdtemp(prefix="geoapp-import-"))
    try:
        yield str(_extract_shapefile(path, name, folder, limits))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _unreadable_zip(name: str, exc: BaseException) -> ImportRefused:
    return ImportRefused(
        N_(
            "%(field)s is not a readable zip archive (%(detail)s): zip the Shapefile (.shp, .shx, .dbf, .prj) again."
        ),
        field=name,
        detail=str(exc)[:200] or type(exc).__name__,
    )


def _unsafe(member: str) -> bool:
    """An absolute path, a drive letter or a “..” step: extracting it could write outside the folder."""
    posix = member.replace("\\", "/")
    return posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in posix.split("/")


def _check_zip_directory(archive: zipfile.ZipFile, name: str, limits: ImportLimits) -> list[zipfile.ZipInfo]:
    """Refuse from the directory alone (no member opened): too many members, unsafe names,
    nested archives, or more expanded bytes than ``max_bytes``."""
    infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        raise ImportRefused(
            N_(
                "%(field)s holds %(count)d files, more than the %(limit)d a zipped Shapefile may hold (GEOAPP_IMPORT_MAX_ZIP_MEMBERS): zip only the layer's .shp, .shx, .dbf, .prj and .cpg files."
            ),
            field=name,
            count=len(infos),
            limit=limits.max_zip_members,
        )
    unsafe = [i.filename for i in infos if _unsafe(i.filename)]
    if unsafe:
        raise ImportRefused(
            N_(
                "%(field)s holds files with unsafe names (%(names)s): absolute paths or “..” could write outside the folder. Zip the Shapefile again from inside its own folder."
            ),
            field=name,
            names=", ".join(unsafe[:5]),
        )
    nested = [i.filename for i in infos if i.filename.lower().endswith(ARCHIVE_SUFFIXES)]
    if nested:
        raise ImportRefused(
            N_("%(field)s holds other archives (%(names)s): unzip them and zip the Shapefile itself, once."),
            field=name,
            names=", ".join(nested[:5]),
        )
    expanded = sum(i.file_size for i in infos)
    if expanded > limits.max_bytes:
        raise ImportRefused(
            N_(
                "%(field)s would expand to %(size)s, more than the %(limit)s one import may read (GEOAPP_IMPORT_MAX_MB); it may be a zip bomb. Zip only the layer's .shp, .shx, .dbf, .prj and .cpg files, split a large layer into smaller files, or raise the limit if the file is genuine."
            ),
            field=name,
            size=_size(expanded),
            limit=_size(limits.max_bytes),
        )
    return infos


def _extract_shapefile(path: Path, name: str, folder: Path, limits: ImportLimits) -> Path:
    """The one Shapefile inside a zip archive, extracted (its parts only) into ``folder``."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _check_zip_directory(archive, name, limits)
            members = [
                i.filename
                for i in infos
                if i.filename.lower().endswith(".shp") and not i.filename.startswith("__MACOSX/")
            ]
            if not members:
                raise ImportRefused(
                    N_(
                        "%(field)s holds no Shapefile (.shp): zip the .shp together with its .shx, .dbf and .prj files."
                    ),
                    field=name,
                )
            if len(members) > 1:
                raise ImportRefused(
                    N_("%(field)s holds several Shapefiles (%(names)s): put one layer in each zip file."),
                    field=name,
                    names=", ".join(sorted(members)),
                )
            shp = PurePosixPath(members[0])
            stem = shp.stem.lower()
            parts = [
                i
                for i in infos
                if not i.is_dir()
                and PurePosixPath(i.filename).parent == shp.parent
                and PurePosixPath(i.filename).stem.lower() == stem
            ]
            budget = limits.max_bytes
            for info in parts:
                target = folder / (shp.stem + PurePosixPath(info.filename).suffix)
                budget -= _copy_member(archive, info, target, budget, name, limits)
            return folder / shp.name
    except ImportRefused:
        raise
    except _ZIP_ERRORS as exc:
        raise _unreadable_zip(name, exc) from None


def _copy_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    budget: int,
    name: str,
    limits: ImportLimits,
) -> int:
    """Copy one member, never more than ``budget`` bytes; zipfile stops at the declared size
    and checks the CRC, so a member holding more than its directory says is refused."""
    written = 0
    with archive.open(info) as source, open(target, "wb") as out:
        while chunk := source.read(MB):
            written += len(chunk)
            if written > budget:
                raise ImportRefused(
                    N_(
                        "%(field)s would expand to %(size)s, more than the %(limit)s one import may read (GEOAPP_IMPORT_MAX_MB); it may be a zip bomb. Zip only the layer's .shp, .shx, .dbf, .prj and .cpg files, split a large layer into smaller files, or raise the limit if the file is genuine."
                    ),
                    field=name,
                    size=_size(limits.max_bytes - budget + written),
                    limit=_size(limits.max_bytes),
                )
            out.write(chunk)
    return written


def _read_vector(
    source: str, name: str, fmt: str, layer: str | None, limits: ImportLimits, keep_empty: bool = False
) -> tuple[gpd.GeoDataFrame, list[int]]:
    """Read with pyogrio; unclosed rings are closed (and reported), unreadable geometries refused."""
    try:
        with warnings.catch_warnings(record=True):  # GDAL's warnings become our messages
            warnings.simplefilter("always")
            layers = [str(n) for n in pyogrio.list_layers(source)[:, 0]]
            chosen = _choose_layer(layers, layer, name)
            count = pyogrio.read_info(source, layer=chosen, force_feature_count=True)["features"]
            _check_feature_count(count, name, limits)
            frame = pyogrio.read_dataframe(source, layer=chosen, on_invalid="ignore")
            if not isinstance(frame, gpd.GeoDataFrame):
                raise ImportRefused(
                    N_("%(field)s has no geometry column: export a layer with points, lines or polygons."),
                    field=name,
                )
            missing = np.asarray(frame.geometry.isna())
            wkb = pyogrio.raw.read(source, layer=chosen, columns=[])[2] if missing.any() else None
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            N_(
                "%(field)s holds text that is not in the encoding it declares (%(detail)s). Shapefile column names are cut at 10 bytes, which breaks Chinese names: export a GeoPackage instead, or use short column names and a .cpg file naming the encoding."
            ),
            field=name,
            detail=str(exc)[:200],
        ) from None
    except _OGR_ERRORS as exc:
        raise ImportRefused(
            N_(
                "%(field)s could not be read as %(format)s (%(detail)s): check that the file is complete and not damaged, or export it again."
            ),
            field=name,
            format=fmt,
            detail=_gdal_detail(exc),
        ) from None
    geoms = np.asarray(frame.geometry.values, dtype=object)
    closed: list[int] = []
    if wkb is not None:
        rows = np.flatnonzero(missing)
        raw = np.asarray(wkb, dtype=object)[rows]
        has_wkb = ~pd.isna(raw)
        fixed = np.full(len(rows), None, dtype=object)
        if has_wkb.any():
            fixed[has_wkb] = shapely.from_wkb(raw[has_wkb], on_invalid="fix")
        repaired = has_wkb & ~shapely.is_missing(fixed)
        geoms[rows[repaired]] = fixed[repaired]
        closed = [int(r) + 1 for r in rows[repaired]]
    index = pd.RangeIndex(1, len(frame) + 1)
    frame = gpd.GeoDataFrame(
        frame.drop(columns=frame.geometry.name).set_index(index),
        geometry=gpd.GeoSeries(_flat(geoms), index=index, crs=frame.crs),
    )
    _refuse_missing_geometry(frame, name, keep_empty)
    return frame, closed


def _flat(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` without Z (``force_2d`` makes a new copy of each: only where one has a Z)."""
    has_z = shapely.has_z(geoms)
    if not has_z.any():
        return geoms
    out = geoms.copy()
    out[has_z] = shapely.force_2d(geoms[has_z])
    return out


def _check_feature_count(count: int, name: str, limits: ImportLimits) -> None:
    if count > limits.max_features:
        raise ImportRefused(
            N_(
                "%(field)s holds %(count)d features, more than the %(limit)d one import may hold (GEOAPP_IMPORT_MAX_FEATURES): split it into smaller files (e.g. one per village), or raise the limit."
            ),
            field=name,
            count=count,
            limit=limits.max_features,
        )


def _too_large_for_memory(name: str) -> ImportRefused:
    return ImportRefused(
        N_(
            "%(field)s is too large to read in this server's memory: split it into smaller files (e.g. one per village), or lower GEOAPP_IMPORT_MAX_MB and GEOAPP_IMPORT_MAX_FEATURES to what the server can hold."
        ),
        field=name,
    )


def _gdal_detail(exc: Exception) -> str:
    text = (str(exc).splitlines() or [type(exc).__name__])[0]
    return text.split("; It might help")[0][:200]


def _choose_layer(layers: list[str], layer: str | None, name: str) -> str | None:
    if layer is not None:
        if layer not in layers:
            raise ImportRefused(
                N_(
                    "%(field)s has no layer named %(layer)s; its layers are %(layers)s: choose one with --layer."
                ),
                field=name,
                layer=layer,
                layers=", ".join(layers) or "—",
            )
        return layer
    if not layers:
        raise ImportRefused(N_("%(field)s holds no layer: export the layer again."), field=name)
    if len(layers) > 1:
        raise ImportRefused(
            N_("%(field)s holds several layers (%(layers)s): choose one with --layer."),
            field=name,
            layers=", ".join(layers),
        )
    return layers[0]


def _refuse_missing_geometry(frame: gpd.GeoDataFrame, name: str, keep_empty: bool = False) -> None:
    if len(frame) == 0:
        raise ImportRefused(N_("%(field)s holds no features: there is nothing to import."), field=name)
    geoms = frame.geometry.values
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any() and not (keep_empty and not bad.all()):
        raise ImportRefused(
            N_(
                "%(field)s rows %(rows)s have no geometry (or one that cannot be read): draw it, remove those rows, or leave them out with --skip-invalid."
            ),
            field=name,
            rows=format_rows(frame.index[bad]),
        )


def _decode(path: Path, name: str) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(N_("%(field)s is neither UTF-8 nor GB18030 text: save the CSV as UTF-8."), field=name)


def _read_csv(
    path: Path, name: str, x_field: str | None, y_field: str | None, limits: ImportLimits
) -> tuple[gpd.GeoDataFrame, tuple[str, str], bool]:
    """Points from coordinate columns; returns (frame, (x, y) columns, columns named lon/lat)."""
    text = _decode(path, name)
    if not text.strip():
        raise ImportRefused(N_("%(field)s is empty (0 bytes): export the layer again."), field=name)
    # Count the rows before pandas parses them: lines first (cheap), then, only past the
    # limit, records (a quoted cell may hold a line break).
    if text.rstrip("\r\n").count("\n") > limits.max_features:
        _check_feature_count(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, name, limits)
    try:
        delimiter = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        df = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRefused(
            N_(
                "%(field)s could not be read as %(format)s (%(detail)s): check that the file is complete and not damaged, or export it again."
            ),
            field=name,
            format="CSV",
            detail=str(exc).splitlines()[0][:200],
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    x_col = _coordinate_column(df, name, x_field, "--x-field", LON_NAMES + X_NAMES)
    y_col = _coordinate_column(df, name, y_field, "--y-field", LAT_NAMES + Y_NAMES)
    if x_col is None or y_col is None:
        raise ImportRefused(
            N_(
                "%(field)s has no coordinate columns (looked for lon, lng, longitude, x, 经度 and lat, latitude, y, 纬度; found %(columns)s): name them with --x-field and --y-field."
            ),
            field=name,
            columns=", ".join(df.columns) or "—",
        )
    df.index = pd.RangeIndex(2, len(df) + 2)
    _check_feature_count(len(df), name, limits)
    if len(df) == 0:
        raise ImportRefused(N_("%(field)s holds no features: there is nothing to import."), field=name)
    x = pd.to_numeric(df[x_col].str.strip(), errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[y_col].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise ImportRefused(
            N_(
                "%(field)s rows %(rows)s have missing or non-numeric coordinates in %(x)s/%(y)s: fill them in or remove those rows."
            ),
            field=name,
            rows=format_rows(df.index[bad]),
            x=x_col,
            y=y_col,
        )
    frame = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=None)
    geographic = x_col.lower() in LON_NAMES and y_col.lower() in LAT_NAMES
    return frame, (x_col, y_col), geographic


def _coordinate_column(df: pd.DataFrame, name: str, given: str | None, option: str, names) -> str | None:
    if given is None:
        return find_column(df.columns, names)
    hit = find_column(df.columns, [given])
    if hit is None:
        raise ImportRefused(
            N_("%(field)s has no column %(column)s (given with %(option)s); its columns are %(columns)s."),
            field=name,
            column=given,
            option=option,
            columns=", ".join(df.columns) or "—",
        )
    return hit


def _fmt_bounds(bounds) -> dict[str, str]:
    return {k: f"{v:.10g}" for k, v in zip(("minx", "miny", "maxx", "maxy"), bounds, strict=True)}


def _to_lonlat(frame: gpd.GeoDataFrame, name: str, source: CRS) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326, refusing coordinates that cannot be in ``source``."""
    frame = frame.set_crs(source, allow_override=True)
    bounds = frame.total_bounds
    label = crs_label(source)
    guess = guess_projected_crs(bounds) or "EPSG:xxxx"
    if source.is_geographic and not looks_like_lonlat(bounds):
        raise ImportRefused(
            N_(
                "%(field)s is in %(crs)s (longitude/latitude), but its coordinates (x %(minx)s…%(maxx)s, y %(miny)s…%(maxy)s) cannot be longitude/latitude: give the real CRS with --crs %(guess)s, or check that x and y are not swapped."
            ),
            field=name,
            crs=label,
            guess=guess,
            **_fmt_bounds(bounds),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf from points outside the projection
        out = frame.to_crs(LONLAT)
    coords = shapely.get_coordinates(out.geometry.values)
    lonlat_bounds = out.total_bounds
    if not (
        np.isfinite(coords).all()
        and looks_like_lonlat(lonlat_bounds)
        and within_area_of_use(lonlat_bounds, source)
    ):
        area = source.area_of_use
        raise ImportRefused(
            N_(
                "%(field)s: its coordinates (x %(minx)s…%(maxx)s, y %(miny)s…%(maxy)s) do not fit %(crs)s, whose area of use is %(area)s: give the real CRS with --crs %(guess)s."
            ),
            field=name,
            crs=label,
            area=area.name.rstrip(".") if area else "—",
            guess=guess,
            **_fmt_bounds(bounds),
        )
    return out
