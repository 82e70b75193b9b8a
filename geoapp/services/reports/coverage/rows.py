"""The rows: one per village in the caller's scope, the station's and the total's, with
their rates, stages, funding and penalty (``coverage``, ``coverage_kinds``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.calendar import Campaign
from geoapp.domain.errors import Forbidden, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import (
    DEADLINE_RULE_DEFINITIONS,
    DEFINITIONS,
    JUDGED_KINDS,
    KINDS,
    Deadline,
    KindRates,
    accuracy_rate,
    beijing_today,
    collection_rate,
    judge,
    stage_status,
    timeliness,
)
from geoapp.domain.roles import Role, Scope
from geoapp.services.reports.coverage.figures import _aggregate
from geoapp.services.reports.coverage.model import (
    _COUNTS,
    STATION_CODE,
    TOTAL_CODE,
    TOTAL_NAME,
    Coverage,
    Row,
    _Counts,
    _Cutoffs,
)
from geoapp.store.models import Village


def _check_args(scope: Scope, kinds: Iterable[str]) -> None:
    if scope.role == Role.REPORTER:
        raise Forbidden(N_("Coverage is for the villages and the town; a unit reporter has no village."))
    for kind in kinds:
        if kind not in KINDS:
            raise InvalidInput(
                N_("%(field)s must be one of houses, people, units, households; got %(value)s."),
                field="kind",
                value=str(kind)[:40],
            )


def _villages(session: Session, scope: Scope):
    stmt = select(
        Village.id, Village.code, Village.name, Village.task_people, Village.task_houses, Village.task_units
    ).order_by(Village.code)
    if scope.role == Role.COLLECTOR:
        stmt = stmt.where(Village.id == scope.village_id)
    return session.execute(stmt).all()


def _task(village, kind: str) -> int:
    return {"houses": village.task_houses, "people": village.task_people, "units": village.task_units}.get(
        kind, 0
    )


def _deadlines(campaign: Campaign, at_deadlines: Sequence[int]) -> list[Deadline]:
    return [
        Deadline(stage.end, stage.target, at_deadlines[k])
        for k, stage in enumerate(campaign.collection_stages)
    ]


def _counts(campaign: Campaign, cut: _Cutoffs, task: int, raw: dict | None, households: int) -> _Counts:
    raw = raw or {}
    collected = raw.get("collected") or [0] * len(cut.moments)
    at_deadlines = tuple(0 if i is None else collected[i] for i in cut.deadline_index)
    tl = timeliness(task, _deadlines(campaign, at_deadlines), cut.as_of, campaign.deadline_rule)
    return _Counts(
        task,
        collected[0],
        *(raw.get(key, 0) for key in _COUNTS),
        at_deadlines=at_deadlines,
        on_time=tl.on_time,
        due=tl.due,
        households=households,
    )


def _row(campaign, cut, counts: _Counts, *, code, name, village_id=None, funding=None, penalty=None) -> Row:
    deadlines = _deadlines(campaign, counts.at_deadlines)
    stages = [stage_status(counts.task, d, cut.as_of, counts.collected) for d in deadlines]
    return Row(
        code=code,
        name=name,
        task=counts.task,
        collected=counts.collected,
        verified=counts.verified,
        returned=counts.returned,
        flagged=counts.flagged,
        collection_rate=collection_rate(counts.collected, counts.task),
        timeliness_rate=counts.on_time / counts.due if counts.due else None,
        accuracy_rate=accuracy_rate(counts.passed, counts.checked),
        stage1=stages[0].value if stages[0] else None,
        stage2=stages[1].value if stages[1] else None,
        households=counts.households,
        funding_yuan=funding,
        penalty_points=penalty,
        village_id=village_id,
    )


def _sum_optional(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) or not values else sum(values)


def definitions(campaign: Campaign) -> dict[str, str]:
    """The figures' definitions (msgids), with the campaign's deadline rule."""
    return {**DEFINITIONS, "deadline_rule": DEADLINE_RULE_DEFINITIONS[campaign.deadline_rule]}


def coverage_kinds(
    session: Session,
    scope: Scope,
    campaign: Campaign,
    *,
    kinds: Sequence[str] = KINDS,
    as_of: date,
    today: date | None = None,
) -> dict[str, Coverage]:
    """``coverage`` for several kinds at once (one query). ``today`` (default: today in
    Beijing) decides whether as_of's end is still ahead, when the current state is exact."""
    _check_args(scope, kinds)
    as_of = campaign.cap(as_of)
    cut = _Cutoffs.of(campaign, as_of, today or beijing_today())
    decided = as_of >= campaign.stage2_end  # funding and the penalty judge people and houses
    needed = list(dict.fromkeys([*kinds, *(JUDGED_KINDS if decided else ())]))
    raw = _aggregate(session, scope, needed, cut)
    villages = _villages(session, scope)
    per_village: dict[int, dict[str, _Counts]] = {}
    judged: dict[int, tuple[int | None, int | None]] = {}
    for v in villages:
        got = raw.get(v.id, {})
        households = got.get("households", {}).get("collected", [0])[0]  # always counted
        per_village[v.id] = {k: _counts(campaign, cut, _task(v, k), got.get(k), households) for k in needed}
        rates = [
            KindRates(
                per_village[v.id][k].on_time / per_village[v.id][k].due if per_village[v.id][k].due else None,
                accuracy_rate(per_village[v.id][k].passed, per_village[v.id][k].checked),
            )
            for k in (JUDGED_KINDS if decided else ())
        ]
        j = judge(campaign, as_of, rates, households)
        judged[v.id] = (j.funding_yuan, j.penalty_points)
    defs = definitions(campaign)
    out = {}
    for kind in kinds:
        rows = [
            _row(
                campaign,
                cut,
                per_village[v.id][kind],
                code=v.code,
                name=v.name,
                village_id=v.id,
                funding=judged[v.id][0],
                penalty=judged[v.id][1],
            )
            for v in villages
        ]
        total_counts = sum((per_village[v.id][kind] for v in villages), _Counts())
        total = _row(
            campaign,
            cut,
            total_counts,
            code=TOTAL_CODE,
            name=TOTAL_NAME,
            funding=_sum_optional([judged[v.id][0] for v in villages]),
            penalty=_sum_optional([judged[v.id][1] for v in villages]),
        )
        station_counts = _station_counts(campaign, cut, kind, total_counts)
        station = _row(campaign, cut, station_counts, code=STATION_CODE, name=campaign.station_name)
        out[kind] = Coverage(kind, as_of, defs, rows, station, total)
    return out


def _station_counts(campaign: Campaign, cut: _Cutoffs, kind: str, total: _Counts) -> _Counts:
    """The station: the total's counts; for units its own task besides the villages'."""
    if kind != "units" or campaign.station_task_units == 0:
        return total
    task = total.task + campaign.station_task_units
    tl = timeliness(task, _deadlines(campaign, total.at_deadlines), cut.as_of, campaign.deadline_rule)
    return replace(total, task=task, on_time=tl.on_time, due=tl.due)


def coverage(
    session: Session, scope: Scope, campaign: Campaign, *, kind: str, as_of: date, today: date | None = None
) -> Coverage:
    """Coverage of one kind by village, for the station and in total, as of the end of a day."""
    return coverage_kinds(session, scope, campaign, kinds=(kind,), as_of=as_of, today=today)[kind]
