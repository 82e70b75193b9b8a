"""Submitting a house: its households, people and units, with the visit proof.

One submission is one transaction: the body's shape and every rule that needs no
database are checked first (``domain/submission.py``: all problems together,
nothing stored); then each part is stored by the module that owns it
(``households.py`` for households and people, ``house_units.py`` for units), as
far as the caller's role owns it: a unit reporter changes their own unit only.
The house becomes "collected" and a Visit keeps the proof and the answer. A retry
with the same client id gets that answer again and stores nothing twice; a house
submitted before needs the version the collector saw, and an old one is a conflict.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geoapp.config import Settings
from geoapp.domain import parallel
from geoapp.domain.errors import Conflict, InvalidInput, TooManyRequests
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope, mask_id_number, mask_phone
from geoapp.domain.status import Status, check_transition
from geoapp.domain.submission import CheckedSubmission, SubmissionIn, check_submission, require_content
from geoapp.domain.validators import Collector
from geoapp.domain.visits import assess_visit
from geoapp.services.accounts import audit, budget, throttle
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import visible_building
from geoapp.services.campaign.house_units import store_units
from geoapp.services.campaign.households import RegisteredElsewhere, registered_elsewhere, store_households
from geoapp.spatial.distance import metres_between
from geoapp.store.db import Database
from geoapp.store.models import AuditEvent, Building, Person, Unit, Visit
from geoapp.store.versioning import check_version


class ProbesOverBudget(TooManyRequests):
    """Too many ID numbers registered elsewhere were tried: refused, and still audited."""

    def __init__(self, exceeded: TooManyRequests, probes: list[dict]) -> None:
        self.probes = probes
        super().__init__(exceeded.template, retry_after_s=exceeded.retry_after_s, **exceeded.params)


def submit(database: Database, scope: Scope, settings: Settings, building_id: int, sub: SubmissionIn) -> dict:
    """Store a submission in one transaction. Numbers found registered outside the
    caller's scope are audited and charged to their people budget even when the
    submission is refused (in a transaction of their own).

    Two transactions racing on one house (the same submission resent while the first is
    being stored, on another thread or server process; or two people at once) cannot both
    win: the loser's write fails on the house's version or a unique key, and it is run once
    more, when it sees the winner's work: a replay of the same client id, or a parallel
    update merged or refused like any other."""
    try:
        try:
            with database.write() as session:
                return submit_house(session, scope, settings, building_id, sub)
        except (StaleDataError, IntegrityError):
            with database.write() as session:
                return submit_house(session, scope, settings, building_id, sub)
    except (RegisteredElsewhere, ProbesOverBudget) as exc:
        if exc.probes:
            with database.write() as session:
                record_probes(session, scope, settings, building_id, exc.probes)
        raise


def record_probes(
    session: Session, scope: Scope, settings: Settings, building_id: int, probes: list[dict]
) -> None:
    """Audit each hit on a number registered outside the caller's scope and charge it."""
    for probe in probes:
        audit.record_by(
            session,
            scope,
            "person.registered_elsewhere",
            object_type="building",
            object_id=building_id,
            changes=probe,
        )
    throttle.add(session, budget.people_allowances(session, scope, settings)[0].key, len(probes))


