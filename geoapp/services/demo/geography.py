"""The synthetic geography of the demo 余坪镇 (deterministic; clearly not a real survey).

Everything is drawn in a metric CRS (UTM 49N) around a made-up centre and
returned in longitude/latitude. Villages are the Voronoi cells of relaxed seeds
clipped to the town outline, so they tile it without gaps or overlaps; the
market town (集镇) with its main street lies in 余坪村 at the centre; county
roads join the village centres; each village gets lanes, and its exact number of
houses is placed along its lanes (and, in 余坪村, along the market streets).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.prepared import prep

from geoapp.domain.tasks import TaskRow
from geoapp.domain.uses import BuildingUse

METRIC_EPSG = 32649  # WGS84 / UTM 49N
CENTRE_LONLAT = (113.35, 27.10)  # made up: the demo town is synthetic
TOWN_RADIUS_M = 6200.0
CHINESE_NUMERALS = "一二三四五六七八九十"

MARKET_STREETS = (  # name, kind, points relative to the centre (metres)
    ("余坪大道", "main", ((-1150, -40), (-400, 10), (400, -10), (1150, 40))),
    ("新街", "market", ((-650, 230), (650, 250))),
    ("老街", "market", ((-650, -230), (650, -250))),
    ("人民路", "market", ((-420, -520), (-400, 520))),
    ("建设路", "market", ((420, -520), (400, 520))),
)
MARKET_HOUSES = 430  # houses of 余坪村 along the market streets
SHOP_UNITS = 280  # station units that are street-front shops (the rest are enterprises)


def numeral(n: int) -> str:
    """1..99 as Chinese numerals (一, 十二, 二十三)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMERALS[tens - 1]
    return head + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


@dataclass
class House:
    village: int  # index into the task table's villages
    point: Point  # metric
    footprint: Polygon | None
    use: BuildingUse
    street: int  # index into Geography.streets it was placed along
    door_no: int
    floors: int
    structure: str


@dataclass
class Geography:
    town: Polygon
    villages: list[Polygon]  # same order as the task table's villages
    village_centres: list[Point]
    streets: list[tuple[str, str, LineString]] = field(default_factory=list)  # name, kind, geometry
    houses: list[House] = field(default_factory=list)

    def to_lonlat(self):
        """(town, villages, streets, house anchors, house geometries) in lon/lat."""
        tr = Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)
        cx, cy = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True).transform(*CENTRE_LONLAT)

        def to_lonlat(xy):
            lon, lat = tr.transform(xy[:, 0] + cx, xy[:, 1] + cy)
            return np.round(np.column_stack([lon, lat]), 7)

        def conv(geoms):
            arr = np.asarray(geoms, dtype=object)
            out = shapely.transform(arr, to_lonlat)
            return shapely.make_valid(out) if len(out) else out

        town = conv([self.town])[0]
        villages = conv(self.villages)
        streets = conv([s[2] for s in self.streets])
        geoms = conv([h.footprint if h.footprint is not None else h.point for h in self.houses])
        return town, villages, streets, geoms


