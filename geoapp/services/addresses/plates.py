"""Which door plates a sheet holds: per street, per village, or per list of buildings.

A plate carries the house's standard address and the URL its QR code opens
(``/h/<id>``, which goes through login to the house on the map). Houses without a door
number get no plate (number the street first); they are counted so the page can say so.
The three selectors share ``_plates``: a street-front block's sheet is
``plates_for_buildings`` with the block's building ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from geoapp.domain.address import TOWN_NAME, UNNAMED_ROAD, door_number
from geoapp.domain.errors import InvalidInput, NotFound
from geoapp.domain.i18n import N_, Phrase
from geoapp.domain.roles import Role, Scope
from geoapp.domain.status import Status
from geoapp.services.accounts.scoping import scoped, village_filter, visible_building
from geoapp.services.addresses.standard import street_of
from geoapp.store.models import Building, Street, Village

MAX_PLATES = 20_000  # a sheet for the whole of a large village stays well below this


@dataclass(frozen=True)
class Plate:
    building_id: int
    town: str
    village: str
    street: str  # the street (街路巷) the address names; "" for an address in the village itself
    door_no: str
    address: str
    url: str


@dataclass(frozen=True)
class PlateSet:
    title: str  # the street's or village's name, for the sheet's header and file
    plates: tuple[Plate, ...]
    unnumbered: int  # houses of the selection without a door number: no plate for them


def house_url(base_url: str, building_id: int) -> str:
    """What a plate's QR code holds: short, so the code stays coarse and scans from afar."""
    return f"{base_url.rstrip('/')}/h/{building_id}"


def plates_for_street(session: Session, scope: Scope, street_id: int, *, base_url: str) -> PlateSet:
    """The houses numbered on the street (their address names it), in door-number order."""
    street = session.get(Street, street_id)
    if street is None:
        raise NotFound(N_("Street %(id)s does not exist."), id=street_id)
    near = or_(Building.street_id == street.id, Building.address.contains(street.name, autoescape=True))

    def on_street(row, plate_street: str | None) -> bool:
        return plate_street == street.name or (plate_street is None and row.street_id == street.id)

    if not street.name:  # an unnamed road: the houses fronting it whose address names no street
        near = Building.street_id == street.id

        def on_street(row, plate_street: str | None) -> bool:
            return row.street_id == street.id and not plate_street

    found = _plates(session, scope, near, base_url, street.name, keep=on_street)
    if found is None:
        raise NotFound(
            N_("No house in your scope is on street %(name)s."), name=street.name or Phrase(UNNAMED_ROAD)
        )
    return found


def plates_for_village(session: Session, scope: Scope, village_id: int, *, base_url: str) -> PlateSet:
    village_filter(session, scope, village_id)  # a collector's other villages are "not found"
    village = session.get(Village, village_id)
    if village is None:
        raise NotFound(N_("Village %(id)s does not exist."), id=village_id)
    found = _plates(session, scope, Building.village_id == village.id, base_url, village.name)
    if found is None:
        raise NotFound(N_("Village %(id)s does not exist."), id=village_id)
    return found


def plates_for_buildings(
    session: Session, scope: Scope, building_ids: Iterable[int], *, base_url: str, title: str
) -> PlateSet:
    """The plates of chosen buildings (a street-front block's); those outside the scope are left out."""
    ids = sorted({int(i) for i in building_ids})
    found = _plates(session, scope, Building.id.in_(ids), base_url, title)
    if found is None:
        raise NotFound(N_("None of these houses is in your scope."))
    return found


def _plates(session: Session, scope: Scope, where: ColumnElement[bool], base_url: str, title: str, keep=None):
    rows = session.execute(
        scoped(
            select(Building.id, Building.village_id, Building.street_id, Building.door_no, Building.address)
            .where(where)
            .order_by(Building.id)
            .limit(MAX_PLATES + 1),
            scope,
        )
    ).all()
    if not rows:
        return None
    if len(rows) > MAX_PLATES:
        raise InvalidInput(N_("%(field)s: more than %(max)d plates at once; print them street by street."),
                           field="plates", max=MAX_PLATES)  # fmt: skip
    villages = dict(session.execute(select(Village.id, Village.name)).all())
    street_names = dict(session.execute(select(Street.id, Street.name)).all())
    plates, unnumbered, chosen = [], 0, False
    for r in rows:
        village = villages[r.village_id]
        named = street_of(r.address, village, r.door_no) if r.door_no else None
        if keep is not None and not keep(r, named if r.door_no else street_names.get(r.street_id)):
            continue
        chosen = True
        if not r.door_no:
            unnumbered += 1
            continue
        street = named if named is not None else street_names.get(r.street_id, "")
        plates.append(
            Plate(r.id, TOWN_NAME, village, street, r.door_no, r.address, house_url(base_url, r.id))
        )
    if not chosen:
        return None
    if not plates:
        raise InvalidInput(
            N_(
                "No house of %(name)s has a door number yet: number the houses first, then print their plates."
            ),
            field="plates",
            name=title,
        )
    plates.sort(key=lambda p: (p.village, p.street, door_number(p.door_no) or 0, p.door_no, p.building_id))
    return PlateSet(title, tuple(plates), unnumbered)


@dataclass(frozen=True)
class HouseLink:
    """Where a scanned plate leads: the house on the map, and for its village's collector
    straight into the house's form (unless verified: then the station must return it first)."""

    building_id: int
    lon: float
    lat: float
    form: bool

    def fragment(self) -> str:
        """The map page's fragment (``static/js/geoapp-map.js`` opens the house from it)."""
        tail = "&form=1" if self.form else ""
        return f"house={self.building_id}&lat={self.lat:.7f}&lon={self.lon:.7f}{tail}"


def house_link(session: Session, scope: Scope, building_id: int) -> HouseLink:
    building = visible_building(session, scope, building_id)  # outside the scope: "not found"
    form = scope.role == Role.COLLECTOR and building.status != Status.VERIFIED.value
    return HouseLink(building.id, building.lon, building.lat, form)