def submit_house(
    session: Session,
    scope: Scope,
    settings: Settings,
    building_id: int,
    sub: SubmissionIn,
    *,
    today: date | None = None,
) -> dict:
    """Validate and store one house's collection; returns the answer (also replayed on retries)."""
    earlier = session.scalar(select(Visit).where(Visit.client_id == sub.client_id))
    if earlier is not None:
        if earlier.building_id != building_id or earlier.user_id != scope.user_id:
            raise Conflict(N_("This submission id was already used for another house: reload the page."))
        return {**orjson.loads(earlier.response), "replayed": True}
    building = visible_building(session, scope, building_id)
    check_transition(building.status, Status.COLLECTED, scope.role)
    if building.status != Status.UNCOLLECTED.value and sub.version is None:
        raise InvalidInput(
            N_("%(field)s is required: this house was submitted before; send the version you saw, so that nobody's changes are overwritten."),
            field="version",
        )  # fmt: skip
    merge = _parallel_update(session, building, sub)
    base_version = building.version
    _unmask_kept_values(session, building.id, sub)
    checked = check_submission(sub, today or datetime.now(UTC).date())
    # On a house that moved on since the form was opened (a parallel update), only the parts
    # the collector changed apply: the others are what the form was opened with, someone
    # else's since. On the current version the whole form applies, as the collector sees it:
    # a part the phone failed to mark as changed is never dropped.
    parts = parallel.expand(sub.changed) if merge is not None else set(parallel.PARTS)
    whole = checked  # the whole form says who lives here, even when only some parts apply
    if "households" not in parts:
        checked = replace(checked, households=[], documents=set())
    reporter = scope.role == Role.REPORTER
    if reporter:
        _check_reporter_owns(sub, building, checked)
    _check_employers(session, checked)
    elsewhere = registered_elsewhere(
        session, scope, building, checked.households, checked.documents, set(sub.moves)
    )
    if elsewhere.probes:
        try:
            budget.check(session, budget.people_allowances(session, scope, settings), len(elsewhere.probes))
        except TooManyRequests as exc:
            raise ProbesOverBudget(exc, elsewhere.probes) from None
    elsewhere.raise_if_refused()
    require_content(whole, pending_moves=len(elsewhere.request))

    before = {"status": building.status, "people": _people_count(session, building.id)}
    if reporter:
        changes = {}
        if "units" in parts:
            changes["units"] = store_units(session, building, checked.units, replace=False, only_unit_id=scope.unit_id)  # fmt: skip
        becomes_collected = building.status != Status.UNCOLLECTED.value  # the households are the village's
    else:
        changes = {}
        if "households" in parts:
            changes = store_households(session, scope, building, checked.households, elsewhere)
        if "units" in parts:
            changes["units"] = store_units(session, building, checked.units, replace=sub.sends_units)
        attributes = {**checked.building, **({"use": "empty"} if checked.empty else {})}
        attributes = {k: v for k, v in attributes.items() if k in parts}
        house_changes = {
            k: [getattr(building, k), v] for k, v in attributes.items() if getattr(building, k) != v
        }
        for key, value in attributes.items():
            setattr(building, key, value)
        if house_changes:
            changes["building"] = house_changes
        becomes_collected = True
    if elsewhere.probes:
        record_probes(session, scope, settings, building.id, elsewhere.probes)

    proof = checked.proof
    distance = metres_between(proof.lon, proof.lat, building.geom) if proof.lat is not None else None
    flag = assess_visit(distance, proof.accuracy_m, settings.visit_max_distance_m)
    now = utcnow()
    building.updated_at = now
    if becomes_collected:
        building.status = Status.COLLECTED.value
        building.return_reason = None
        building.collected_at = now
        if building.first_collected_at is None:
            building.first_collected_at = now
        building.verified_at = None
        building.submitted_by = scope.user_id
        building.visit_flag = flag.value if flag else None
        building.visit_distance_m = round(distance, 1) if distance is not None else None
    session.flush()
    if "households" in parts:
        people = sum(len(h.members) for h in checked.households)
    else:
        people = _people_count(session, building.id)
    answer = {
        "building_id": building.id,
        "status": building.status,
        "version": building.version,
        "visit_flag": flag.value if flag else None,
        "distance_m": round(distance, 1) if distance is not None else None,
        "households": len(checked.households),
        "people": people - len(elsewhere.request),
        "pending_moves": len(elsewhere.request),
        "units": len(checked.units),
        "empty": checked.empty,
        "replayed": False,
    }
    session.add(
        Visit(
            client_id=sub.client_id,
            building_id=building.id,
            user_id=scope.user_id,
            submitted_at=now,
            device_time=proof.device_time,
            lat=proof.lat,
            lon=proof.lon,
            accuracy_m=proof.accuracy_m,
            distance_m=distance,
            flag=answer["visit_flag"],
            empty=checked.empty,
            people=answer["people"],
            response=orjson.dumps(answer).decode(),
        )
    )
    audit.record_by(
        session,
        scope,
        "house.submit",
        object_type="building",
        object_id=building.id,
        changes={
            "status": [before["status"], building.status],
            "people": [before["people"], answer["people"]],
            "visit_flag": answer["visit_flag"],
            "distance_m": answer["distance_m"],
            **changes,
            "revision": parallel.revision(
                base_version,
                building.version,
                parallel.submission_fields(changes, status_changed=before["status"] != building.status),
            ),
            **({"parallel": merge} if merge is not None else {}),
        },
    )
    return answer


