"""Sliding-window counters kept in the database (so every server process agrees)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from geoapp.services.accounts.audit import utcnow
from geoapp.store.models import RateEvent


def count(session: Session, key: str, window: timedelta) -> int:
    since = utcnow() - window
    total = session.scalar(
        select(func.coalesce(func.sum(RateEvent.weight), 0)).where(
            RateEvent.key == key, RateEvent.at >= since
        )
    )
    return int(total or 0)


def oldest_in_window(session: Session, key: str, window: timedelta):
    since = utcnow() - window
    return session.scalar(select(func.min(RateEvent.at)).where(RateEvent.key == key, RateEvent.at >= since))


def add(session: Session, key: str, weight: int = 1) -> None:
    session.add(RateEvent(key=key, at=utcnow(), weight=weight))


def clear(session: Session, key: str) -> None:
    session.execute(delete(RateEvent).where(RateEvent.key == key))


def prune(session: Session, older_than: timedelta) -> None:
    session.execute(delete(RateEvent).where(RateEvent.at < utcnow() - older_than))


def retry_after_s(session: Session, key: str, window: timedelta) -> int:
    oldest = oldest_in_window(session, key, window)
    if oldest is None:
        return 0
    return max(1, int((oldest + window - utcnow()).total_seconds()))
