"""Progress over time and the forecast, for the leaders' page (issue 9, part 4).

``forecasts(session, scope, campaign, *, kind, as_of, today=None, now=None) -> Forecasts``
    Per village, for the station and in total: the records collected as of ``as_of``
    and at the start of the pace window (``domain.forecast.pace_window``: the last 7
    days), both from ``coverage`` (the same figures the table shows; ``now``: the table
    as of ``as_of`` if the caller has it), and the day each reaches the stage 2 target at
    that pace (``domain.forecast.forecast``). ``GET /api/coverage?forecast=1`` sends it.
``progress(session, scope, campaign, *, kind, village_id=None, as_of) -> Progress``
    Collected records at the end of each day from the first day of collection to
    ``as_of`` (``coverage.progress_series``) for the town (town roles only) and for one
    village, with their tasks and the plan's stages (cumulative target shares by
    deadline), so that the chart draws the plan's line from the campaign's settings.

A collector's scope is their village: no town series, and no other village (NotFound).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.calendar import Campaign
from geoapp.domain.errors import NotFound
from geoapp.domain.forecast import Forecast, forecast, pace_window
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import beijing_today
from geoapp.domain.roles import Role, Scope

# _aggregate and _Cutoffs: the coverage module's own count by village at the end of a day (its
# docstring), used here for one kind only (the pace needs no rates).
from geoapp.services.reports.coverage import Coverage, Row, _Cutoffs, coverage, progress_series
from geoapp.services.reports.coverage.figures import _aggregate
from geoapp.store.models import Village

TASK_COLUMNS = {"houses": Village.task_houses, "people": Village.task_people, "units": Village.task_units}


@dataclass(frozen=True)
class ForecastRow:
    code: str
    village_id: int | None
    collected: int
    collected_before: int
    forecast: Forecast

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "village_id": self.village_id,
            "collected": self.collected,
            "collected_before": self.collected_before,
            **self.forecast.to_dict(),
        }


@dataclass(frozen=True)
class Forecasts:
    kind: str
    as_of: date
    window_start: date  # the pace window runs from the end of this day to the end of as_of
    window_days: int
    villages: list[ForecastRow]
    station: ForecastRow
    total: ForecastRow

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_days": self.window_days,
            "villages": [r.to_dict() for r in self.villages],
            "station": self.station.to_dict(),
            "total": self.total.to_dict(),
        }


def forecasts(
    session: Session,
    scope: Scope,
    campaign: Campaign,
    *,
    kind: str,
    as_of: date,
    today: date | None = None,
    now: Coverage | None = None,
) -> Forecasts:
    """Each row's forecast at the pace of the last 7 days up to ``as_of`` (capped to the campaign).
    ``now``: the coverage of ``kind`` as of ``as_of`` when the caller has it already."""
    if now is None or now.kind != kind or now.as_of != campaign.cap(as_of):
        now = coverage(session, scope, campaign, kind=kind, as_of=as_of, today=today)
    first, days = pace_window(now.as_of, campaign.collection_start)
    earlier = _collected_by_village(session, scope, campaign, kind, first, today)
    in_total = sum(earlier.get(r.village_id, 0) for r in now.villages)

    def row(r: Row) -> ForecastRow:
        # The station's and the total's counts are the villages' (coverage module docstring).
        collected_before = in_total if r.village_id is None else earlier.get(r.village_id, 0)
        f = forecast(
            task=r.task,
            target=campaign.stage2_target,
            deadline=campaign.stage2_end,
            as_of=now.as_of,
            collected=r.collected,
            collected_before=collected_before,
            window_days=days,
        )
        return ForecastRow(r.code, r.village_id, r.collected, collected_before, f)

    return Forecasts(
        kind, now.as_of, first, days, [row(r) for r in now.villages], row(now.station), row(now.total)
    )


def _collected_by_village(
    session: Session, scope: Scope, campaign: Campaign, kind: str, day: date, today: date | None
) -> dict[int, int]:
    """``collected`` per village id as ``coverage`` counts it at the end of ``day``: the
    coverage module's own count of that one kind, without the rows' other figures (rates,
    stages and the judged kinds for funding), which the pace does not need."""
    cut = _Cutoffs.of(campaign, campaign.cap(day), today or beijing_today())
    raw = _aggregate(session, scope, [kind], cut)
    return {village_id: kinds[kind]["collected"][0] for village_id, kinds in raw.items()}


@dataclass(frozen=True)
class Series:
    name: str
    task: int
    village_id: int | None
    code: str | None
    collected: list[int]  # one per day of ``Progress.days``

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "task": self.task,
            "village_id": self.village_id,
            "code": self.code,
            "collected": self.collected,
        }


@dataclass(frozen=True)
class Progress:
    kind: str
    as_of: date
    days: list[date]
    stages: list[tuple[date, float]]  # (deadline, cumulative target share), from the campaign
    collection_start: date
    town: Series | None  # town roles only
    village: Series | None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
            "collection_start": self.collection_start.isoformat(),
            "days": [d.isoformat() for d in self.days],
            "stages": [{"end": end.isoformat(), "target": target} for end, target in self.stages],
            "town": None if self.town is None else self.town.to_dict(),
            "village": None if self.village is None else self.village.to_dict(),
        }


TOWN_NAME = N_("Whole town")


def _town_task(session: Session, campaign: Campaign, kind: str) -> int:
    """The station row's task: the villages' tasks, and for units the station's own besides."""
    column = TASK_COLUMNS.get(kind)
    villages = 0 if column is None else int(session.scalar(select(func.coalesce(func.sum(column), 0))))
    return villages + (campaign.station_task_units if kind == "units" else 0)


def progress(
    session: Session,
    scope: Scope,
    campaign: Campaign,
    *,
    kind: str,
    village_id: int | None = None,
    as_of: date,
) -> Progress:
    """The town's and one village's collected records per day up to ``as_of`` (capped)."""
    as_of = campaign.cap(as_of)
    if scope.role == Role.COLLECTOR and village_id is None:
        village_id = scope.village_id
    village, days = None, []
    if village_id is not None:
        found = session.execute(
            select(Village.id, Village.name, Village.code, Village.task_houses, Village.task_people,
                   Village.task_units).where(Village.id == village_id)
        ).one_or_none()  # fmt: skip
        if found is None:
            raise NotFound(N_("Village %(id)s does not exist."), id=village_id)
        series = progress_series(session, scope, campaign, kind, village_id, until=as_of)  # NotFound outside
        task = {"houses": found.task_houses, "people": found.task_people, "units": found.task_units}.get(
            kind, 0
        )
        village = Series(found.name, task or 0, found.id, found.code, [n for _, n in series])
        days = [d for d, _ in series]
    town = None
    if scope.role != Role.COLLECTOR:
        series = progress_series(session, scope, campaign, kind, until=as_of)
        town = Series(TOWN_NAME, _town_task(session, campaign, kind), None, None, [n for _, n in series])
        days = [d for d, _ in series]
    stages = [(s.end, s.target) for s in campaign.collection_stages]
    return Progress(kind, as_of, days, stages, campaign.collection_start, town, village)
