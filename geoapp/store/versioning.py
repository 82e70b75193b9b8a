"""Optimistic locking: an edit carries the version it was based on.

Rows with a ``version`` column are versioned by the ORM (``version_id_col``), so
two transactions updating the same row cannot both win; ``check_version`` turns a
client's stale version into a Conflict before anything is written.
"""

from __future__ import annotations

from geoapp.domain.errors import Conflict
from geoapp.domain.i18n import N_

# The kinds of record named in conflicts (msgids: the message shows them translated).
LABELS = (N_("record"), N_("house"), N_("re-visit"))


def check_version(obj, expected: int | None, *, label: str = "record") -> None:
    if expected is None:
        return
    if int(expected) != obj.version:
        raise Conflict(
            N_(
                "Someone else changed this %(label)s (version %(current)d, yours %(expected)d): reload it and apply your change again."
            ),
            label=label,
            current=obj.version,
            expected=int(expected),
        )
