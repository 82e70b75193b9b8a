"""Collection status of a record and the moves between statuses.

A record's life (DESIGN §3): uncollected → collected (awaiting verification) →
verified, or returned with a reason → collected again.
"""

from __future__ import annotations

from enum import StrEnum

from geoapp.domain.errors import Conflict, Forbidden
from geoapp.domain.i18n import N_


class Status(StrEnum):
    UNCOLLECTED = "uncollected"
    COLLECTED = "collected"
    VERIFIED = "verified"
    RETURNED = "returned"


STATUS_LABELS: dict[Status, str] = {
    Status.UNCOLLECTED: N_("Uncollected"),
    Status.COLLECTED: N_("Collected, awaiting verification"),
    Status.VERIFIED: N_("Verified"),
    Status.RETURNED: N_("Returned for correction"),
}

# Map colours (issue 4: red, orange, green, purple).
STATUS_COLOURS: dict[Status, str] = {
    Status.UNCOLLECTED: "#d7301f",
    Status.COLLECTED: "#fd8d3c",
    Status.VERIFIED: "#31a354",
    Status.RETURNED: "#756bb1",
}

# Which roles may make each move.
TRANSITIONS: dict[tuple[Status, Status], frozenset[str]] = {
    (Status.UNCOLLECTED, Status.COLLECTED): frozenset({"collector", "reporter", "officer", "admin"}),
    (Status.RETURNED, Status.COLLECTED): frozenset({"collector", "reporter", "officer", "admin"}),
    (Status.COLLECTED, Status.COLLECTED): frozenset({"collector", "reporter", "officer", "admin"}),
    (Status.COLLECTED, Status.VERIFIED): frozenset({"officer", "admin"}),
    (Status.COLLECTED, Status.RETURNED): frozenset({"officer", "admin"}),
    (Status.VERIFIED, Status.RETURNED): frozenset({"officer", "admin"}),
    # The station changes a verified record: it awaits another officer's verification again.
    (Status.VERIFIED, Status.COLLECTED): frozenset({"officer", "admin"}),
}


def check_transition(current: Status | str, target: Status | str, role: str) -> None:
    """Raise unless ``role`` may move a record from ``current`` to ``target``."""
    current, target = Status(current), Status(target)
    roles = TRANSITIONS.get((current, target))
    if roles is None:
        raise Conflict(
            N_("A record that is %(current)s cannot become %(target)s."),
            current=current.value,
            target=target.value,
        )
    if role not in roles:
        raise Forbidden(
            N_("The role %(role)s may not mark a record %(target)s."),
            role=role,
            target=target.value,
        )
