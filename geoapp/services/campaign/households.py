"""A house's households and people, as a village collector (or the station) submits them.

The submitted households replace the stored ones: people are matched by id or by
document, new ones added, those left out removed. Someone registered at another
house is never registered twice (``moves``): inside the caller's scope they are
moved here, outside it the move is only requested, and the caller learns nothing
of where they live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Scope, mask_id_number, mask_phone
from geoapp.domain.submission import HouseholdInput
from geoapp.domain.validators import Collector, FormErrors
from geoapp.services.accounts.scoping import building_clause
from geoapp.services.campaign import moves as moves_service
from geoapp.store.models import Building, Household, Person

PERSON_FIELDS = ("name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "phone", "hukou_address",
                 "residence_type", "separated", "relation", "employer_unit_id")  # fmt: skip


MASKED = {"id_number": mask_id_number, "phone": mask_phone}


def _person_changes(person: Person, member) -> dict[str, list]:
    """The fields of a registered person the submission changes, ``{field: [before, after]}``
    (ID numbers and phones masked: this goes into the audit trail)."""
    out = {}
    for name in PERSON_FIELDS:
        old, new = getattr(person, name), getattr(member, name)
        if old != new:
            mask = MASKED.get(name)
            out[name] = [mask(old), mask(new)] if mask else [old, new]
    return out


class RegisteredElsewhere(FormErrors):
    """People of the submission registered at other houses, not confirmed as moves.

    ``probes`` are the hits outside the caller's scope: the caller audits them and
    charges them to the reader's people budget even though nothing is stored."""

    def __init__(self, errors: list, probes: list[dict]) -> None:
        super().__init__(errors)
        self.probes = probes


@dataclass
class Elsewhere:
    move_now: dict[tuple, Person] = field(default_factory=dict)  # in scope, confirmed by the caller
    request: dict[tuple, Person] = field(default_factory=dict)  # outside scope, asked for by the caller
    probes: list[dict] = field(default_factory=list)  # hits outside scope (masked), for audit and budget
    errors: list = field(default_factory=list)  # people registered elsewhere, not confirmed as moves

    def raise_if_refused(self) -> None:
        if self.errors:
            raise RegisteredElsewhere(self.errors, self.probes)


def registered_elsewhere(
    session: Session,
    scope: Scope,
    building: Building,
    households: list[HouseholdInput],
    documents: set,
    moves: set[str],
) -> Elsewhere:
    """Sort the submitted people registered at other houses; those not confirmed are errors."""
    found = Elsewhere()
    if not documents:
        return found
    registered = {
        (p.id_type, p.id_number): p
        for p in session.scalars(
            select(Person).where(
                tuple_(Person.id_type, Person.id_number).in_(list(documents)),
                Person.building_id != building.id,
            )
        )
    }
    if not registered:
        return found
    clause = building_clause(scope)
    houses = {p.building_id for p in registered.values()}
    visible = houses if clause is None else set(session.scalars(select(Building.id).where(Building.id.in_(houses), clause)))  # fmt: skip
    addresses = dict(
        session.execute(select(Building.id, Building.address).where(Building.id.in_(visible))).all()
    )
    errors = Collector()
    for h, household in enumerate(households):
        for i, m in enumerate(household.members):
            person = registered.get((m.id_type, m.id_number))
            if person is None:
                continue
            path = f"households[{h}].members[{i}].id_number"
            confirmed = m.id_number in moves
            if person.building_id in visible:
                if confirmed:
                    found.move_now[(m.id_type, m.id_number)] = person
                else:
                    errors.errors.append((path, InvalidInput(
                        N_("%(field)s: this person is registered as living at %(address)s. If they now live here, confirm the move; they will not be registered twice."),
                        field="id_number", address=addresses[person.building_id], move="direct",
                    )))  # fmt: skip
                continue
            found.probes.append({"field": path, "id_number": mask_id_number(m.id_number)})
            if confirmed:
                found.request[(m.id_type, m.id_number)] = person
            else:
                errors.errors.append((path, InvalidInput(
                    N_("%(field)s: this number is already registered elsewhere in the town; the station will resolve it. If the person now lives here, ask for the move: they stay registered where they are until it is confirmed."),
                    field="id_number", move="request",
                )))  # fmt: skip
    found.errors = errors.errors
    return found


