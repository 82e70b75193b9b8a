"""Counts a collector (or leader) watches: done / task for houses, people, households."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from geoapp.domain.roles import Role, Scope
from geoapp.services.accounts.scoping import scoped
from geoapp.store.models import Building, Household, Person, Unit, Village


def progress(session: Session, scope: Scope) -> dict:
    """For a collector their village; for a reporter their unit's houses; otherwise the town."""
    houses = session.execute(
        scoped(
            select(
                func.count(),
                func.sum(case((Building.status != "uncollected", 1), else_=0)),
                func.sum(case((Building.status == "verified", 1), else_=0)),
                func.sum(case((Building.status == "returned", 1), else_=0)),
                func.sum(case((Building.visit_flag.is_not(None), 1), else_=0)),
            ),
            scope,
        )
    ).one()
    people = session.scalar(
        scoped(select(func.count(Person.id)).join(Building, Building.id == Person.building_id), scope)
    )
    households = session.scalar(
        scoped(select(func.count(Household.id)).join(Building, Building.id == Household.building_id), scope)
    )
    task = select(func.sum(Village.task_houses), func.sum(Village.task_people))
    if scope.role == Role.COLLECTOR:
        task = task.where(Village.id == scope.village_id)
    task_houses, task_people = session.execute(task).one()
    if scope.role == Role.REPORTER:
        task_houses, task_people = houses[0], None
    units = session.execute(
        scoped(
            select(func.count(Unit.id), func.sum(case((Unit.status != "uncollected", 1), else_=0))).outerjoin(
                Building, Building.id == Unit.building_id
            ),  # the town's roles count units not yet placed on the map too
            scope,
        )
    ).one()
    return {
        "houses": {"total": houses[0], "collected": int(houses[1] or 0), "verified": int(houses[2] or 0),
                   "returned": int(houses[3] or 0), "flagged": int(houses[4] or 0), "task": int(task_houses or 0)},
        "people": {"collected": int(people or 0), "task": int(task_people) if task_people is not None else None},
        "households": {"collected": int(households or 0)},
        "units": {"total": units[0], "collected": int(units[1] or 0)},
    }  # fmt: skip


def returned_houses(session: Session, scope: Scope, limit: int = 200) -> list[dict]:
    """Houses an officer returned for correction, with the reason, newest first."""
    rows = session.execute(
        scoped(
            select(Building.id, Building.address, Building.return_reason, Building.lon, Building.lat).where(
                Building.status == "returned"
            ),
            scope,
        )
        .order_by(Building.updated_at.desc().nulls_last(), Building.id)
        .limit(limit)
    ).all()
    return [
        {"id": r.id, "address": r.address, "reason": r.return_reason, "lon": r.lon, "lat": r.lat}
        for r in rows
    ]


def village_name(session: Session, scope: Scope) -> str | None:
    """The name of the scope's own village (a collector's), shown at the top of their map."""
    if scope.village_id is None:
        return None
    return session.scalar(select(Village.name).where(Village.id == scope.village_id))
