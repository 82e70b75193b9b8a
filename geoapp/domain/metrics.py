"""The work plan's measures, defined once: rates, stage status, funding and penalty.

Plain functions of counts and dates (no database): the coverage service counts
records as they stood at the end of a day and calls these; the leaders' page and
the workbook show ``DEFINITIONS`` next to the figures.

Conventions:
- a rate is a fraction 0..1, or ``None`` where it is undefined (a task of 0,
  nothing due yet, nothing checked yet);
- a day is China's day (Beijing time, UTC+8); stored times are naive UTC, and
  "as of day D" means "at the end of D in Beijing" (``day_end_utc``);
- a deadline has passed as of D when D is the deadline's day or later.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from geoapp.domain.calendar import Campaign, DeadlineRule
from geoapp.domain.i18n import N_

BEIJING = timedelta(hours=8)  # China Standard Time, no daylight saving

KINDS = ("houses", "people", "units", "households")
KIND_LABELS: dict[str, str] = {
    "houses": N_("Houses"),
    "people": N_("People"),
    "units": N_("Units"),
    "households": N_("Households"),
}
# A village's two tasks (实有人口, 实有房屋): funding and the penalty judge both.
JUDGED_KINDS = ("houses", "people")


class StageStatus(StrEnum):
    MET = "met"
    MISSED = "missed"
    OPEN = "open"


STAGE_STATUS_LABELS: dict[StageStatus, str] = {
    StageStatus.MET: N_("Met"),
    StageStatus.MISSED: N_("Missed"),
    StageStatus.OPEN: N_("Open"),
}

DEFINITIONS: dict[str, str] = {
    "task": N_(
        "Task: the number of records the work plan gives the village (people, houses) or the station "
        "(units: its own 400; people and houses: the villages' records it enters). The plan sets no "
        "task for households."
    ),
    "collected": N_(
        "Collected: records currently collected or verified. A record returned for correction does not "
        "count until it is submitted again; a record returned and resubmitted counts once."
    ),
    "verified": N_("Verified: records an officer has checked and accepted (核对)."),
    "returned": N_("Returned: records sent back for correction and not yet submitted again."),
    "flagged": N_(
        "Flagged: collected records whose latest visit was made far from the house, with an imprecise "
        "position or without one, not yet checked by an officer. They count as collected but never as verified."
    ),
    "collection_rate": N_(
        "Collection rate (采集率) = collected / task, at most 1; undefined when the task is 0."
    ),
    "timeliness_rate": N_(
        "Timeliness rate (及时率) = records collected by the deadline of the stage in which they were due / "
        "records due by the as-of date; undefined until a deadline has passed. When a record is due is set "
        "by the deadline rule in the campaign settings; people and households are collected with their house, "
        "at its first submission."
    ),
    "accuracy_rate": N_(
        "Accuracy rate (准确率) = records that passed verification at their first check / records checked; "
        "undefined until something is checked. Flagged visits not yet checked count as unverified. A record "
        "that a re-visit of the random sample found wrong counts as a failed check from the re-visit on, even "
        "if it passed its first check; a confirmed re-visit changes nothing."
    ),
    "stage": N_(
        "Stage status: met when the stage's target share of the task was first submitted by its deadline "
        "and still counts as collected (before the deadline: as soon as that share is collected); missed when "
        "the deadline passed short of it; open until then."
    ),
    "households": N_("Households: households registered in the collected houses."),
    "funding": N_(
        "Funding: the funding rate per household collected, for a village that finished on time (timeliness "
        "at or above the on-time threshold for people and houses) with quality (accuracy at or above the "
        "quality threshold); 0 otherwise. Decided from the stage 2 deadline on; undefined before."
    ),
    "penalty": N_(
        "Penalty: points taken in the year-end assessment from a village that finished late and with low "
        "quality (below both thresholds); its funding is cut too. Decided from the stage 2 deadline on."
    ),
    "as_of": N_(
        "As of: every figure as it stood at the end of that day (Beijing time), from the records' history."
    ),
}
DEADLINE_RULE_DEFINITIONS: dict[DeadlineRule, str] = {
    DeadlineRule.STAGED: N_(
        "Deadline rule “by stage”: the records are taken in the order they were first submitted; the first "
        "stage-1-target share of the task is due by the stage 1 deadline, the rest up to the stage 2 target by "
        "the stage 2 deadline. A record is on time when it counts as collected and was first submitted by the "
        "end of its stage's deadline day."
    ),
    DeadlineRule.FINAL: N_(
        "Deadline rule “at the end”: the whole task (its stage 2 target share) is due by the stage 2 "
        "deadline; a record is on time when it counts as collected and was first submitted by then."
    ),
}


# -- days ---------------------------------------------------------------------------------


def day_end_utc(day: date) -> datetime:
    """The end of ``day`` in Beijing as a naive UTC time: stored times before it are "by that day"."""
    return datetime.combine(day + timedelta(days=1), time()) - BEIJING


def stage_deadlines_utc(campaign: Campaign) -> list[datetime]:
    """The end of each collection stage's last day, as naive UTC times, in stage order."""
    return [day_end_utc(stage.end) for stage in campaign.collection_stages]


