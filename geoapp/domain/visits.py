"""Visit proof (work plan §六(二): no record without a visit).

A submission carries the device's position, its accuracy and the time; the
server measures the distance to the house. Submissions made far away, with a
vague position, or without one are flagged for the officer and are never
counted as verified until checked.
"""

from __future__ import annotations

from enum import StrEnum

from geoapp.domain.i18n import N_

DEFAULT_MAX_DISTANCE_M = 100.0


class VisitFlag(StrEnum):
    NO_POSITION = "no_position"
    FAR = "far"
    VAGUE = "vague"  # the device's own accuracy is worse than the allowed distance


FLAG_LABELS = {
    VisitFlag.NO_POSITION: N_("Submitted without a position"),
    VisitFlag.FAR: N_("Submitted far from the house"),
    VisitFlag.VAGUE: N_("Position too imprecise to prove the visit"),
}


def assess_visit(
    distance_m: float | None, accuracy_m: float | None, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
) -> VisitFlag | None:
    """None when the visit is proven; otherwise why it is flagged."""
    if distance_m is None:
        return VisitFlag.NO_POSITION
    if distance_m > max_distance_m:
        return VisitFlag.FAR
    if accuracy_m is not None and accuracy_m > max_distance_m:
        return VisitFlag.VAGUE
    return None
