"""Sliding-window counters kept in the database (so every server process agrees)."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from geoapp.domain.inputs import printable
from geoapp.services.accounts.audit import utcnow
from geoapp.store.models import RateEvent


def login_pair_prefix(username: str) -> str:
    """The start of the keys counting one account's failed logins, one key per address."""
    return f"login:pair:{printable(username.strip().lower(), 60)}|"


def login_keys(username: str, remote_addr: str | None) -> tuple[str, str]:
    """Failed logins count per (account, address) pair and per address."""
    addr = printable(remote_addr or "-", 64)
    return login_pair_prefix(username) + addr, f"login:addr:{addr}"


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


def clear_prefix(session: Session, prefix: str) -> None:
    session.execute(delete(RateEvent).where(RateEvent.key.startswith(prefix, autoescape=True)))


def prune(session: Session, older_than: timedelta) -> None:
    session.execute(delete(RateEvent).where(RateEvent.at < utcnow() - older_than))


def retry_after_s(session: Session, key: str, window: timedelta) -> int:
    oldest = oldest_in_window(session, key, window)
    if oldest is None:
        return 0
    return max(1, int((oldest + window - utcnow()).total_seconds()))


def backoff_s(session: Session, key: str, *, free: int, window: timedelta, cap_s: int) -> int:
    """Seconds to wait before the next attempt under ``key``: none while fewer than ``free``
    events fall in the window; then 2, 4, 8 … seconds after the latest one (doubling with
    each further event), never more than ``cap_s``."""
    total, latest = session.execute(
        select(func.coalesce(func.sum(RateEvent.weight), 0), func.max(RateEvent.at)).where(
            RateEvent.key == key, RateEvent.at >= utcnow() - window
        )
    ).one()
    if latest is None or total < free:
        return 0
    delay = min(cap_s, 2 ** min(int(total) - free + 1, 40))
    return max(0, math.ceil((latest + timedelta(seconds=delay) - utcnow()).total_seconds()))
