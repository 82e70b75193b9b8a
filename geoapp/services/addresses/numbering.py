"""Numbering the houses along a street where door numbers are missing (administrators).

The houses fronting the street are put in order along it and split by side
(``spatial.frontage``); the ones without a door number get the next odd numbers on the
left of the street's direction and the next even numbers on the right, counting on from
the highest number the street already has, or from the first numbers the administrator
chose (``domain.address.propose_doors``). ``plan_numbering`` only reads: it is the
preview (page, API, ``geoapp address number --dry-run``). ``apply_numbering`` stores
exactly the previewed run — the preview's fingerprint must still match — and audits
each house; a run that would repeat a number of the street, or an address another house
holds, is refused naming it, and nothing is stored.

A house's status does not change: its door number is given by the station, not a
correction of what was collected.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np
import orjson
import shapely
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geoapp.domain.address import (
    LEFT,
    RIGHT,
    TOWN_NAME,
    Frontage,
    door_number,
    door_text,
    propose_doors,
    standard_address,
    street_door,
)
from geoapp.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.spatial.frontage import along_street
from geoapp.store.models import Building, Street, Village


@dataclass(frozen=True)
class PlanRow:
    """One house fronting the street, in the street's order; ``new_*`` set when it gets a number."""

    building_id: int
    village: str
    side: str
    at_m: float
    offset_m: float
    door_no: str | None
    address: str
    new_door: str | None = None
    new_address: str | None = None
    clash_with: int | None = None  # the house that already has this number or address
    clash_address: str | None = None


@dataclass(frozen=True)
class NumberingPlan:
    street_id: int
    street: str
    rows: tuple[PlanRow, ...]
    start_odd: int | None  # the run's first odd number (None: no house on the left needs one)
    start_even: int | None
    fingerprint: str  # of the run: confirming a different run is refused

    @property
    def changes(self) -> list[PlanRow]:
        return [r for r in self.rows if r.new_door is not None]

    @property
    def clashes(self) -> list[PlanRow]:
        return [r for r in self.rows if r.clash_with is not None]

    def side_range(self, side: str) -> tuple[str, str] | None:
        doors = [r.new_door for r in self.changes if r.side == side]
        return (doors[0], doors[-1]) if doors else None

    def to_dict(self) -> dict:
        return {
            "street": {"id": self.street_id, "name": self.street},
            "houses": len(self.rows),
            "numbered": sum(1 for r in self.rows if r.door_no),
            "changes": len(self.changes),
            "start_odd": self.start_odd,
            "start_even": self.start_even,
            "fingerprint": self.fingerprint,
            "clashes": [
                {
                    "building": r.building_id,
                    "door_no": r.new_door,
                    "holder": r.clash_with,
                    "holder_address": r.clash_address,
                }
                for r in self.clashes
            ],
            "rows": [
                asdict(r) | {"at_m": round(r.at_m, 1), "offset_m": round(r.offset_m, 1)} for r in self.rows
            ],
        }


@dataclass(frozen=True)
class NumberingResult:
    street_id: int
    street: str
    count: int
    odd: tuple[str, str] | None
    even: tuple[str, str] | None

    def to_dict(self) -> dict:
        return {"street": {"id": self.street_id, "name": self.street}, "numbered": self.count,
                "odd": self.odd, "even": self.even}  # fmt: skip


def _street(session: Session, street_id: int) -> Street:
    street = session.get(Street, street_id)
    if street is None:
        raise NotFound(N_("Street %(id)s does not exist."), id=street_id)
    if not street.name:  # its houses' addresses would name no street: numbers would clash village-wide
        raise InvalidInput(
            N_(
                "Street %(id)s is an unnamed road: its houses cannot be numbered along it until the street has a name (import the streets again with its name)."
            ),
            field="street",
            id=street_id,
        )
    return street