class _Spacing:
    """Grid hash that refuses a point closer than ``radius`` to an accepted one."""

    def __init__(self, radius: float) -> None:
        self.radius = radius
        self.cells: dict[tuple[int, int], list[tuple[float, float, float]]] = {}

    def free(self, x: float, y: float, r: float) -> bool:
        reach = r + self.radius + 60
        cx, cy = int(x // 60), int(y // 60)
        span = int(reach // 60) + 1
        for i in range(cx - span, cx + span + 1):
            for j in range(cy - span, cy + span + 1):
                for px, py, pr in self.cells.get((i, j), ()):
                    if (px - x) ** 2 + (py - y) ** 2 < (max(pr, r) + self.radius) ** 2:
                        return False
        return True

    def add(self, x: float, y: float, r: float) -> None:
        self.cells.setdefault((int(x // 60), int(y // 60)), []).append((x, y, r))


def _town_outline(rng: np.random.Generator) -> Polygon:
    theta = np.linspace(0, 2 * math.pi, 180, endpoint=False)
    p1, p2, p3 = rng.uniform(0, 2 * math.pi, 3)
    r = TOWN_RADIUS_M * (
        1 + 0.10 * np.sin(3 * theta + p1) + 0.06 * np.sin(5 * theta + p2) + 0.03 * np.sin(9 * theta + p3)
    )
    return Polygon(np.column_stack([1.15 * r * np.cos(theta), r * np.sin(theta)]))


def _random_points_in(poly: Polygon, n: int, rng: np.random.Generator) -> list[Point]:
    minx, miny, maxx, maxy = poly.bounds
    prepared = prep(poly)
    points: list[Point] = []
    while len(points) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n, 2))
        points.extend(p for p in shapely.points(xy) if prepared.contains(p))
    return points[:n]


def _village_cells(town: Polygon, n: int, rng: np.random.Generator) -> tuple[list[Polygon], list[Point]]:
    """``n`` Voronoi cells of Lloyd-relaxed seeds; cell 0 sits at the centre."""
    seeds = [Point(0, 0), *_random_points_in(town.buffer(-800), n - 1, rng)]
    cells: list[Polygon] = []
    for _ in range(6):
        regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=town, ordered=True)
        cells = [shapely.intersection(g, town) for g in regions.geoms]
        seeds = [Point(0, 0)] + [c.centroid for c in cells[1:]]
    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=town, ordered=True)
    cells = [shapely.intersection(g, town) for g in regions.geoms]
    return cells, [Point(0, 0)] + [c.representative_point() for c in cells[1:]]


def _mst_edges(points: list[Point]) -> list[tuple[int, int]]:
    """Prim's minimum spanning tree over the village centres."""
    n = len(points)
    xy = np.array([(p.x, p.y) for p in points])
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    best = dist[0].copy()
    parent = np.zeros(n, dtype=int)
    edges = []
    for _ in range(n - 1):
        best_masked = np.where(in_tree, np.inf, best)
        j = int(np.argmin(best_masked))
        edges.append((int(parent[j]), j))
        in_tree[j] = True
        closer = dist[j] < best
        parent[closer] = j
        best = np.minimum(best, dist[j])
    return edges


def _slots(line: LineString, spacing: float, offset: float, start: float = 10.0):
    """Points beside ``line`` every ``spacing`` metres, alternately left and right.

    Yields (x, y, angle, side, index along the line).
    """
    length = line.length
    k = 0
    d = start
    while d < length - 5:
        a = line.interpolate(max(d - 1, 0))
        b = line.interpolate(min(d + 1, length))
        angle = math.atan2(b.y - a.y, b.x - a.x)
        p = line.interpolate(d)
        for side in (1, -1):  # left (odd numbers), right (even numbers)
            nx, ny = -math.sin(angle) * side, math.cos(angle) * side
            yield p.x + nx * offset, p.y + ny * offset, angle, side, k
        k += 1
        d += spacing


def _rectangle(x: float, y: float, angle: float, length: float, depth: float) -> Polygon:
    c, s = math.cos(angle), math.sin(angle)
    hl, hd = length / 2, depth / 2
    corners = [(-hl, -hd), (hl, -hd), (hl, hd), (-hl, hd)]
    return Polygon([(x + u * c - v * s, y + u * s + v * c) for u, v in corners])


class _Placer:
    """Places houses for one village along its frontage lines."""

    def __init__(self, geo: Geography, rng: np.random.Generator, spacing: _Spacing) -> None:
        self.geo, self.rng, self.spacing = geo, rng, spacing
        self.next_door: dict[int, list[int]] = {}

    def door(self, street: int, side: int) -> int:
        odd_even = self.next_door.setdefault(street, [1, 2])
        slot = 0 if side == 1 else 1
        number = odd_even[slot]
        odd_even[slot] += 2
        return number

    def place(
        self,
        village: int,
        street: int,
        inside,
        count: int,
        *,
        spacing: float,
        offset: float,
        use: BuildingUse,
        footprint_share: float,
        size: tuple[float, float, float, float],
        floors: tuple[int, int],
        radius: float,
    ) -> int:
        placed = 0
        line = self.geo.streets[street][2]
        for x, y, angle, side, _k in _slots(line, spacing, offset):
            if placed >= count:
                break
            jitter = self.rng.normal(0, 1.5, 2)
            x, y = x + jitter[0], y + jitter[1]
            if not self.spacing.free(x, y, radius):
                continue
            point = Point(x, y)
            footprint = None
            if self.rng.random() < footprint_share:
                footprint = _rectangle(
                    x, y, angle, self.rng.uniform(size[0], size[1]), self.rng.uniform(size[2], size[3])
                )
                if not inside.contains(footprint):
                    continue
            elif not inside.contains(point):
                continue
            self.spacing.add(x, y, radius)
            self.geo.houses.append(
                House(
                    village=village,
                    point=point,
                    footprint=footprint,
                    use=use,
                    street=street,
                    door_no=self.door(street, side),
                    floors=int(self.rng.integers(floors[0], floors[1] + 1)),
                    structure=str(
                        self.rng.choice(["砖混", "框架", "砖木", "钢结构"], p=[0.55, 0.3, 0.12, 0.03])
                    ),
                )
            )
            placed += 1
        return placed


def _lane(poly: Polygon, inside, rng: np.random.Generator) -> LineString | None:
    core = poly.buffer(-80)
    start = _random_points_in(core if core.area > 0 else poly, 1, rng)[0]
    angle = rng.uniform(0, 2 * math.pi)
    pts = [(start.x, start.y)]
    for _ in range(3):
        angle += rng.normal(0, 0.35)
        step = rng.uniform(130, 230)
        pts.append((pts[-1][0] + step * math.cos(angle), pts[-1][1] + step * math.sin(angle)))
    clipped = shapely.intersection(LineString(pts), poly.buffer(-45))
    if clipped.is_empty:
        return None
    parts = list(getattr(clipped, "geoms", [clipped]))
    best = max(parts, key=lambda g: g.length)
    return best if best.geom_type == "LineString" and best.length > 150 else None


def build_geography(villages: tuple[TaskRow, ...], units_task: int, seed: int = 2016) -> Geography:
    """The whole town: exactly ``village.houses`` houses per village, ``units_task`` unit buildings."""
    rng = np.random.default_rng(seed)
    town = _town_outline(rng)
    cells, centres = _village_cells(town, len(villages), rng)

    # The village named after the town hosts the market town at the centre;
    # larger villages get larger cells.
    centre_village = next((i for i, v in enumerate(villages) if v.unit.startswith("余坪")), 0)
    others = sorted(
        (i for i in range(len(villages)) if i != centre_village), key=lambda i: -villages[i].houses
    )
    other_cells = sorted(range(1, len(cells)), key=lambda c: -cells[c].area)
    cell_of = {centre_village: 0} | dict(zip(others, other_cells, strict=True))
    geo = Geography(
        town=town,
        villages=[cells[cell_of[i]] for i in range(len(villages))],
        village_centres=[centres[cell_of[i]] for i in range(len(villages))],
    )
    spacing = _Spacing(radius=9.0)
    placer = _Placer(geo, rng, spacing)
    remaining = [v.houses for v in villages]

    # Market streets and their shops (集镇沿街铺面), inside the central village.
    centre_poly = geo.villages[centre_village]
    market_inside = prep(centre_poly.buffer(-20))
    market_limit = centre_poly.buffer(-30)
    market_streets = []
    for name, kind, pts in MARKET_STREETS:
        line = shapely.intersection(LineString(pts), market_limit)
        if line.geom_type != "LineString" or line.is_empty:
            continue
        geo.streets.append((name, kind, line))
        market_streets.append(len(geo.streets) - 1)
    shops_left = SHOP_UNITS
    market_target = min(MARKET_HOUSES, remaining[centre_village])
    placed_market = 0
    market = {
        "spacing": 18,
        "offset": 13,
        "footprint_share": 0.8,
        "size": (8, 11, 12, 16),
        "floors": (2, 4),
        "radius": 7.5,
    }
    for k, street in enumerate(market_streets):
        share = math.ceil((market_target - placed_market) / (len(market_streets) - k))
        shops = placer.place(
            centre_village, street, market_inside, min(shops_left, share), use=BuildingUse.SHOP, **market
        )
        shops_left -= shops
        dwellings = placer.place(
            centre_village, street, market_inside, share - shops, use=BuildingUse.DWELLING, **market
        )
        placed_market += shops + dwellings
    remaining[centre_village] -= placed_market

    # County roads along the spanning tree of village centres.
    for a, b in _mst_edges(geo.village_centres):
        pa, pb = geo.village_centres[a], geo.village_centres[b]
        mid = ((pa.x + pb.x) / 2 + rng.normal(0, 120), (pa.y + pb.y) / 2 + rng.normal(0, 120))
        line = shapely.intersection(LineString([(pa.x, pa.y), mid, (pb.x, pb.y)]), town.buffer(-10))
        if line.geom_type == "LineString":
            name = f"{villages[a].unit.removesuffix('村')}至{villages[b].unit.removesuffix('村')}公路"
            geo.streets.append((name, "road", line))

    # Factories, mines and enterprises on the outskirts, along the county roads.
    enterprise_units = units_task - (SHOP_UNITS - shops_left)
    outskirts = [i for i in range(len(villages)) if i != centre_village]
    weights = np.array([geo.villages[i].area for i in outskirts])
    per_village = rng.multinomial(enterprise_units, weights / weights.sum())
    roads = [i for i, s in enumerate(geo.streets) if s[1] == "road"]
    for village, wanted in zip(outskirts, per_village, strict=True):
        wanted = int(min(wanted, remaining[village]))
        inside = prep(geo.villages[village].buffer(-15))
        for street in roads:
            if wanted <= 0:
                break
            if not geo.streets[street][2].intersects(geo.villages[village]):
                continue
            got = placer.place(
                village,
                street,
                inside,
                wanted,
                spacing=90,
                offset=48,
                use=BuildingUse.FACTORY,
                footprint_share=1.0,
                size=(35, 60, 20, 35),
                floors=(1, 2),
                radius=35,
            )
            wanted -= got
            remaining[village] -= got
        # Villages that no road crosses get their enterprises along a lane below.
        remaining_factories = wanted
        _fill_lanes(geo, placer, village, villages[village], remaining, rng, factories=remaining_factories)

    _fill_lanes(geo, placer, centre_village, villages[centre_village], remaining, rng, factories=0)
    return geo


def _fill_lanes(geo, placer, village, row: TaskRow, remaining: list[int], rng, *, factories: int) -> None:
    poly = geo.villages[village]
    inside = prep(poly.buffer(-12))
    stem = row.unit.removesuffix("村")
    lane_no = 0
    attempts = 0
    while remaining[village] > 0:
        attempts += 1
        if attempts > 4000:
            raise RuntimeError(f"could not place {remaining[village]} houses in {row.unit}")
        line = _lane(poly, inside, rng)
        if line is None:
            continue
        lane_no += 1
        geo.streets.append(
            (f"{stem}{numeral(lane_no)}巷" if lane_no <= 99 else f"{stem}{lane_no}巷", "lane", line)
        )
        street = len(geo.streets) - 1
        if factories > 0:
            got = placer.place(
                village,
                street,
                inside,
                factories,
                spacing=90,
                offset=45,
                use=BuildingUse.FACTORY,
                footprint_share=1.0,
                size=(35, 55, 20, 30),
                floors=(1, 2),
                radius=35,
            )
            factories -= got
            remaining[village] -= got
        got = placer.place(
            village,
            street,
            inside,
            remaining[village],
            spacing=22,
            offset=16,
            use=BuildingUse.DWELLING,
            footprint_share=0.3,
            size=(9, 13, 8, 11),
            floors=(1, 4),
            radius=9,
        )
        remaining[village] -= got
        if got == 0 and not any(h.street == street for h in geo.houses[-5:]):
            geo.streets.pop()
            lane_no -= 1