def store_households(
    session: Session,
    scope: Scope,
    building: Building,
    households: list[HouseholdInput],
    elsewhere: Elsewhere,
) -> dict:
    """Replace the house's households and people with the submitted ones; returns what changed."""
    old_people = {p.id: p for p in session.scalars(select(Person).where(Person.building_id == building.id))}
    by_document = {(p.id_type, p.id_number): p for p in old_people.values() if p.id_number}
    old_households = {
        h.id: h for h in session.scalars(select(Household).where(Household.building_id == building.id))
    }
    errors = Collector()
    kept_people, kept_households, kept_requests = set(), set(), set()
    created, updated, moved, requested, changed = [], [], [], [], []
    for h, household_input in enumerate(households):
        household = old_households.get(household_input.id) if household_input.id is not None else None
        if household_input.id is not None and household is None:
            errors.errors.append((f"households[{h}].id", InvalidInput(
                N_("%(field)s: household %(id)s is not in this house."), field="id", id=household_input.id)))  # fmt: skip
            continue
        if household is None:
            household = Household(building_id=building.id)
            session.add(household)
        household.number = household_input.number
        session.flush()
        kept_households.add(household.id)
        for i, m in enumerate(household_input.members):
            key = (m.id_type, m.id_number)
            if key in elsewhere.request:
                move = moves_service.request_move(
                    session, scope, elsewhere.request[key], building, household.id, m.relation
                )
                kept_requests.add(move.id)
                requested.append({"move": move.id, "id_number": mask_id_number(m.id_number)})
                continue
            if m.id is not None:
                person = old_people.get(m.id)
                if person is None:
                    errors.errors.append((f"households[{h}].members[{i}].id", InvalidInput(
                        N_("%(field)s: person %(id)s is not in this house."), field="id", id=m.id)))  # fmt: skip
                    continue
                updated.append(person.id)
            elif key in elsewhere.move_now:
                person = elsewhere.move_now[key]
                moved.append({"person": person.id, "from": person.building_id})
                moves_service.move_now(session, scope, person, building, household.id, m.relation)
            elif m.id_number and key in by_document:
                person = by_document[key]
                updated.append(person.id)
            else:
                person = Person(building_id=building.id)
                session.add(person)
            if person.id is not None and person.id in updated:
                diff = _person_changes(person, m)
                if diff:
                    changed.append({"id": person.id, "name": person.name, "fields": diff})
            for name in PERSON_FIELDS:
                setattr(person, name, getattr(m, name))
            person.household_id = household.id
            session.flush()
            kept_people.add(person.id)
            if person.id not in updated and key not in elsewhere.move_now:
                created.append(
                    {"id": person.id, "name": person.name, "id_number": mask_id_number(person.id_number)}
                )
    errors.raise_if_any()
    moves_service.cancel_unlisted(session, scope, building.id, kept_requests)
    removed = [
        {"id": pid, "name": p.name, "id_number": mask_id_number(p.id_number)}
        for pid, p in old_people.items()
        if pid not in kept_people
    ]
    moves_service.forget_people(session, [r["id"] for r in removed])
    for r in removed:
        session.delete(old_people[r["id"]])
    session.flush()
    for hid, household in old_households.items():
        if hid not in kept_households:
            session.delete(household)
    session.flush()
    return {
        "created": created,
        "updated": sorted(set(updated)),
        "changed": changed,
        "removed": removed,
        "moved": moved,
        "requested": requested,
    }
