"""Export every layer to GeoPackage, GeoJSON or Excel (Chinese headers).

Files are written next to their destination and renamed into place, so a failed
export never leaves half a file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from geoapp.domain.layers import GIS_LAYERS, HEADERS, REGISTRY
from geoapp.domain.spreadsheet import neutralise
from geoapp.services.gis_io.code_labels import label_codes
from geoapp.services.gis_io.frames import STATION_OFFICE
from geoapp.services.gis_io.registry import layer_frame

# Layer → sheet, from each layer's registry entry (headers: ``HEADERS``, from there too).
SHEETS = {name: REGISTRY[name].sheet for name in GIS_LAYERS}


def layer_frames(session: Session) -> dict[str, gpd.GeoDataFrame]:
    """Every GIS layer of the whole town in lon/lat, as the station office reads it
    (buildings: points and footprints mixed)."""
    return {name: layer_frame(session, STATION_OFFICE, name) for name in GIS_LAYERS}


def gis_layers(frames: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """Split buildings by geometry type: GIS layers hold one type each (QGIS-friendly)."""
    out = dict(frames)
    buildings = out.pop("buildings")
    is_point = buildings.geom_type == "Point"
    out["buildings_points"] = buildings[is_point].drop(columns=["lon", "lat"])
    out["buildings_footprints"] = buildings[~is_point].drop(columns=["lon", "lat"])
    out["units"] = out["units"].drop(columns=["lon", "lat"])
    return out


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    os.unlink(tmp)  # drivers want to create the file themselves
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_gpkg(session: Session, path: Path) -> dict[str, int]:
    layers = gis_layers(layer_frames(session))

    def write(tmp: Path) -> None:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")

    _atomic(Path(path), write)
    return {name: len(frame) for name, frame in layers.items()}


def export_geojson(session: Session, directory: Path) -> dict[str, int]:
    """One ``<layer>.geojson`` per layer in ``directory`` (RFC 7946: lon/lat)."""
    layers = gis_layers(layer_frames(session))
    directory = Path(directory)
    for name, frame in layers.items():
        _atomic(
            directory / f"{name}.geojson",
            lambda tmp, f=frame: f.to_file(tmp, driver="GeoJSON", engine="pyogrio"),
        )
    return {name: len(frame) for name, frame in layers.items()}


def excel_frame(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    table = pd.DataFrame(frame.drop(columns="geometry"))
    if "lon" not in table:
        points = shapely.point_on_surface(frame.geometry.values) if len(frame) else []
        table["lon"] = shapely.get_x(points) if len(frame) else []
        table["lat"] = shapely.get_y(points) if len(frame) else []
    table["geometry_type"] = frame.geom_type.values
    table = label_codes(table, HEADERS).map(neutralise)
    return table.rename(columns=HEADERS)


def export_xlsx(session: Session, path: Path) -> dict[str, int]:
    frames = layer_frames(session)

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in frames.items():
                excel_frame(frame).to_excel(writer, sheet_name=SHEETS[name], index=False)

    _atomic(Path(path), write)
    return {name: len(frame) for name, frame in frames.items()}


EXPORTERS: dict[str, Callable[[Session, Path], dict[str, int]]] = {
    "gpkg": export_gpkg,
    "geojson": export_geojson,
    "xlsx": export_xlsx,
}
