"""An officer checks a collected house: verifies it, or returns it with a reason.

The move is checked against the status rules (only officers and administrators
may verify or return), against the version the officer looked at (someone may
have resubmitted meanwhile), and, for a house whose visit proof was flagged,
against an explicit "I checked the visit" from the officer: a flagged record is
never counted as verified until someone has looked at it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Scope
from geoapp.domain.status import Status, check_transition
from geoapp.domain.validators import clean_text
from geoapp.services import audit
from geoapp.services.audit import utcnow
from geoapp.services.scoping import visible_building
from geoapp.store.models import Unit
from geoapp.store.versioning import check_version

ACTIONS = {"verify": Status.VERIFIED, "return": Status.RETURNED}
MAX_REASON = 500


def _action(payload: dict) -> Status:
    action = payload.get("action")
    if action not in ACTIONS:
        raise InvalidInput(
            N_("%(field)s must be verify or return."),
            field="action",
        )
    return ACTIONS[action]


def _version(payload: dict) -> int:
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput(
            N_("%(field)s is required: send the version of the house you looked at."),
            field="version",
        )
    return version


def _reason(payload: dict) -> str:
    reason = clean_text(payload.get("reason"), field="reason", max_length=MAX_REASON)
    if not reason:
        raise InvalidInput(
            N_("%(field)s is required when returning a house: say what the collector must correct."),
            field="reason",
        )
    return reason


def review_house(session: Session, scope: Scope, building_id: int, payload: dict) -> dict:
    """Verify or return one house; returns its new status and version."""
    target = _action(payload)
    version = _version(payload)
    reason = _reason(payload) if target == Status.RETURNED else None
    building = visible_building(session, scope, building_id)
    check_transition(building.status, target, scope.role)
    check_version(building, version, label="house")
    if target == Status.VERIFIED and building.visit_flag and payload.get("visit_checked") is not True:
        raise InvalidInput(
            N_(
                "%(field)s: the visit proof of this house was flagged (far away or without a position); "
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
    audit.record(
        session,
        "house.verify" if target == Status.VERIFIED else "house.return",
        actor=scope.username,
        user_id=scope.user_id,
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
