"""An officer checks a collected house: verifies it, or returns it with a reason.

The move is checked against the status rules (only officers and administrators
may verify or return), against the version the officer looked at (someone may
have resubmitted meanwhile), and, for a house whose visit proof was flagged,
against an explicit "I checked the visit" from the officer: a flagged record is
never counted as verified until someone has looked at it.

Besides one house at a time: the review list (search by address, one collector's
submissions), what changed in a house since its last check (from the audit
trail), and bulk verification of one collector's unflagged submissions, all or
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.clock import utc_iso
from geoapp.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from geoapp.domain.house_changes import CHANGE_ACTIONS, CHECKS, summarise
from geoapp.domain.i18n import N_
from geoapp.domain.parallel import revision
from geoapp.domain.requests import BulkVerifyIn, ReviewIn
from geoapp.domain.reviewing import MAX_REASON, RETURN_REASONS, compose_reason
from geoapp.domain.roles import REVIEW_ROLES, Scope
from geoapp.domain.status import Status, check_transition
from geoapp.domain.validators import clean_choice, clean_text
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import scoped, village_filter, visible_building
from geoapp.services.campaign.people import Page
from geoapp.store.models import AuditEvent, Building, Revisit, Street, Unit, User, Village, Visit
from geoapp.store.versioning import check_version

ACTIONS = {"verify": Status.VERIFIED, "return": Status.RETURNED}
LIST_STATUSES = ("collected", "verified", "returned", "all")
MAX_QUERY = 50


def return_reason(
    text: str | None, code: str | None, labels: Mapping[str, str] = RETURN_REASONS, *, what: str = "house"
) -> str:
    """The reason a collector reads: a common reason (``code``, shown with ``labels``, the
    station's language) and/or the officer's own words; one of them is required."""
    code = clean_choice(code, list(RETURN_REASONS), field="reason_code", required=False)
    typed = clean_text(text, field="reason", max_length=MAX_REASON)
    reason = compose_reason(labels.get(code) if code else None, typed)
    if not reason:
        raise InvalidInput(
            N_("%(field)s is required when returning a house: say what the collector must correct.")
            if what == "house"
            else N_("%(field)s is required when a re-visit finds the record wrong: say what is wrong."),
            field="reason",
        )
    return reason[: MAX_REASON + 200]


def apply_check(
    session: Session,
    scope: Scope,
    building: Building,
    target: Status,
    reason: str | None,
    *,
    note: dict | None = None,
) -> dict:
    """Verify or return ``building`` (already checked against the rules) and audit it."""
    before = {
        "status": building.status,
        "return_reason": building.return_reason,
        "visit_flag": building.visit_flag,
        "version": building.version,
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
            **(note or {}),
            "revision": revision(before["version"], building.version, ("status", "return_reason")),
        },
    )
    return {
        "building_id": building.id,
        "status": building.status,
        "version": building.version,
        "return_reason": building.return_reason,
    }


def _refuse_own(building: Building, scope: Scope) -> None:
    if building.submitted_by == scope.user_id:
        raise Forbidden(
            N_(
                "You submitted this house yourself: another officer verifies it (核对 is a second person's check)."
            )
        )


def review_house(
    session: Session,
    scope: Scope,
    building_id: int,
    review: ReviewIn,
    *,
    reason_labels: Mapping[str, str] = RETURN_REASONS,
) -> dict:
    """Verify or return one house; returns its new status and version.

    ``reason_labels``: the common reasons as the collector will read them (the web
    layer passes them translated into the station's language)."""
    target = ACTIONS[review.action]
    reason = None
    if target == Status.RETURNED:
        reason = return_reason(review.reason, review.reason_code, reason_labels)
    building = visible_building(session, scope, building_id)
    check_transition(building.status, target, scope.role)
    check_version(building, review.version, label="house")
    if target == Status.VERIFIED:
        _refuse_own(building, scope)
    if target == Status.VERIFIED and building.visit_flag and review.visit_checked is not True:
        raise InvalidInput(
            N_(
                "%(field)s: the visit proof of this house was flagged (far away, imprecise or without a position); "
                "confirm that you checked the visit before verifying the house."
            ),
            field="visit_checked",
        )
    note = {"reason_code": review.reason_code} if target == Status.RETURNED and review.reason_code else None
    return apply_check(session, scope, building, target, reason, note=note)


def _collector(session: Session, username: str, field: str = "collector") -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise InvalidInput(N_("%(field)s: there is no user %(name)s."), field=field, name=username[:60])
    return user


def bulk_verify(session: Session, scope: Scope, body: BulkVerifyIn) -> dict:
    """Verify several houses one collector submitted, none flagged, in one transaction.

    All or nothing: each house must be in the caller's scope, collected (awaiting
    verification), submitted last by that collector, not by the caller, unflagged,
    and at the version the officer saw; the first house that is not refuses the whole
    request and nothing changes. Each verified house gets its own audit event."""
    if scope.role not in REVIEW_ROLES:
        raise Forbidden(N_("Your role may not use this page."))
    collector = _collector(session, body.collector)
    if collector.id == scope.user_id:
        raise Forbidden(
            N_(
                "You submitted these houses yourself: another officer verifies them (核对 is a second person's check)."
            )
        )
    ids = [item.id for item in body.items]
    if len(set(ids)) != len(ids):
        raise InvalidInput(N_("%(field)s: each house may be listed once."), field="items")
    found = {
        b.id: b
        for b in session.scalars(
            scoped(select(Building).where(Building.id.in_(ids)), scope).order_by(Building.id)
        )
    }
    for item in body.items:
        b = found.get(item.id)
        if b is None:
            raise NotFound(N_("House %(id)s does not exist."), id=item.id)
        if b.status != Status.COLLECTED.value:
            raise Conflict(
                N_("%(address)s is no longer awaiting verification: reload the list; nothing was verified."),
                address=b.address,
            )
        if b.visit_flag:
            raise Conflict(
                N_(
                    "%(address)s has a flagged visit: check it on its own in the review panel; nothing was verified."
                ),
                address=b.address,
            )
        if b.submitted_by != collector.id:
            raise Conflict(
                N_("%(address)s was not submitted by %(name)s: reload the list; nothing was verified."),
                address=b.address,
                name=collector.username,
            )
        _refuse_own(b, scope)
        if item.version != b.version:
            raise Conflict(
                N_(
                    "%(address)s was changed after you looked at it: reload the list and check it again; "
                    "nothing was verified."
                ),
                address=b.address,
            )
    note = {"bulk": True, "collector": collector.username}
    items = [apply_check(session, scope, found[i], Status.VERIFIED, None, note=note) for i in ids]
    return {"verified": len(items), "collector": collector.username, "items": items}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def review_queue(
    session: Session,
    scope: Scope,
    *,
    village_id: int | None = None,
    flagged_only: bool = False,
    unflagged_only: bool = False,
    collector: str | None = None,
    query: str | None = None,
    status: str = "collected",
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Houses awaiting verification (or of another status): flagged visits first, then the
    oldest submissions. ``query`` searches the address; ``collector`` (a user name) keeps
    the houses that user submitted last.

    Each item carries the latest visit's collector, time and proof, so an officer
    sees at a glance which records need a closer look."""
    village_id = village_filter(session, scope, village_id)
    status = clean_choice(status or "collected", LIST_STATUSES, field="status")
    query = clean_text(query, field="q", max_length=MAX_QUERY)
    latest = (
        select(Visit.building_id, func.max(Visit.id).label("visit_id")).group_by(Visit.building_id).subquery()
    )
    base = scoped(select(Building.id), scope)
    if status != "all":
        base = base.where(Building.status == status)
    if village_id is not None:
        base = base.where(Building.village_id == village_id)
    if flagged_only:
        base = base.where(Building.visit_flag.is_not(None))
    if unflagged_only:
        base = base.where(Building.visit_flag.is_(None))
    if collector:
        base = base.where(Building.submitted_by == _collector(session, collector).id)
    if query:
        base = base.where(Building.address.like(_like(query), escape="\\"))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    submitter = User.__table__.alias("submitter")
    rows = session.execute(
        scoped(
            select(
                Building.id,
                Building.address,
                Building.lon,
                Building.lat,
                Building.version,
                Building.status,
                Building.visit_flag,
                Building.visit_distance_m,
                Building.collected_at,
                Building.submitted_by,
                Village.name.label("village"),
                User.username,
                User.name.label("collector"),
                submitter.c.username.label("submitter"),
                Visit.accuracy_m,
                Visit.people,
                Visit.empty,
            )
            .join(Village, Village.id == Building.village_id)
            .outerjoin(latest, latest.c.building_id == Building.id)
            .outerjoin(Visit, Visit.id == latest.c.visit_id)
            .outerjoin(User, User.id == Visit.user_id)
            .outerjoin(submitter, submitter.c.id == Building.submitted_by)
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
            "status": r.status,
            "village": r.village,
            "visit_flag": r.visit_flag,
            "distance_m": r.visit_distance_m,
            "accuracy_m": r.accuracy_m,
            "collected_at": r.collected_at,
            "collector": r.collector or r.username,
            "submitted_by": r.submitter,  # user name of whoever submitted it last
            "self_submitted": r.submitted_by is not None and r.submitted_by == scope.user_id,
            "people": r.people,
            "empty": r.empty,
        }
        for r in rows
    ]
    return Page(items=items, total=int(total), page=page, per_page=per_page)


def village_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every village, for the list's filter (officers see the whole town)."""
    return [(i, n) for i, n in session.execute(select(Village.id, Village.name).order_by(Village.code))]


def collector_choices(session: Session) -> list[tuple[str, str]]:
    """(user name, name) of everyone who submitted a house now awaiting verification."""
    stmt = (
        select(User.username, User.name)
        .where(User.id.in_(select(Building.submitted_by).where(Building.status == Status.COLLECTED.value)))
        .order_by(User.username)
    )
    return [(u, n or u) for u, n in session.execute(stmt)]


# -- what changed since the last check ------------------------------------------------------


def _loads(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def changes_since_check(session: Session, scope: Scope, building_id: int) -> dict:
    """The net changes of a house's submissions and edits since its last check
    (``house.verify``/``house.return``), from the audit trail; everything recorded when
    it was never checked.

    ``last_check``: {"action", "at", "actor", "reason"} or None; ``since``: the events
    folded, oldest first ({"action", "at", "actor"}); then ``domain.house_changes``'
    summary (house fields, people added/removed/changed, masked as recorded)."""
    building = visible_building(session, scope, building_id)
    events = session.execute(
        select(AuditEvent.action, AuditEvent.at, AuditEvent.actor, AuditEvent.changes)
        .where(
            AuditEvent.object_type == "building",
            AuditEvent.object_id == str(building.id),
            AuditEvent.action.in_((*CHANGE_ACTIONS, *CHECKS)),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    last = max((i for i, e in enumerate(events) if e.action in CHECKS), default=None)
    since = events if last is None else events[last + 1 :]
    last_check = None
    if last is not None:
        check = events[last]
        reason = _loads(check.changes).get("return_reason")
        last_check = {
            "action": check.action,
            "at": utc_iso(check.at),
            "actor": check.actor,
            "reason": reason[1] if isinstance(reason, list) and len(reason) == 2 else None,
        }
    elif building.first_checked_at is not None:  # checked before the audit trail (imported, demo data)
        last_check = {"action": None, "at": utc_iso(building.verified_at or building.first_checked_at),
                      "actor": None, "reason": None}  # fmt: skip
    summary = summarise((e.action, _loads(e.changes)) for e in since)
    return {
        "last_check": last_check,
        "since": [{"action": e.action, "at": utc_iso(e.at), "actor": e.actor} for e in since],
        **summary.to_dict(),
    }


def people_named(changes: dict) -> int:
    """How many people a ``changes_since_check`` answer names (charged to the reader)."""
    return len(changes["added"]) + len(changes["removed"]) + len(changes["changed"])


# -- the review panel ----------------------------------------------------------------------------


def review_info(session: Session, scope: Scope, building_id: int) -> dict:
    """Everything the review panel shows besides the people (``layers.building_detail``
    lists them, masked and charged): the house, its latest visit proof, what changed
    since the last check, and its re-visit tasks."""
    if scope.role not in REVIEW_ROLES:
        raise Forbidden(N_("Your role may not use this page."))
    b = visible_building(session, scope, building_id)
    village = session.scalar(select(Village.name).where(Village.id == b.village_id))
    street = session.scalar(select(Street.name).where(Street.id == b.street_id)) if b.street_id else None
    visit = session.execute(
        select(Visit, User.username, User.name)
        .outerjoin(User, User.id == Visit.user_id)
        .where(Visit.building_id == b.id)
        .order_by(Visit.id.desc())
        .limit(1)
    ).first()
    submitter = (
        session.scalar(select(User.username).where(User.id == b.submitted_by)) if b.submitted_by else None
    )
    revisits = session.execute(
        select(Revisit, User.username)
        .outerjoin(User, User.id == Revisit.decided_by)
        .where(Revisit.building_id == b.id)
        .order_by(Revisit.id.desc())
    ).all()
    proof = None
    if visit is not None:
        v, username, name = visit
        proof = {
            "submitted_at": utc_iso(v.submitted_at),
            "device_time": utc_iso(v.device_time),
            "distance_m": None if v.distance_m is None else round(v.distance_m, 1),
            "accuracy_m": v.accuracy_m,
            "flag": v.flag,
            "empty": v.empty,
            "people": v.people,
            "collector": username,
            "collector_name": name or username,
        }
    return {
        "house": {
            "id": b.id,
            "address": b.address,
            "village": village,
            "street": street,
            "door_no": b.door_no,
            "use": b.use,
            "floors": b.floors,
            "status": b.status,
            "version": b.version,
            "return_reason": b.return_reason,
            "visit_flag": b.visit_flag,
            "visit_distance_m": b.visit_distance_m,
            "collected_at": utc_iso(b.collected_at),
            "verified_at": utc_iso(b.verified_at),
            "lon": b.lon,
            "lat": b.lat,
        },
        "visit": proof,
        "submitted_by": submitter,
        "self_submitted": b.submitted_by is not None and b.submitted_by == scope.user_id,
        "changes": changes_since_check(session, scope, b.id),
        "revisits": [
            {
                "id": r.id,
                "sample_id": r.sample_id,
                "status": r.status,
                "version": r.version,
                "reason": r.reason,
                "decided_at": utc_iso(r.decided_at),
                "decided_by": decided_by,
            }
            for r, decided_by in revisits
        ],
    }
