"""People found living at another house than the one they are registered at (人户一致).

A person is registered once, at the house they live in. When a collector submits
a house with someone registered elsewhere:

- inside the caller's scope (same village, or a town role), the move is made at
  once and recorded (``status`` "done");
- outside it (another village), the move is only requested (``pending``): the
  person stays where they are until an officer, an administrator or a collector of
  the village they live in confirms it (or rejects it with a reason). Both houses
  show the pending move, and every step is audited on both houses and the person.

The caller outside the scope learns nothing of where the person lives.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from geoapp.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.requests import MoveDecisionIn
from geoapp.domain.roles import Role, Scope, mask_id_number
from geoapp.domain.status import Status
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import building_clause
from geoapp.store.models import Building, Household, Person, PersonMove, User, Village

PENDING, DONE, CONFIRMED, REJECTED, CANCELLED = "pending", "done", "confirmed", "rejected", "cancelled"


def in_scope(session: Session, scope: Scope, building_id: int) -> bool:
    clause = building_clause(scope)
    if clause is None:
        return True
    return session.scalar(select(Building.id).where(Building.id == building_id, clause)) is not None


def _audit_all(session: Session, scope: Scope, action: str, move: PersonMove, changes: dict) -> None:
    """One event on each house and on the person: each record's history tells the whole move."""
    for object_type, object_id in (
        ("building", move.from_building_id),
        ("building", move.to_building_id),
        ("person", move.person_id),
    ):
        audit.record_by(
            session,
            scope,
            action,
            object_type=object_type,
            object_id=object_id,
            changes={"move": move.id, "person": move.person_id, "from": move.from_building_id,
                     "to": move.to_building_id, **changes},
        )  # fmt: skip


def _touch(building: Building) -> None:
    """A house whose people changed: a new version (editors holding the old one get a conflict);
    a verified house goes back to awaiting verification."""
    building.updated_at = utcnow()
    if building.status == Status.VERIFIED.value:
        building.status = Status.COLLECTED.value
        building.verified_at = None


def _drop_if_empty(session: Session, household_id: int | None) -> None:
    if household_id is None:
        return
    session.flush()
    left = session.scalar(select(Person.id).where(Person.household_id == household_id).limit(1))
    if left is None:
        household = session.get(Household, household_id)
        if household is not None:
            session.delete(household)


def _apply(session: Session, person: Person, move: PersonMove) -> None:
    """Move the person into the target house's household (or a new one there)."""
    source = session.get(Building, person.building_id)
    target = session.get(Building, move.to_building_id)
    household = session.get(Household, move.to_household_id) if move.to_household_id else None
    if household is None or household.building_id != target.id:
        household = Household(building_id=target.id)
        session.add(household)
        session.flush()
        move.to_household_id = household.id
    old_household = person.household_id
    person.building_id = target.id
    person.household_id = household.id
    if move.relation:
        person.relation = move.relation
    _drop_if_empty(session, old_household)
    _touch(source)
    _touch(target)


def move_now(
    session: Session,
    scope: Scope,
    person: Person,
    to_building: Building,
    household_id: int,
    relation: str | None,
) -> PersonMove:
    """A move inside the caller's scope: done at once, recorded and audited."""
    move = PersonMove(
        person_id=person.id,
        from_building_id=person.building_id,
        to_building_id=to_building.id,
        to_household_id=household_id,
        relation=relation,
        at=utcnow(),
        user_id=scope.user_id,
        status=DONE,
    )
    session.add(move)
    _apply(session, person, move)
    session.flush()
    _audit_all(session, scope, "person.move", move, {"status": DONE})
    return move


def request_move(
    session: Session,
    scope: Scope,
    person: Person,
    to_building: Building,
    household_id: int,
    relation: str | None,
) -> PersonMove:
    """A move out of another village: asked for, not made. Asking again updates the request."""
    move = session.scalar(
        select(PersonMove).where(
            PersonMove.person_id == person.id,
            PersonMove.to_building_id == to_building.id,
            PersonMove.status == PENDING,
        )
    )
    if move is None:
        move = PersonMove(
            person_id=person.id,
            from_building_id=person.building_id,
            to_building_id=to_building.id,
            at=utcnow(),
            user_id=scope.user_id,
            status=PENDING,
        )
        session.add(move)
    move.to_household_id = household_id
    move.relation = relation
    session.flush()
    _audit_all(session, scope, "person.move_request", move, {"status": PENDING})
    return move


def cancel_unlisted(session: Session, scope: Scope, building_id: int, kept: set[int]) -> None:
    """A resubmission that no longer lists someone asked for: their request is withdrawn."""
    stale = session.scalars(
        select(PersonMove).where(
            PersonMove.to_building_id == building_id,
            PersonMove.status == PENDING,
            PersonMove.id.not_in(kept or {0}),
        )
    ).all()
    for move in stale:
        move.status = CANCELLED
        move.decided_by, move.decided_at = scope.user_id, utcnow()
        session.flush()
        _audit_all(session, scope, "person.move_cancel", move, {"status": [PENDING, CANCELLED]})