REVISED = ("house.submit", "building.update", "house.verify", "house.return")


def revisions(session: Session, building_id: int) -> list[dict]:
    """The recorded revisions of a house (``domain/parallel.py``), oldest first."""
    rows = session.scalars(
        select(AuditEvent.changes)
        .where(
            AuditEvent.object_type == "building",
            AuditEvent.object_id == str(building_id),
            AuditEvent.action.in_(REVISED),
        )
        .order_by(AuditEvent.id)
    )
    out = []
    for raw in rows:
        data = orjson.loads(raw) if raw else None
        if isinstance(data, dict) and isinstance(data.get("revision"), dict):
            out.append(data["revision"])
    return out


def _parallel_update(session: Session, building: Building, sub: SubmissionIn) -> dict | None:
    """None when the submission is based on the current version (or on none); the
    parallel update's record when the house moved on only in parts the collector did
    not change; a ParallelConflict naming the parts both changed otherwise."""
    if sub.version is None or sub.version == building.version:
        return None
    if sub.changed is None or sub.version > building.version:
        check_version(building, sub.version, label="house")  # a whole form on an old version: refused
    theirs = parallel.changed_since(revisions(session, building.id), sub.version, building.version)
    clash = parallel.clashes(sub.changed, theirs)
    if clash and not sub.keep_mine:
        raise parallel.ParallelConflict(clash, building.version, sub.version)
    return {
        "base_version": sub.version,
        "version": building.version,
        "mine": sorted(parallel.expand(sub.changed)),
        "theirs": sorted(theirs),
        **({"kept_mine": clash} if clash else {}),
    }


def _check_reporter_owns(sub: SubmissionIn, building: Building, checked: CheckedSubmission) -> None:
    """A unit reporter registers their unit and its staff, nothing else of the building."""
    errors = Collector()
    if sub.sends_households or checked.empty:
        errors.errors.append(("households", InvalidInput(
            N_("%(field)s: a unit reporter registers their own unit and its staff; the village collector registers the households of the building."),
            field="households")))  # fmt: skip
    for name, value in checked.building.items():
        if name in sub.building.model_fields_set and value is not None and value != getattr(building, name):
            errors.errors.append((f"building.{name}", InvalidInput(
                N_("%(field)s: a unit reporter cannot change the building; ask the village collector."),
                field=name)))  # fmt: skip
    if not checked.units:
        errors.errors.append(("units", InvalidInput(
            N_("%(field)s: send your unit's details."), field="units")))  # fmt: skip
    errors.raise_if_any()


def _check_employers(session: Session, checked: CheckedSubmission) -> None:
    """An employer must be a registered unit (anywhere in the town)."""
    households = checked.households
    wanted = {m.employer_unit_id for h in households for m in h.members if m.employer_unit_id is not None}
    known = set(session.scalars(select(Unit.id).where(Unit.id.in_(wanted)))) if wanted else set()
    errors = Collector()
    for h, household in enumerate(households):
        for i, m in enumerate(household.members):
            if m.employer_unit_id is not None and m.employer_unit_id not in known:
                errors.errors.append(
                    (f"households[{h}].members[{i}].employer_unit_id",
                     InvalidInput(N_("%(field)s: there is no unit %(value)s."), field="employer_unit_id", value=m.employer_unit_id))
                )  # fmt: skip
    errors.raise_if_any()


def _unmask_kept_values(session: Session, building_id: int, sub: SubmissionIn) -> None:
    """The form shows stored ID numbers and phones masked; sent back unchanged, they keep their value."""
    stored = {p.id: p for p in session.scalars(select(Person).where(Person.building_id == building_id))}
    for household in sub.households or []:
        for member in household.members:
            person = stored.get(member.id) if member.id is not None else None
            if person is None:
                continue
            if member.id_number and member.id_number == mask_id_number(person.id_number):
                member.id_number = person.id_number
            if member.phone and member.phone == mask_phone(person.phone):
                member.phone = person.phone
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.building_id == building_id))}
    for raw in sub.units or []:
        unit = units.get(raw.id) if raw.id is not None else None
        if unit is not None and raw.phone and raw.phone == mask_phone(unit.phone):
            raw.phone = unit.phone


def _people_count(session: Session, building_id: int) -> int:
    return len(session.scalars(select(Person.id).where(Person.building_id == building_id)).all())
