"""An offline basemap drawn from the town's own layers into an MBTiles file (``geoapp tiles
build``; ``geoapp demo`` writes one for the demo town): village areas in soft colours, house
footprints, streets as white lines on a grey casing. Raster PNG tiles (256 px) drawn straight
into a small palette (no antialiasing, no quantising), so the file stays small and builds fast.
Nothing downloaded, nothing third-party: the tiles are the town's own data."""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from geoapp.services.gis_io.frames import STATION_OFFICE, buildings_frame, streets_frame, villages_frame
from geoapp.spatial.mbtiles import write_tile_file

HALF = 20037508.342789244  # half the Web Mercator world, metres
TILE = 256
BACKGROUND = (242, 239, 233)
VILLAGE_FILLS = [(223, 233, 211), (230, 236, 217), (216, 230, 214), (234, 233, 214), (221, 232, 222)]
VILLAGE_EDGE = (170, 186, 150)
HOUSE_FILL = (217, 208, 201)
HOUSE_EDGE = (190, 178, 168)
STREET_CASING = (200, 196, 190)
STREET = (255, 255, 255)
PALETTE = [BACKGROUND, *VILLAGE_FILLS, VILLAGE_EDGE, HOUSE_FILL, HOUSE_EDGE, STREET_CASING, STREET]


def _ink(colour) -> int:
    return PALETTE.index(colour)


@dataclass(frozen=True)
class TileBuild:
    path: Path
    tiles: int
    bytes: int
    seconds: float
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]


def _mercator(geoms: np.ndarray) -> np.ndarray:
    """lon/lat geometries → Web Mercator metres (vectorised, spherical formula)."""

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = coords[:, 0], np.clip(coords[:, 1], -85.05112878, 85.05112878)
        x = np.radians(lon) * 6378137.0
        y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * 6378137.0
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


def tile_range(bounds, z: int) -> tuple[int, int, int, int]:
    """XYZ tiles (x0, y0, x1, y1 inclusive) covering lon/lat ``bounds`` at zoom ``z``."""
    minx, miny, maxx, maxy = bounds
    n = 1 << z

    def xy(lon, lat):
        x = int((lon + 180.0) / 360.0 * n)
        lat_r = math.radians(lat)
        y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    x0, y0 = xy(minx, maxy)
    x1, y1 = xy(maxx, miny)
    return x0, y0, x1, y1


def _tile_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * HALF / (1 << z)
    return (-HALF + x * size, HALF - (y + 1) * size, -HALF + (x + 1) * size, HALF - y * size)


class _Layer:
    def __init__(self, geoms: np.ndarray, colours: list | None = None):
        keep = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
        self.geoms = _mercator(geoms[keep])
        self.colours = [c for c, k in zip(colours, keep, strict=True) if k] if colours else None
        self.tree = shapely.STRtree(self.geoms)

    def hits(self, box) -> np.ndarray:
        return np.sort(self.tree.query(shapely.box(*box)))


def _pixels(coords: np.ndarray, box, size: int) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = box
    px = (coords[:, 0] - minx) / (maxx - minx) * size
    py = (maxy - coords[:, 1]) / (maxy - miny) * size
    return list(zip(px.tolist(), py.tolist(), strict=True))


def _parts(geom):
    return getattr(geom, "geoms", [geom])


def _draw_polygons(draw, layer: _Layer, box, size, fill, edge, width):
    for i in layer.hits(box):
        colour = layer.colours[i] if layer.colours else fill
        for part in _parts(layer.geoms[i]):
            if part.geom_type != "Polygon":
                continue
            ring = _pixels(np.asarray(part.exterior.coords), box, size)
            if len(ring) >= 3:
                draw.polygon(ring, fill=colour, outline=edge, width=width)


def _draw_lines(draw, layer: _Layer, box, size, colour, width):
    for i in layer.hits(box):
        for part in _parts(layer.geoms[i]):
            if part.geom_type != "LineString":
                continue
            line = _pixels(np.asarray(part.coords), box, size)
            if len(line) >= 2:
                draw.line(line, fill=colour, width=width, joint="curve")


def _render(z, x, y, villages: _Layer, houses: _Layer, streets: _Layer) -> bytes:
    size = TILE
    box = _tile_box(z, x, y)
    image = Image.new("P", (size, size), _ink(BACKGROUND))
    image.putpalette([v for colour in PALETTE for v in colour])
    draw = ImageDraw.Draw(image)
    _draw_polygons(draw, villages, box, size, None, _ink(VILLAGE_EDGE), 2)
    if z >= 15:
        _draw_polygons(draw, houses, box, size, _ink(HOUSE_FILL), _ink(HOUSE_EDGE), 1)
    street = max(1, round((z - 11) * 1.2))
    _draw_lines(draw, streets, box, size, _ink(STREET_CASING), street + 2)
    _draw_lines(draw, streets, box, size, _ink(STREET), street)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build_town_tiles(session: Session, path: Path, *, min_zoom: int = 12, max_zoom: int = 16) -> TileBuild:
    """Draw the town's basemap into the MBTiles file ``path`` (replaced whole)."""
    if not 0 <= min_zoom <= max_zoom <= 20:
        raise ValueError("zooms must satisfy 0 <= min_zoom <= max_zoom <= 20")
    started = time.perf_counter()
    villages = villages_frame(session, STATION_OFFICE, None)
    streets = streets_frame(session)
    buildings = buildings_frame(session, STATION_OFFICE, None)
    footprints = buildings.geometry.values[buildings.geom_type.isin(["Polygon", "MultiPolygon"]).values]
    if villages.empty:
        raise ValueError("the town has no villages yet: import or build it first")
    bounds = tuple(float(v) for v in villages.total_bounds)
    fills = [_ink(VILLAGE_FILLS[i % len(VILLAGE_FILLS)]) for i in range(len(villages))]
    layers = (
        _Layer(np.asarray(villages.geometry.values, dtype=object), fills),
        _Layer(np.asarray(footprints, dtype=object)),
        _Layer(np.asarray(streets.geometry.values, dtype=object)),
    )

    def tiles():
        for z in range(min_zoom, max_zoom + 1):
            x0, y0, x1, y1 = tile_range(bounds, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    yield z, x, y, _render(z, x, y, *layers)

    minx, miny, maxx, maxy = bounds
    metadata = {
        "name": "town basemap",
        "format": "png",
        "type": "baselayer",
        "version": "1",
        "description": "Drawn from the town's own layers by geoapp (no third-party data).",
        "minzoom": str(min_zoom),
        "maxzoom": str(max_zoom),
        "bounds": f"{minx:.6f},{miny:.6f},{maxx:.6f},{maxy:.6f}",
        "center": f"{(minx + maxx) / 2:.6f},{(miny + maxy) / 2:.6f},{min_zoom + 2}",
        "attribution": "geoapp",
    }
    count = write_tile_file(path, tiles(), metadata)
    return TileBuild(
        path=path,
        tiles=count,
        bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
        min_zoom=min_zoom,
        max_zoom=max_zoom,
        bounds=bounds,
    )
