"""People (实有人口) as each role may see them: scoped, masked, reveals audited and
budgeted; every answer carrying people is charged to the reader's people budget."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.errors import Forbidden, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope, mask_id_number, mask_phone
from geoapp.domain.status import Status
from geoapp.services.accounts import audit, budget
from geoapp.services.accounts.scoping import scoped, village_filter, visible_person
from geoapp.store.models import Building, Person, Village

REVEALABLE = ("id_number", "phone")
MAX_PAGE = 200
MAX_PAGE_NUMBER = 1_000_000


def person_view(person: Person, address: str | None = None) -> dict:
    """A person with the ID number and phone masked."""
    return {
        "id": person.id,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "id_type": person.id_type,
        "id_number": mask_id_number(person.id_number),
        "phone": mask_phone(person.phone),
        "ethnicity": person.ethnicity,
        "hukou_address": person.hukou_address,
        "residence_type": person.residence_type,
        "separated": person.separated,
        "relation": person.relation,
        "employer_unit_id": person.employer_unit_id,
        "household_id": person.household_id,
        "building_id": person.building_id,
        "address": address,
        "version": person.version,
    }


@dataclass(frozen=True)
class Page:
    items: list[dict]
    total: int
    page: int
    per_page: int


def list_people(
    session: Session,
    scope: Scope,
    *,
    village_id: int | None = None,
    query: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of people in scope. The caller charges the rows to the reader's
    people budget (``budget.charge_people``) before handing them out."""
    if not scope.sees_people:
        raise Forbidden(N_("Your role sees counts and rates, not people."))
    if not 1 <= per_page <= MAX_PAGE:
        raise InvalidInput(N_("%(field)s must be between 1 and %(max)d."), field="per_page", max=MAX_PAGE)
    if not 1 <= page <= MAX_PAGE_NUMBER:
        raise InvalidInput(N_("%(field)s must be between 1 and %(max)d."), field="page", max=MAX_PAGE_NUMBER)
    stmt = select(Person, Building.address).join(Building, Building.id == Person.building_id)
    stmt = scoped(stmt, scope)
    village_id = village_filter(session, scope, village_id)
    if village_id is not None:
        stmt = stmt.where(Building.village_id == village_id)
    if query:
        text = query.strip()[:50]
        stmt = stmt.where(or_(Person.name.contains(text, autoescape=True), Person.id_number == text.upper()))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(Person.id).limit(per_page).offset((page - 1) * per_page)).all()
    return Page([person_view(p, address) for p, address in rows], int(total or 0), page, per_page)


def person_detail(session: Session, scope: Scope, person_id: int) -> dict:
    person = visible_person(session, scope, person_id)
    address = session.scalar(select(Building.address).where(Building.id == person.building_id))
    village = session.scalar(
        select(Village.name)
        .join(Building, Building.village_id == Village.id)
        .where(Building.id == person.building_id)
    )
    return {**person_view(person, address), "village": village}


def may_reveal(session: Session, scope: Scope, person: Person, field: str) -> bool:
    """Officers and administrators may reveal; a village collector may see the full ID
    number of a person in a house of their village that was returned for correction
    (they must fix what the officer found wrong)."""
    if scope.may_reveal:
        return True
    if scope.role != Role.COLLECTOR or field != "id_number":
        return False
    status = session.scalar(select(Building.status).where(Building.id == person.building_id))
    return status == Status.RETURNED.value


def reveal(
    session: Session,
    scope: Scope,
    settings: Settings,
    person_id: int,
    field: str,
    remote_addr: str | None = None,
) -> str | None:
    """One full value; every reveal is audited (the log keeps it masked) and counted
    against the reveal budget."""
    if field not in REVEALABLE:
        raise InvalidInput(N_("%(field)s must be id_number or phone."), field="field")
    person = visible_person(session, scope, person_id)
    if not may_reveal(session, scope, person, field):
        raise Forbidden(N_("Your role may not reveal full ID numbers or phone numbers."))
    budget.charge_reveal(session, scope, settings)
    value = getattr(person, field)
    masked = mask_id_number(value) if field == "id_number" else mask_phone(value)
    audit.record_by(
        session,
        scope,
        "reveal",
        object_type="person",
        object_id=person.id,
        changes={"field": field, "value": masked},
        remote_addr=remote_addr,
    )
    return value
