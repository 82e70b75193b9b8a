"""One standard address per building, unique in the town.

Houses with a door number hold a standard address no other house holds (a unique index
over numbered buildings, migration 0011, stands behind every writer); the checks here
name the house that already has it before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.address import TOWN_NAME, address_taken, door_text, standard_address, with_door
from geoapp.domain.roles import Scope
from geoapp.services.accounts.scoping import scoped
from geoapp.store.models import Building, Street, Village


def check_address_free(session: Session, address: str, building_id: int | None = None) -> None:
    """Refuse ``address`` when another numbered house already has it."""
    stmt = select(Building.id).where(Building.address == address, Building.door_no.is_not(None))
    if building_id is not None:
        stmt = stmt.where(Building.id != building_id)
    holder = session.scalar(stmt.limit(1))
    if holder is not None:
        raise address_taken(address, holder)


def street_of(address: str, village: str, door_no: str | None) -> str | None:
    """The street (街路巷) named in a standard address: what lies between the town and
    village and the door (``""``: the village itself); None when the address is not standard."""
    head, tail = f"{TOWN_NAME}{village}", door_text(door_no)
    if not tail or not address.startswith(head) or not address.endswith(tail):
        return None
    return address[len(head) : len(address) - len(tail)]


@dataclass(frozen=True)
class AreaCount:
    """A street or village with its houses (in the caller's scope) and how many have a door number."""

    id: int
    name: str
    houses: int
    numbered: int
    villages: tuple[str, ...] = ()  # a street's villages, most houses first

    @property
    def unnumbered(self) -> int:
        return self.houses - self.numbered


@dataclass(frozen=True)
class Overview:
    streets: list[AreaCount]
    villages: list[AreaCount]


def address_overview(session: Session, scope: Scope) -> Overview:
    """Streets (by the houses fronting them) and villages, with door-number counts, for the plates page."""
    counts = session.execute(
        scoped(
            select(Building.street_id, Building.village_id, func.count(), func.count(Building.door_no))
            .where(Building.street_id.is_not(None))
            .group_by(Building.street_id, Building.village_id),
            scope,
        )
    ).all()
    village_names = dict(session.execute(select(Village.id, Village.name)).all())
    street_names = dict(session.execute(select(Street.id, Street.name)).all())
    by_street: dict[int, list] = {}
    for street_id, village_id, houses, numbered in counts:
        by_street.setdefault(street_id, []).append((houses, numbered, village_names[village_id]))
    streets = [
        AreaCount(
            sid,
            street_names[sid],
            sum(h for h, _, _ in parts),
            sum(n for _, n, _ in parts),
            tuple(name for _, _, name in sorted(parts, key=lambda p: (-p[0], p[2]))),
        )
        for sid, parts in by_street.items()
    ]
    streets.sort(key=lambda a: (a.villages[:1], a.name, a.id))
    village_counts = session.execute(
        scoped(
            select(Building.village_id, func.count(), func.count(Building.door_no)).group_by(
                Building.village_id
            ),
            scope,
        )
    ).all()
    villages = sorted(
        (AreaCount(vid, village_names[vid], houses, numbered) for vid, houses, numbered in village_counts),
        key=lambda a: (a.name, a.id),
    )
    return Overview(streets, villages)


def readdress(session: Session, building: Building, new_door: str | None) -> str:
    """The building's standard address with ``new_door``, refused when another house holds it.

    The address keeps its village and street (only the door changes); an address not in
    the standard form is written anew from the village and the street the house fronts."""
    address = with_door(building.address, building.door_no, new_door)
    if address is None:
        village = session.scalar(select(Village.name).where(Village.id == building.village_id)) or ""
        street = session.scalar(select(Street.name).where(Street.id == building.street_id))
        address = standard_address(TOWN_NAME, village, street, new_door)
    if new_door:
        check_address_free(session, address, building.id)
    return address