def plan_numbering(
    session: Session, street_id: int, *, start_odd: int | None = None, start_even: int | None = None
) -> NumberingPlan:
    """The preview: every house fronting the street in order, with the numbers proposed for
    those without one and any clash. Reads only."""
    street = _street(session, street_id)
    fronting = session.execute(
        select(
            Building.id, Building.village_id, Building.door_no, Building.address, Building.lon, Building.lat
        )
        .where(Building.street_id == street.id)
        .order_by(Building.id)
    ).all()
    villages = dict(session.execute(select(Village.id, Village.name)).all())
    position = along_street(
        street.geom, shapely.points(np.array([(r.lon, r.lat) for r in fronting], dtype=float).reshape(-1, 2))
    )
    sides = [LEFT if s > 0 else RIGHT for s in position.side]
    frontage = [Frontage(r.id, sides[i], float(position.at_m[i]), r.door_no) for i, r in enumerate(fronting)]
    held = _numbers_on_street(session, street, villages, fronting)
    proposed = propose_doors(frontage, held, start_odd=start_odd, start_even=start_even)
    new = {
        bid: standard_address(TOWN_NAME, villages[v], street.name, door_text(str(n)))
        for bid, n, v in ((r.id, proposed.get(r.id), r.village_id) for r in fronting)
        if n is not None
    }
    taken = dict(
        session.execute(
            select(Building.address, Building.id).where(
                Building.door_no.is_not(None), Building.address.in_(sorted(set(new.values())))
            )
        ).all()
        if new
        else []
    )
    rows = []
    for i in position.order():
        r = fronting[i]
        n = proposed.get(r.id)
        clash = None
        if n is not None:
            if n in held:
                clash = held[n]
            elif new[r.id] in taken:
                clash = (taken[new[r.id]], new[r.id])
        rows.append(
            PlanRow(
                building_id=r.id,
                village=villages[r.village_id],
                side=sides[i],
                at_m=float(position.at_m[i]),
                offset_m=float(position.offset_m[i]),
                door_no=r.door_no,
                address=r.address,
                new_door=door_text(str(n)) if n is not None else None,
                new_address=new.get(r.id),
                clash_with=clash[0] if clash else None,
                clash_address=clash[1] if clash else None,
            )
        )
    odd = [n for n in proposed.values() if n % 2]
    even = [n for n in proposed.values() if n % 2 == 0]
    run = sorted(proposed.items())
    digest = hashlib.sha256(orjson.dumps([street.id, street.name, run])).hexdigest()[:16]
    return NumberingPlan(
        street_id=street.id,
        street=street.name,
        rows=tuple(rows),
        start_odd=min(odd) if odd else None,
        start_even=min(even) if even else None,
        fingerprint=digest,
    )


def _numbers_on_street(session: Session, street: Street, villages: dict[int, str], fronting) -> dict:
    """Door number → (house, address) for every number the street carries already: its fronting
    houses' numbers and every standard address on the street (in any village)."""
    prefixes = [f"{TOWN_NAME}{name}{street.name}" for name in villages.values()]
    rows = session.execute(
        select(Building.id, Building.door_no, Building.address, Building.street_id)
        .where(Building.door_no.is_not(None))
        .where(or_(Building.street_id == street.id, Building.address.contains(street.name, autoescape=True)))
        .order_by(Building.id)
    ).all()
    held: dict[int, tuple[int, str]] = {}
    for r in rows:
        number = next((n for p in prefixes if (n := street_door(r.address, p)) is not None), None)
        if number is None and r.street_id == street.id:
            number = door_number(r.door_no)
        if number is not None:
            held.setdefault(number, (r.id, r.address))
    return held


def clash_error(plan: NumberingPlan) -> Conflict:
    row = plan.clashes[0]
    return Conflict(
        N_(
            "The run would repeat %(door)s on %(street)s: house %(holder)s already has it (%(address)s). Leave the first numbers empty to continue after the street's highest number, or choose first numbers that repeat none."
        ),
        door=row.new_door,
        street=plan.street,
        holder=row.clash_with,
        address=row.clash_address,
    )


def apply_numbering(
    session: Session,
    scope: Scope,
    street_id: int,
    *,
    fingerprint: str,
    start_odd: int | None = None,
    start_even: int | None = None,
    remote_addr: str | None = None,
) -> NumberingResult:
    """Store the previewed run (inside the caller's write transaction), audited per house."""
    if scope.role != Role.ADMIN:
        raise Forbidden(N_("Only administrators number the houses of a street."))
    plan = plan_numbering(session, street_id, start_odd=start_odd, start_even=start_even)
    if not plan.changes:
        raise InvalidInput(
            N_("Every house fronting %(street)s already has a door number: there is nothing to number."),
            field="street",
            street=plan.street,
        )
    if plan.clashes:
        raise clash_error(plan)
    if fingerprint != plan.fingerprint:
        raise Conflict(
            N_(
                "The houses on %(street)s changed since the preview: look at the new preview and confirm it again."
            ),
            street=plan.street,
        )
    changes = {r.building_id: r for r in plan.changes}
    buildings = session.scalars(select(Building).where(Building.id.in_(changes))).all()
    now = utcnow()
    before = {}
    for b in buildings:
        row = changes[b.id]
        before[b.id] = (b.door_no, b.address)
        b.door_no, b.address, b.updated_at = row.new_door, row.new_address, now
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            N_(
                "Someone changed a house on %(street)s meanwhile: look at the new preview and confirm it again."
            ),
            street=plan.street,
        ) from None
    for bid, (door, address) in sorted(before.items()):
        audit.record_by(
            session,
            scope,
            "address.number",
            object_type="building",
            object_id=bid,
            changes={
                "door_no": [door, changes[bid].new_door],
                "address": [address, changes[bid].new_address],
            },
            remote_addr=remote_addr,
        )
    result = NumberingResult(
        plan.street_id, plan.street, len(changes), plan.side_range(LEFT), plan.side_range(RIGHT)
    )
    audit.record_by(
        session,
        scope,
        "street.number",
        object_type="street",
        object_id=plan.street_id,
        changes={"street": plan.street, "numbered": result.count, "odd": result.odd, "even": result.even},
        remote_addr=remote_addr,
    )
    return result
