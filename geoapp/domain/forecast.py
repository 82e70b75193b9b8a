"""When a village reaches its task at its recent pace (the leaders' forecast, issue 9).

Plain functions of counts and dates. The pace is what was collected over the last
``PACE_DAYS`` days up to the as-of date (from the end of day ``as_of − 7`` to the end
of ``as_of``), divided by those days; fewer days when collection started less than a
week before. At that pace, the records still missing to the target (the stage 2
target share of the task: 100 % by 06-30 in the work plan) are collected on the day
``as_of + ceil(missing / pace)``; the forecast says whether that day is on or before
the deadline. No pace (nothing collected in the window, or collection not started)
gives no date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from geoapp.domain.i18n import N_
from geoapp.domain.metrics import due_by

PACE_DAYS = 7
HORIZON_DAYS = 3650  # a pace that needs more than ten years gives no date (only "late")


class Outlook(StrEnum):
    REACHED = "reached"  # the target is already collected
    ON_TIME = "on_time"  # at the pace, reached on or before the deadline
    LATE = "late"  # at the pace, reached after the deadline
    STALLED = "stalled"  # no pace: no date


OUTLOOK_LABELS: dict[Outlook, str] = {
    Outlook.REACHED: N_("Reached"),
    Outlook.ON_TIME: N_("On time"),
    Outlook.LATE: N_("Late"),
    Outlook.STALLED: N_("No progress"),
}

DEFINITION = N_(
    "Forecast: at the pace of the last 7 days up to the as-of date (records collected in those days / 7), "
    "the day the village reaches the stage 2 target of its task, and whether that is by the stage 2 "
    "deadline. Without progress in those days there is no date."
)


@dataclass(frozen=True)
class Forecast:
    outlook: Outlook | None  # None: no task to reach
    need: int  # records the target asks for
    missing: int  # records still to collect for it (0 once reached)
    pace_per_day: float | None  # None before collection started
    # The day the target is reached at that pace; None if reached, stalled, or beyond HORIZON_DAYS.
    reach_date: date | None
    deadline: date

    @property
    def on_time(self) -> bool | None:
        """Reached, or reached by the deadline at the pace; None without a task."""
        if self.outlook is None:
            return None
        return self.outlook in (Outlook.REACHED, Outlook.ON_TIME)

    def to_dict(self) -> dict:
        return {
            "outlook": None if self.outlook is None else self.outlook.value,
            "need": self.need,
            "missing": self.missing,
            "pace_per_day": self.pace_per_day,
            "reach_date": None if self.reach_date is None else self.reach_date.isoformat(),
            "deadline": self.deadline.isoformat(),
            "on_time": self.on_time,
        }


def pace_window(as_of: date, collection_start: date, days: int = PACE_DAYS) -> tuple[date, int]:
    """The day whose end opens the pace window, and the window's length in days: the last
    ``days`` days up to ``as_of``, cut to the days since collection started (0 before it)."""
    first = max(as_of - timedelta(days=days), collection_start - timedelta(days=1))
    return first, max(0, (as_of - first).days)


def forecast(
    *,
    task: int,
    target: float,
    deadline: date,
    as_of: date,
    collected: int,
    collected_before: int,
    window_days: int,
) -> Forecast:
    """At the pace of the window (``collected − collected_before`` over ``window_days``),
    the day ``collected`` reaches ``target`` × ``task``, and whether that is by ``deadline``."""
    if task <= 0:
        return Forecast(None, 0, 0, None, None, deadline)
    need = due_by(target, task)
    missing = max(0, need - collected)
    pace = (collected - collected_before) / window_days if window_days > 0 else None
    if missing == 0:
        return Forecast(Outlook.REACHED, need, 0, pace, None, deadline)
    if pace is None or pace <= 0:
        return Forecast(Outlook.STALLED, need, missing, pace, None, deadline)
    days = math.ceil(missing / pace - 1e-9)
    if days > HORIZON_DAYS:
        return Forecast(Outlook.LATE, need, missing, pace, None, deadline)
    reach = as_of + timedelta(days=days)
    outlook = Outlook.ON_TIME if reach <= deadline else Outlook.LATE
    return Forecast(outlook, need, missing, pace, reach, deadline)
