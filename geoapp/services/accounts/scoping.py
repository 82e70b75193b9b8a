"""Row-level scope: a caller's queries only ever reach the rows their role may see.

Collectors see their village, unit reporters the buildings of their unit, town
roles everything. Filters are added to the SQL itself (never applied after
loading), and a row outside the scope is reported as not found, so that guessing
ids reveals nothing, not even that the row exists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from geoapp.domain.errors import NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope
from geoapp.store.models import Building, Person, Unit


def building_clause(scope: Scope) -> ColumnElement[bool] | None:
    """WHERE clause limiting buildings to the scope (None: the whole town)."""
    if scope.role == Role.COLLECTOR:
        return Building.village_id == scope.village_id if scope.village_id is not None else false()
    if scope.role == Role.REPORTER:
        if scope.unit_id is None:
            return false()
        return Building.id.in_(select(Unit.building_id).where(Unit.id == scope.unit_id))
    return None


def scoped(stmt, scope: Scope):
    """Add the building scope to a statement that selects from or joins Building."""
    clause = building_clause(scope)
    return stmt if clause is None else stmt.where(clause)


def village_filter(session: Session, scope: Scope, requested: int | None) -> int | None:
    """The village a listing is limited to; a village outside one's scope is 'not found'."""
    if scope.role == Role.COLLECTOR:
        if requested is not None and requested != scope.village_id:
            raise NotFound(N_("Village %(id)s does not exist."), id=requested)
        return scope.village_id
    if scope.role == Role.REPORTER and requested is not None:
        stmt = select(Building.id).where(Building.village_id == requested).limit(1)
        if session.scalar(scoped(stmt, scope)) is None:
            raise NotFound(N_("Village %(id)s does not exist."), id=requested)
    return requested


def visible_building(session: Session, scope: Scope, building_id: int) -> Building:
    building = session.scalar(scoped(select(Building).where(Building.id == building_id), scope))
    if building is None:
        raise NotFound(N_("House %(id)s does not exist."), id=building_id)
    return building


def visible_person(session: Session, scope: Scope, person_id: int) -> Person:
    if not scope.sees_people:
        raise NotFound(N_("Person %(id)s does not exist."), id=person_id)
    stmt = select(Person).join(Building, Building.id == Person.building_id).where(Person.id == person_id)
    person = session.scalar(scoped(stmt, scope))
    if person is None:
        raise NotFound(N_("Person %(id)s does not exist."), id=person_id)
    return person


def visible_unit(session: Session, scope: Scope, unit_id: int) -> Unit:
    """A unit in the caller's scope; one not yet placed on the map (no building) only for
    the town's roles."""
    stmt = select(Unit).outerjoin(Building, Building.id == Unit.building_id).where(Unit.id == unit_id)
    if scope.role == Role.REPORTER:
        stmt = stmt.where(Unit.id == scope.unit_id)
    unit = session.scalar(scoped(stmt, scope))
    if unit is None:
        raise NotFound(N_("Unit %(id)s does not exist."), id=unit_id)
    return unit
