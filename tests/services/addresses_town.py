"""A tiny town for address tests: one village, an east-bound street 新街 and a north-south
street 人民路, houses placed in metres beside them (stored in lon/lat)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Transformer

from geoapp.domain.address import TOWN_NAME, standard_address
from geoapp.store.models import Building, Street, Village

_to_lonlat = Transformer.from_crs(32649, 4326, always_xy=True)
_X0, _Y0 = Transformer.from_crs(4326, 32649, always_xy=True).transform(113.35, 27.10)
VILLAGE = "上新村"


def lonlat(geom):
    return shapely.transform(
        geom, lambda xy: np.column_stack(_to_lonlat.transform(xy[:, 0] + _X0, xy[:, 1] + _Y0))
    )


@dataclass
class Town:
    village: int = 0
    streets: dict[str, int] = field(default_factory=dict)
    houses: dict[str, int] = field(default_factory=dict)  # label → building id


def build_town(db, houses) -> Town:
    """``houses``: (label, street name, x, y, door or None[, address override])."""
    town = Town()
    with db.write() as s:
        v = Village(code="439901101201", name=VILLAGE, task_people=0, task_houses=len(houses), task_units=0)
        v.set_geometry(lonlat(shapely.box(-500, -500, 500, 500)))
        s.add(v)
        s.flush()
        town.village = v.id
        for name, line in (("新街", [(-200, 0), (200, 0)]), ("人民路", [(300, -200), (300, 200)])):
            st = Street(name=name, kind="market")
            st.set_geometry(lonlat(shapely.LineString(line)))
            s.add(st)
            s.flush()
            town.streets[name] = st.id
        for label, street, x, y, door, *override in houses:
            b = Building(
                village_id=v.id,
                street_id=town.streets[street],
                door_no=door,
                address=override[0] if override else standard_address(TOWN_NAME, VILLAGE, street, door),
                use="dwelling",
            )
            b.set_geometry(lonlat(shapely.Point(x, y)))
            s.add(b)
            s.flush()
            town.houses[label] = b.id
    return town