def beijing_date(moment: datetime) -> date:
    """The Beijing day of a naive UTC time (or of an aware one)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment + BEIJING).date()


def beijing_today(now: datetime | None = None) -> date:
    return beijing_date(now or datetime.now(UTC))


# -- rates --------------------------------------------------------------------------------


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is 0."""
    return numerator / denominator if denominator > 0 else None


def collection_rate(collected: int, task: int) -> float | None:
    """collected / task, at most 1 (a village may find more records than its task)."""
    value = rate(collected, task)
    return None if value is None else min(1.0, value)


def due_by(target: float, task: int) -> int:
    """Records due for a stage's cumulative target: 60 % of 637 is 382.2, so 383."""
    return math.ceil(target * task - 1e-9)


@dataclass(frozen=True)
class Deadline:
    """A collection stage as the timeliness rule reads it."""

    end: date
    target: float  # cumulative share of the task due by ``end``
    # Records collected by the end of ``end``: counted as collected (as of the as-of date) and
    # first submitted by then; 0 while the deadline is ahead.
    collected: int


@dataclass(frozen=True)
class Timeliness:
    on_time: int
    due: int

    @property
    def rate(self) -> float | None:
        return rate(self.on_time, self.due)


def timeliness(task: int, deadlines: Sequence[Deadline], as_of: date, rule: DeadlineRule) -> Timeliness:
    """Records collected on time and records due as of ``as_of`` (the deadlines passed by then).

    ``staged``: with the records ranked in the order they were first submitted, those of
    rank ``(due of the previous stage, due of this stage]`` are due by this stage's
    deadline; the ones of them collected by then are those whose rank is within what had
    been collected by then: ``max(0, min(collected, due) − previous due)``.
    ``final``: only the last stage counts: ``min(collected by its deadline, its due)``.
    """
    passed = [d for d in deadlines if d.end <= as_of]
    if not passed or task <= 0:
        return Timeliness(0, 0)
    if rule == DeadlineRule.FINAL:
        if len(passed) < len(deadlines):
            return Timeliness(0, 0)
        last = deadlines[-1]
        due = due_by(last.target, task)
        return Timeliness(min(last.collected, due), due)
    on_time, previous = 0, 0
    for d in passed:
        due = max(previous, due_by(d.target, task))
        on_time += max(0, min(d.collected, due) - previous)
        previous = due
    return Timeliness(on_time, previous)


def accuracy_rate(passed_first_check: int, checked: int) -> float | None:
    """Records that passed verification at their first check / records checked."""
    return rate(passed_first_check, checked)


def stage_status(task: int, deadline: Deadline, as_of: date, collected_now: int) -> StageStatus | None:
    """``met``, ``missed`` or ``open`` as of a day; None when there is no task to judge."""
    if task <= 0:
        return None
    need = due_by(deadline.target, task)
    if deadline.end <= as_of:
        return StageStatus.MET if deadline.collected >= need else StageStatus.MISSED
    return StageStatus.MET if collected_now >= need else StageStatus.OPEN


# -- funding and penalty ------------------------------------------------------------------


@dataclass(frozen=True)
class KindRates:
    """One judged kind's figures for funding: its timeliness and accuracy rates."""

    timeliness: float | None
    accuracy: float | None


@dataclass(frozen=True)
class Judgement:
    decided: bool
    on_time: bool
    with_quality: bool
    funding_yuan: int | None
    penalty_points: int | None


def judge(campaign: Campaign, as_of: date, kinds: Sequence[KindRates], households: int) -> Judgement:
    """The plan's rule (§六(三)): funded per household when on time with quality; funding cut
    and points taken when late with low quality; neither otherwise.

    - on time: every judged kind with something due has a timeliness rate at or above
      ``on_time_threshold`` (a kind with nothing due does not count against it);
    - with quality: at least one judged kind was checked, and every checked kind has an
      accuracy rate at or above ``quality_threshold`` (unchecked work proves no quality);
    - undecided (None) before the stage 2 deadline has passed.
    """
    timely = [k.timeliness for k in kinds if k.timeliness is not None]
    accurate = [k.accuracy for k in kinds if k.accuracy is not None]
    on_time = all(t >= campaign.on_time_threshold - 1e-9 for t in timely)
    with_quality = bool(accurate) and all(a >= campaign.quality_threshold - 1e-9 for a in accurate)
    if as_of < campaign.stage2_end:
        return Judgement(False, on_time, with_quality, None, None)
    funding = campaign.funding_yuan_per_household * households if on_time and with_quality else 0
    penalty = campaign.penalty_points if not on_time and not with_quality else 0
    return Judgement(True, on_time, with_quality, funding, penalty)
