"""Objects the address and plate endpoints need in the demo town (the access matrix uses them too)."""

from __future__ import annotations

from sqlalchemy import func, select

from geoapp.domain.address import with_door
from geoapp.services.addresses.numbering import plan_numbering
from geoapp.store.models import Building, Street


def plate_streets(database, village_a: int, village_b: int) -> tuple[int, int]:
    """A street with houses of village A, and one whose houses all lie in village B."""
    with database.session() as s:
        own = s.scalar(  # the shortest street whose houses in village A are also addressed on it
            select(Building.street_id).join(Street, Street.id == Building.street_id)
            .where(Building.village_id == village_a, Building.address.contains(Street.name))
            .group_by(Building.street_id).order_by(func.count(), Building.street_id).limit(1)
        )  # fmt: skip
        other = s.scalar(
            select(Building.street_id).where(Building.street_id.is_not(None)).group_by(Building.street_id)
            .having(func.min(Building.village_id) == village_b, func.max(Building.village_id) == village_b)
            .order_by(func.count(), Building.street_id).limit(1)
        )  # fmt: skip
    return own, other


def unnumber(database, street_id: int, count: int = 1) -> list[int]:
    """The first ``count`` numbered houses fronting the street lose their door numbers."""
    with database.write() as s:
        ids = s.scalars(
            select(Building.id).where(Building.street_id == street_id, Building.door_no.is_not(None))
            .order_by(Building.id).limit(count)
        ).all()  # fmt: skip
        for b in s.scalars(select(Building).where(Building.id.in_(ids))):
            b.door_no, b.address = None, with_door(b.address, b.door_no, None) or b.address
    return list(ids)


def numbering_body(database, street_id: int) -> dict:
    """A valid confirmation of the street's preview (a house loses its number first if none lacks one)."""
    with database.session() as s:
        waiting = s.scalar(
            select(func.count()).where(Building.street_id == street_id, Building.door_no.is_(None))
        )
    if not waiting:
        unnumber(database, street_id)
    with database.session() as s:
        return {"fingerprint": plan_numbering(s, street_id).fingerprint}
