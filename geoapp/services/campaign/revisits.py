"""Re-visits (复查): a reproducible random sample of submitted houses, visited again.

An officer or administrator draws a sample of a village's or a collector's houses
that are collected or verified (``domain/reviewing.py`` ``draw_sample``: the same
seed and the same houses give the same sample); each sampled house gets a re-visit
task. Someone other than the house's collector goes back and records the result:
confirmed, or found wrong with a reason. A wrong record is returned to its
collector with that reason and counts as a failed check in the accuracy rate from
then on (``Building.revisit_failed_at``, read by ``services/reports/coverage/``).
Every sample and every result is audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from geoapp.domain.clock import utc_iso
from geoapp.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.requests import RevisitResultIn, SampleIn
from geoapp.domain.reviewing import MAX_SEED, RETURN_REASONS, SAMPLED_STATUSES, RevisitResult, draw_sample
from geoapp.domain.roles import REVIEW_ROLES, Scope
from geoapp.domain.status import Status
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import scoped, visible_building
from geoapp.services.campaign.review import apply_check, return_reason
from geoapp.store.models import Building, Revisit, RevisitSample, User, Village
from geoapp.store.versioning import check_version


def _staff(scope: Scope) -> None:
    if scope.role not in REVIEW_ROLES:
        raise Forbidden(N_("Only police officers and administrators draw and record re-visits."))


def draw(session: Session, scope: Scope, body: SampleIn, *, seed: int | None = None) -> dict:
    """Draw ``body.size`` houses of one village or one collector and give each a re-visit task.

    The seed is the one sent, else a fresh random one; it is stored and returned, so
    anyone can draw the same sample again from the same houses."""
    _staff(scope)
    if (body.village is None) == (body.collector is None or not body.collector.strip()):
        raise InvalidInput(N_("%(field)s: choose a village or a collector (one of them)."), field="village")
    village = collector = None
    if body.village is not None:
        village = session.get(Village, body.village)
        if village is None:
            raise NotFound(N_("Village %(id)s does not exist."), id=body.village)
        clause, field = Building.village_id == village.id, "village"
    else:
        collector = session.scalar(select(User).where(User.username == body.collector.strip()))
        if collector is None:
            raise InvalidInput(
                N_("%(field)s: there is no user %(name)s."), field="collector", name=body.collector
            )
        clause, field = Building.submitted_by == collector.id, "collector"
    population = list(
        session.scalars(
            scoped(select(Building.id).where(clause, Building.status.in_(SAMPLED_STATUSES)), scope).order_by(
                Building.id
            )
        )
    )
    if not population:
        raise InvalidInput(N_("%(field)s has no collected or verified houses to sample yet."), field=field)
    if body.seed is not None:
        seed = body.seed
    elif seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    houses = draw_sample(population, body.size, seed)
    sample = RevisitSample(
        village_id=village.id if village else None,
        collector_id=collector.id if collector else None,
        seed=seed,
        size=len(houses),
        population=len(population),
        drawn_by=scope.user_id,
        drawn_at=utcnow(),
    )
    session.add(sample)
    session.flush()
    tasks = [Revisit(sample_id=sample.id, building_id=b, status=RevisitResult.PENDING.value) for b in houses]
    session.add_all(tasks)
    session.flush()
    audit.record_by(
        session,
        scope,
        "revisit.sample",
        object_type="revisit_sample",
        object_id=sample.id,
        changes={
            "village": village.name if village else None,
            "collector": collector.username if collector else None,
            "seed": seed,
            "size": len(houses),
            "population": len(population),
            "houses": houses,
        },
    )
    return {
        "id": sample.id,
        "seed": seed,
        "size": len(houses),
        "population": len(population),
        "village_id": sample.village_id,
        "collector": collector.username if collector else None,
        "houses": houses,
        "revisits": [{"id": t.id, "building_id": t.building_id} for t in tasks],
    }


def record_result(
    session: Session,
    scope: Scope,
    revisit_id: int,
    body: RevisitResultIn,
    *,
    reason_labels: Mapping[str, str] = RETURN_REASONS,
) -> dict:
    """Record a re-visit: confirmed, or wrong (the house is returned with the reason and
    counts as a failed check from now on)."""
    _staff(scope)
    revisit = session.get(Revisit, revisit_id)
    if revisit is None:
        raise NotFound(N_("Re-visit %(id)s does not exist."), id=revisit_id)
    building = visible_building(session, scope, revisit.building_id)
    check_version(revisit, body.version, label="re-visit")
    if revisit.status != RevisitResult.PENDING.value:
        raise Conflict(N_("This re-visit was already recorded: reload it."))
    if building.submitted_by is not None and building.submitted_by == scope.user_id:
        raise Forbidden(N_("You submitted this house yourself: someone else re-visits it."))
    wrong = body.result == RevisitResult.WRONG.value
    reason = return_reason(body.reason, body.reason_code, reason_labels, what="revisit") if wrong else None
    now = utcnow()
    revisit.status = body.result
    revisit.reason = reason
    revisit.reason_code = body.reason_code if wrong else None
    revisit.decided_by = scope.user_id
    revisit.decided_at = now
    returned = False
    if wrong:
        if building.revisit_failed_at is None:
            building.revisit_failed_at = now
        if building.status in (Status.COLLECTED.value, Status.VERIFIED.value):
            apply_check(session, scope, building, Status.RETURNED, reason, note={"revisit": revisit.id})
            returned = True
    session.flush()
    audit.record_by(
        session,
        scope,
        "revisit.result",
        object_type="revisit",
        object_id=revisit.id,
        changes={
            "building": building.id,
            "result": [RevisitResult.PENDING.value, revisit.status],
            "reason": reason,
            "reason_code": revisit.reason_code,
            "returned": returned,
        },
    )
    return {
        "id": revisit.id,
        "status": revisit.status,
        "version": revisit.version,
        "reason": reason,
        "building_id": building.id,
        "house_status": building.status,
        "house_version": building.version,
    }


def list_revisits(
    session: Session,
    scope: Scope,
    *,
    status: str | None = "pending",
    sample_id: int | None = None,
    limit: int = 200,
) -> list[dict]:
    """Re-visit tasks (newest samples first), with their houses."""
    _staff(scope)
    decider = User.__table__.alias("decider")
    stmt = (
        select(
            Revisit.id,
            Revisit.sample_id,
            Revisit.building_id,
            Revisit.status,
            Revisit.reason,
            Revisit.decided_at,
            Revisit.version,
            decider.c.username.label("decided_by"),
            Building.address,
            Building.status.label("house_status"),
            Building.lon,
            Building.lat,
            Village.name.label("village"),
        )
        .join(Building, Building.id == Revisit.building_id)
        .join(Village, Village.id == Building.village_id)
        .outerjoin(decider, decider.c.id == Revisit.decided_by)
    )
    if status:
        if status not in {r.value for r in RevisitResult}:
            raise InvalidInput(N_("%(field)s must be one of pending, confirmed, wrong."), field="status")
        stmt = stmt.where(Revisit.status == status)
    if sample_id is not None:
        stmt = stmt.where(Revisit.sample_id == sample_id)
    rows = session.execute(scoped(stmt, scope).order_by(Revisit.sample_id.desc(), Revisit.id).limit(limit))
    return [
        {
            "id": r.id,
            "sample_id": r.sample_id,
            "building_id": r.building_id,
            "address": r.address,
            "village": r.village,
            "house_status": r.house_status,
            "status": r.status,
            "reason": r.reason,
            "decided_at": utc_iso(r.decided_at),
            "decided_by": r.decided_by,
            "version": r.version,
            "lon": r.lon,
            "lat": r.lat,
        }
        for r in rows
    ]


def list_samples(session: Session, scope: Scope, *, limit: int = 20) -> list[dict]:
    """The latest samples with how many of their re-visits are pending, confirmed, wrong."""
    _staff(scope)
    counts = (
        select(
            Revisit.sample_id.label("sid"),
            *(func.sum(case((Revisit.status == r.value, 1), else_=0)).label(r.value) for r in RevisitResult),
        )
        .group_by(Revisit.sample_id)
        .subquery()
    )
    drawer = User.__table__.alias("drawer")
    collector = User.__table__.alias("collector")
    rows = session.execute(
        select(
            RevisitSample,
            Village.name.label("village"),
            collector.c.username.label("collector"),
            drawer.c.username.label("drawn_by"),
            *(func.coalesce(counts.c[r.value], 0).label(r.value) for r in RevisitResult),
        )
        .outerjoin(Village, Village.id == RevisitSample.village_id)
        .outerjoin(collector, collector.c.id == RevisitSample.collector_id)
        .outerjoin(drawer, drawer.c.id == RevisitSample.drawn_by)
        .outerjoin(counts, counts.c.sid == RevisitSample.id)
        .order_by(RevisitSample.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": row.RevisitSample.id,
            "village": row.village,
            "collector": row.collector,
            "seed": row.RevisitSample.seed,
            "size": row.RevisitSample.size,
            "population": row.RevisitSample.population,
            "drawn_by": row.drawn_by,
            "drawn_at": row.RevisitSample.drawn_at,
            **{r.value: int(getattr(row, r.value)) for r in RevisitResult},
        }
        for row in rows
    ]