def forget_people(session: Session, person_ids: list[int]) -> None:
    """People removed from the register take their move records with them (the audit keeps them)."""
    if person_ids:
        session.execute(PersonMove.__table__.delete().where(PersonMove.person_id.in_(person_ids)))


def _may_decide(session: Session, scope: Scope, move: PersonMove) -> bool:
    if scope.role in (Role.OFFICER, Role.ADMIN):
        return True
    if scope.role != Role.COLLECTOR:
        return False
    village = session.scalar(select(Building.village_id).where(Building.id == move.from_building_id))
    return village == scope.village_id


def _visible_move(session: Session, scope: Scope, move_id: int) -> PersonMove:
    move = session.get(PersonMove, move_id)
    if move is None or not (
        in_scope(session, scope, move.from_building_id) or in_scope(session, scope, move.to_building_id)
    ):
        raise NotFound(N_("Move request %(id)s does not exist."), id=move_id)
    return move


def decide(session: Session, scope: Scope, move_id: int, decision: MoveDecisionIn) -> dict:
    """Confirm or reject a pending move; only the station or the village the person lives in may."""
    move = _visible_move(session, scope, move_id)
    if not _may_decide(session, scope, move):
        raise Forbidden(
            N_("Only the station or a collector of the village the person lives in may decide this move.")
        )
    if move.status != PENDING:
        raise Conflict(N_("This move request was already decided (%(status)s)."), status=move.status)
    reason = (decision.reason or "").strip()[:500] or None
    if decision.action == "reject" and not reason:
        raise InvalidInput(N_("%(field)s is required when rejecting a move: say why."), field="reason")
    person = session.get(Person, move.person_id)
    if decision.action == "confirm":
        if person is None or person.building_id != move.from_building_id:
            raise Conflict(
                N_("The person's registration changed since the move was asked for: reject it and ask again.")
            )
        _apply(session, person, move)
    else:
        _drop_if_empty(session, move.to_household_id)
    move.status = CONFIRMED if decision.action == "confirm" else REJECTED
    move.decided_by, move.decided_at, move.reason = scope.user_id, utcnow(), reason
    session.flush()
    _audit_all(
        session,
        scope,
        "person.move_confirm" if move.status == CONFIRMED else "person.move_reject",
        move,
        {"status": [PENDING, move.status], "reason": reason},
    )
    return {"id": move.id, "status": move.status}


def _view(session: Session, scope: Scope, move: PersonMove, person: Person | None) -> dict:
    """What each side may see: the asking side never learns where the person lives now."""
    sees_source = in_scope(session, scope, move.from_building_id)
    source = session.get(Building, move.from_building_id)
    target = session.get(Building, move.to_building_id)
    village = lambda b: session.scalar(select(Village.name).where(Village.id == b.village_id))  # noqa: E731
    requester = session.scalar(select(User.name).where(User.id == move.user_id)) if move.user_id else None
    return {
        "id": move.id,
        "status": move.status,
        "requested_at": move.at,
        "requested_by": requester,
        "person_id": person.id if person is not None and sees_source else None,
        "name": person.name if person is not None and sees_source else None,
        "id_number": mask_id_number(person.id_number) if person is not None else None,
        "relation": move.relation,
        "from_building_id": move.from_building_id if sees_source else None,
        "from_address": source.address if sees_source else None,
        "from_village": village(source) if sees_source else None,
        "to_building_id": move.to_building_id,
        "to_address": target.address,
        "to_village": village(target),
        "to_lon": target.lon,
        "to_lat": target.lat,
        "may_decide": move.status == PENDING and _may_decide(session, scope, move),
        "reason": move.reason,
    }


def pending_for_building(session: Session, scope: Scope, building_id: int) -> list[dict]:
    """Pending moves into or out of one house (the house is already known to be visible)."""
    moves = session.scalars(
        select(PersonMove)
        .where(
            PersonMove.status == PENDING,
            or_(PersonMove.from_building_id == building_id, PersonMove.to_building_id == building_id),
        )
        .order_by(PersonMove.id)
    ).all()
    return [_view(session, scope, m, session.get(Person, m.person_id)) for m in moves]


def list_moves(session: Session, scope: Scope, *, status: str = PENDING, limit: int = 200) -> list[dict]:
    """Move requests touching the caller's scope, newest first."""
    if status not in (PENDING, DONE, CONFIRMED, REJECTED, CANCELLED):
        raise InvalidInput(N_("%(field)s must be pending, confirmed, rejected or cancelled."), field="status")
    stmt = select(PersonMove).where(PersonMove.status == status)
    clause = building_clause(scope)
    if clause is not None:
        visible = select(Building.id).where(clause)
        stmt = stmt.where(
            or_(PersonMove.from_building_id.in_(visible), PersonMove.to_building_id.in_(visible))
        )
    moves = session.scalars(stmt.order_by(PersonMove.id.desc()).limit(limit)).all()
    return [_view(session, scope, m, session.get(Person, m.person_id)) for m in moves]
