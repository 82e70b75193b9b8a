"""People (实有人口) as each role may see them: scoped, masked, reveals audited,
listings throttled against bulk reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.errors import Forbidden, InvalidInput, TooManyRequests
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Scope, mask_id_number, mask_phone
from geoapp.services.accounts import audit, throttle
from geoapp.services.accounts.scoping import scoped, village_filter, visible_person
from geoapp.store.models import Building, Person, Village

REVEALABLE = ("id_number", "phone")
MAX_PAGE = 200


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


def _read_key(scope: Scope) -> str:
    return f"read:people:{scope.user_id}"


def list_people(
    session: Session,
    scope: Scope,
    settings: Settings,
    *,
    village_id: int | None = None,
    query: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of people in scope. Rows handed out count against the user's
    bulk-read allowance; past it the listing answers 429 until the window passes."""
    if not scope.sees_people:
        raise Forbidden(N_("Your role sees counts and rates, not people."))
    if not 1 <= per_page <= MAX_PAGE:
        raise InvalidInput(N_("%(field)s must be between 1 and %(max)d."), field="per_page", max=MAX_PAGE)
    if page < 1:
        raise InvalidInput(N_("%(field)s must be 1 or more."), field="page")
    window = timedelta(minutes=settings.person_read_window_minutes)
    used = throttle.count(session, _read_key(scope), window)
    if used >= settings.person_read_limit:
        raise TooManyRequests(
            N_(
                "You have listed %(used)d people in %(minutes)d minutes, the most allowed: wait and narrow your search."
            ),
            retry_after_s=throttle.retry_after_s(session, _read_key(scope), window),
            used=used,
            minutes=settings.person_read_window_minutes,
        )
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


def count_read(session: Session, scope: Scope, n: int) -> None:
    """Charge ``n`` people to the user's bulk-read allowance (in a write transaction)."""
    if n:
        throttle.add(session, _read_key(scope), n)


def person_detail(session: Session, scope: Scope, person_id: int) -> dict:
    person = visible_person(session, scope, person_id)
    address = session.scalar(select(Building.address).where(Building.id == person.building_id))
    village = session.scalar(
        select(Village.name)
        .join(Building, Building.village_id == Village.id)
        .where(Building.id == person.building_id)
    )
    return {**person_view(person, address), "village": village}


def reveal(
    session: Session, scope: Scope, person_id: int, field: str, remote_addr: str | None = None
) -> str | None:
    """One full value for an officer; the reveal is audited (the log keeps it masked)."""
    if not scope.may_reveal:
        raise Forbidden(N_("Your role may not reveal full ID numbers or phone numbers."))
    if field not in REVEALABLE:
        raise InvalidInput(N_("%(field)s must be id_number or phone."), field="field")
    person = visible_person(session, scope, person_id)
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
