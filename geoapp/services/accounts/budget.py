"""Read budgets: how many people one account may read, and how many full values it
may reveal, in a sliding window.

Every answer that carries people (a listing page, a house's details, one person,
an export, a hit on an ID number registered elsewhere) is charged to the same
people budget, so reading one by one costs what reading in bulk costs. The budget
is sized for normal work (a collector exports their village, an officer any one
village: the hourly allowance is at least ``person_read_village_margin`` times
the largest village's task) and stops scraping the town (a daily cap well under
the town's population). Reveals of full ID numbers and phones have their own,
smaller budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.errors import TooManyRequests
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Scope
from geoapp.services.accounts import throttle
from geoapp.store.models import Village


@dataclass(frozen=True)
class Allowance:
    key: str
    limit: int
    window: timedelta


def people_allowances(session: Session, scope: Scope, settings: Settings) -> list[Allowance]:
    """The hourly and daily people budgets of one account."""
    largest = session.scalar(select(func.max(Village.task_people))) or 0
    hourly = max(settings.person_read_limit, math.ceil(settings.person_read_village_margin * largest))
    key = f"read:people:{scope.user_id}"
    return [
        Allowance(key, hourly, timedelta(minutes=settings.person_read_window_minutes)),
        Allowance(key, max(hourly, settings.person_read_daily_limit), timedelta(hours=24)),
    ]


def reveal_allowances(scope: Scope, settings: Settings) -> list[Allowance]:
    return [
        Allowance(
            f"read:reveal:{scope.user_id}",
            settings.reveal_limit,
            timedelta(minutes=settings.reveal_window_minutes),
        )
    ]


def left(session: Session, allowances: list[Allowance]) -> int:
    """How many more rows the tightest allowance lets through now."""
    return min(max(0, a.limit - throttle.count(session, a.key, a.window)) for a in allowances)


def check(session: Session, allowances: list[Allowance], rows: int, *, reveal: bool = False) -> None:
    """Raise 429 if reading ``rows`` more would go past any allowance."""
    for a in allowances:
        used = throttle.count(session, a.key, a.window)
        if used + rows > a.limit:
            minutes = int(a.window.total_seconds() // 60)
            retry = throttle.retry_after_s(session, a.key, a.window) or 60
            if reveal:
                raise TooManyRequests(
                    N_("You have revealed %(used)d full values in %(minutes)d minutes, the most allowed: wait, or ask the station office."),
                    retry_after_s=retry, used=used, minutes=minutes,
                )  # fmt: skip
            raise TooManyRequests(
                N_("This answer holds %(rows)d people, but you may read only %(left)d more in %(minutes)d minutes: narrow your search, export one village at a time, or wait."),
                retry_after_s=retry, rows=rows, left=max(0, a.limit - used), minutes=minutes,
            )  # fmt: skip


def charge(session: Session, allowances: list[Allowance], rows: int, *, reveal: bool = False) -> None:
    """Check, then count ``rows`` against the allowances (inside a write transaction)."""
    if rows <= 0:
        return
    check(session, allowances, rows, reveal=reveal)
    throttle.add(session, allowances[0].key, rows)


def charge_people(session: Session, scope: Scope, settings: Settings, rows: int) -> None:
    charge(session, people_allowances(session, scope, settings), rows)


def charge_reveal(session: Session, scope: Scope, settings: Settings) -> None:
    charge(session, reveal_allowances(scope, settings), 1, reveal=True)
