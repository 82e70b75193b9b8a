"""Times as people in the town read them: Beijing time (China Standard Time, UTC+8).

Stored times are naive UTC (``services.accounts.audit.utcnow``); every page shows
them through :func:`beijing_text` (the Jinja filter ``beijing``), and the browser
through ``geoapp.beijingTime`` (``static/js/geoapp-time.js``). APIs keep UTC with
a ``Z`` (machine-readable).
"""

from __future__ import annotations

from datetime import UTC, datetime

from geoapp.domain.metrics import BEIJING

MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"


def to_beijing(moment: datetime) -> datetime:
    """A stored (naive UTC) or aware time as a naive Beijing wall-clock time."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    try:
        return moment + BEIJING
    except OverflowError:  # within 8 hours of datetime.max: nothing real, show it as it is
        return moment


def beijing_text(moment: datetime | None, fmt: str = MINUTES, empty: str = "—") -> str:
    """``2016-05-02 01:30`` (UTC) → ``2016-05-02 09:30``; None → ``empty``."""
    if moment is None:
        return empty
    return to_beijing(moment).strftime(fmt)


def utc_iso(moment: datetime | None) -> str | None:
    """A stored time for JSON: ISO 8601 in UTC with ``Z`` (the browser shows it in Beijing time)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"
