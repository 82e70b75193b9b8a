"""An officer checks a collected house: verifies it, or returns it with a reason.

The move is checked against the status rules (only officers and administrators
may verify or return), against the version the officer looked at (someone may
have resubmitted meanwhile), and, for a house whose visit proof was flagged,
against an explicit "I checked the visit" from the officer: a flagged record is
never counted as verified until someone has looked at it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.errors import Forbidden, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.requests import ReviewIn
from geoapp.domain.roles import Scope
from geoapp.domain.status import Status, check_transition
from geoapp.domain.validators import clean_text
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import scoped, village_filter, visible_building
from geoapp.services.campaign.people import Page
from geoapp.store.models import Building, Unit, User, Village, Visit
from geoapp.store.versioning import check_version

ACTIONS = {"verify": Status.VERIFIED, "return": Status.RETURNED}
MAX_REASON = 500


def _reason(review: ReviewIn) -> str:
    reason = clean_text(review.reason, field="reason", max_length=MAX_REASON)
    if not reason:
        raise InvalidInput(
            N_("%(field)s is required when returning a house: say what the collector must correct."),
            field="reason",
        )
    return reason


def review_house(session: Session, scope: Scope, building_id: int, review: ReviewIn) -> dict:
    """Verify or return one house; returns its new status and version."""
    target = ACTIONS[review.action]
    reason = _reason(review) if target == Status.RETURNED else None
    building = visible_building(session, scope, building_id)
    check_transition(building.status, target, scope.role)
    check_version(building, review.version, label="house")
    if target == Status.VERIFIED and building.submitted_by == scope.user_id:
        raise Forbidden(
            N_(
                "You submitted this house yourself: another officer verifies it (核对 is a second person's check)."
            )
        )
    if target == Status.VERIFIED and building.visit_flag and review.visit_checked is not True:
        raise InvalidInput(
            N_(
                "%(field)s: the visit proof of this house was flagged (far away, imprecise or without a position); "
                "confirm that you checked the visit before verifying the house."
            ),
            field="visit_checked",
        )
    before = {
        "status": building.status,
        "return_reason": building.return_reason,
        "visit_flag": building.visit_flag,
    }
    now = utcnow()
    building.status = target.value
    building.updated_at = now
    if building.first_checked_at is None:  # the accuracy rate counts the first check
        building.first_checked_at = now
        building.first_check_passed = target == Status.VERIFIED
    if target == Status.VERIFIED:
        building.verified_at = now
        building.return_reason = None
        building.visit_flag = None  # checked by the officer; the Visit row keeps the original flag
    else:
        building.verified_at = None
        building.return_reason = reason
    units = session.scalars(select(Unit).where(Unit.building_id == building.id, Unit.status != "uncollected"))
    for unit in units:
        unit.status = target.value
    session.flush()
    audit.record_by(
        session,
        scope,
        "house.verify" if target == Status.VERIFIED else "house.return",
        object_type="building",
        object_id=building.id,
        changes={
            "status": [before["status"], building.status],
            "return_reason": [before["return_reason"], building.return_reason],
            "visit_flag": [before["visit_flag"], building.visit_flag],
        },
    )
    return {
        "building_id": building.id,
        "status": building.status,
        "version": building.version,
        "return_reason": building.return_reason,
    }


def review_queue(
    session: Session,
    scope: Scope,
    *,
    village_id: int | None = None,
    flagged_only: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Houses awaiting verification: flagged visits first, then the oldest submissions.

    Each item carries the latest visit's collector, time and proof, so an officer
    sees at a glance which records need a closer look.
    """
    village_id = village_filter(session, scope, village_id)
    latest = (
        select(Visit.building_id, func.max(Visit.id).label("visit_id")).group_by(Visit.building_id).subquery()
    )
    base = scoped(select(Building.id).where(Building.status == Status.COLLECTED.value), scope)
    if village_id is not None:
        base = base.where(Building.village_id == village_id)
    if flagged_only:
        base = base.where(Building.visit_flag.is_not(None))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        scoped(
            select(
                Building.id,
                Building.address,
                Building.lon,
                Building.lat,
                Building.version,
                Building.visit_flag,
                Building.visit_distance_m,
                Building.collected_at,
                Village.name.label("village"),
                User.username,
                User.name.label("collector"),
                Visit.accuracy_m,
                Visit.people,
                Visit.empty,
            )
            .join(Village, Village.id == Building.village_id)
            .outerjoin(latest, latest.c.building_id == Building.id)
            .outerjoin(Visit, Visit.id == latest.c.visit_id)
            .outerjoin(User, User.id == Visit.user_id)
            .where(Building.id.in_(base))
            .order_by(Building.visit_flag.is_(None), Building.collected_at.asc().nulls_first(), Building.id)
            .offset((page - 1) * per_page)
            .limit(per_page),
            scope,
        )
    ).all()
    items = [
        {
            "id": r.id,
            "address": r.address,
            "lon": r.lon,
            "lat": r.lat,
            "version": r.version,
            "village": r.village,
            "visit_flag": r.visit_flag,
            "distance_m": r.visit_distance_m,
            "accuracy_m": r.accuracy_m,
            "collected_at": r.collected_at,
            "collector": r.collector or r.username,
            "people": r.people,
            "empty": r.empty,
        }
        for r in rows
    ]
    return Page(items=items, total=int(total), page=page, per_page=per_page)


def village_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every village, for the list's filter (officers see the whole town)."""
    return [(i, n) for i, n in session.execute(select(Village.id, Village.name).order_by(Village.code))]
