"""The officer's check (核对) beyond one house: the common reasons for returning a
record, bulk verification, and the random sample of houses to visit again.

Re-visits (复查) are the census practice of re-interviewing a sample: an officer
draws a reproducible random sample of the houses a village or a collector has
submitted; each sampled house gets a re-visit task; someone other than its
collector goes back and records whether the record was right.

How a re-visit counts in the accuracy rate (准确率 = records that passed their
first check / records checked, ``domain/metrics.py``):
- a re-visit that finds the record wrong is a failed check: from the day of the
  re-visit on the house counts as checked and *not* passed, even when an officer
  had verified it at its first check (the check missed the error); the house is
  also returned to its collector with the re-visit's reason;
- a confirmed re-visit leaves the figures as they were: it is not a verification
  (a house awaiting verification still needs one) and does not undo a failure.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from enum import StrEnum

from geoapp.domain.i18n import N_

# Reasons officers give most often when returning a record (the collector reads the
# chosen one, in the station's language, followed by anything the officer typed).
# Edit this list to change the choices; the keys are stored in the audit trail.
RETURN_REASONS: dict[str, str] = {
    "id_mismatch": N_("An ID number or name does not match the ID card or household register"),
    "people_missing": N_("People living here are missing, or someone is registered twice"),
    "head_missing": N_("The head of household or the relations are missing or wrong"),
    "door_number": N_("The address or door number does not match the house"),
    "use_wrong": N_("The house's use is wrong (for example it is rented out or a shop)"),
    "phone_invalid": N_("A phone number is missing or does not work"),
    "units_wrong": N_("Shops or units in the house are missing or wrong"),
    "no_visit": N_("The visit is not proven: go to the house and submit from there"),
}
MAX_REASON = 500

MAX_BULK = 200  # houses verified in one bulk request (a page of the list is 50)

MAX_SAMPLE = 200
MAX_SEED = 2**31 - 1


class RevisitResult(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WRONG = "wrong"


REVISIT_LABELS: dict[RevisitResult, str] = {
    RevisitResult.PENDING: N_("Awaiting re-visit"),
    RevisitResult.CONFIRMED: N_("Confirmed at the re-visit"),
    RevisitResult.WRONG: N_("Found wrong at the re-visit"),
}

# Houses that may be drawn: submitted, whether or not verified yet.
SAMPLED_STATUSES = ("collected", "verified")


def compose_reason(label: str | None, text: str | None) -> str:
    """The reason a collector reads: the chosen common reason, then the officer's words."""
    parts = [p.strip() for p in (label, text) if p and p.strip()]
    return "：".join(parts)


def draw_sample(population: Sequence[int], size: int, seed: int) -> list[int]:
    """``size`` ids drawn at random from ``population`` with ``seed``, in ascending order.

    Reproducible: the same population (in any order) and seed give the same sample on
    any machine (Python's Mersenne Twister, seeded with an integer); a sample larger
    than the population is the whole population."""
    ordered = sorted(set(population))
    if size >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, size))
