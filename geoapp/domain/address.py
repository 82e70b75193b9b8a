"""Standard addresses (标准地址): 镇 + 村/街路巷 + 门牌号, one per building, unique in the town.

Door numbers along a street follow the door-plate rule (门牌编号): counted from the
street's start, odd numbers on the left of its direction and even numbers on the right
(左单右双). Plain Python: the spatial order comes from ``geoapp.spatial.frontage``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from geoapp.domain.errors import Conflict, InvalidInput
from geoapp.domain.i18n import N_

TOWN_NAME = "余坪镇"
UNNUMBERED = "（未编门牌）"
LEFT, RIGHT = "left", "right"
SIDE_PARITY = {LEFT: 1, RIGHT: 0}  # remainder of the side's numbers divided by two
SIDE_LABELS = {LEFT: N_("left (odd numbers)"), RIGHT: N_("right (even numbers)")}
MAX_DOOR = 99_999
# A street without a name (common in OpenStreetMap extracts) is stored with the name "" and
# shown as this; nothing may find it, or merge it with another, by its name.
UNNAMED_ROAD = N_("Unnamed road")
_LEADING_NUMBER = re.compile(r"\s*([0-9]{1,9})")
_PLAIN_DOOR = re.compile(r"[0-9]{1,9}(?:[-之][0-9]{1,4})?号?")


def door_text(door_no: str | None) -> str:
    """``12`` → ``12号``; a door that already ends with 号 stays as it is."""
    door = (door_no or "").strip()
    return door if not door or door.endswith("号") else door + "号"


def standard_address(town: str, village: str, street: str | None = None, door_no: str | None = None) -> str:
    """``余坪镇上新村上新一巷12号``; without a door number the address says so."""
    street = (street or "").strip()
    return f"{town}{village}{street}{door_text(door_no) or UNNUMBERED}"


def door_number(door_no: str | None) -> int | None:
    """The number a door starts with (``12号``, ``１２``, ``12-1号`` → 12); None without one."""
    if not door_no:
        return None
    m = _LEADING_NUMBER.match(unicodedata.normalize("NFKC", door_no))
    return int(m.group(1)) if m else None


def street_door(address: str, prefix: str) -> int | None:
    """The door number of ``address`` when it is ``prefix`` followed by a plain door (``12号``,
    ``12-1号``), so that ``…新街12号`` counts for 新街 but ``…新街口路3号`` does not."""
    if not address.startswith(prefix):
        return None
    rest = address[len(prefix) :]
    return door_number(rest) if _PLAIN_DOOR.fullmatch(rest) else None


def with_door(address: str, old_door: str | None, new_door: str | None) -> str | None:
    """``address`` with its door number replaced (None: it does not end with the old door)."""
    old_tail = door_text(old_door) or UNNUMBERED
    if not address.endswith(old_tail):
        return None
    return address[: len(address) - len(old_tail)] + (door_text(new_door) or UNNUMBERED)


def address_taken(address: str, holder: int | None = None) -> Conflict:
    """The error for a second building with a standard address (whoever notices it)."""
    if holder is None:
        return Conflict(
            N_(
                "The standard address %(address)s would belong to two houses: each address is unique in the town. Give one of them another door number."
            ),
            address=address,
        )
    return Conflict(
        N_(
            "The standard address %(address)s already belongs to house %(holder)s: each address is unique in the town. Give this house another door number."
        ),
        address=address,
        holder=holder,
    )


# -- numbering along a street -----------------------------------------------------------------


@dataclass(frozen=True)
class Frontage:
    """A building fronting the street, in the street's order (see ``spatial.frontage``)."""

    building_id: int
    side: str  # LEFT or RIGHT of the street's direction
    at_m: float  # metres from the street's start to the foot of the perpendicular
    door_no: str | None  # the building's door number now (None: missing)


def check_start(value: int | None, side: str, *, field: str) -> int | None:
    """A first number chosen by the administrator: positive, and odd on the left, even on the right."""
    if value is None:
        return None
    if not 1 <= value <= MAX_DOOR:
        raise InvalidInput(
            N_("%(field)s must be between %(low)s and %(high)s."), field=field, low=1, high=MAX_DOOR
        )
    if value % 2 != SIDE_PARITY[side]:
        odd = SIDE_PARITY[side] == 1
        raise InvalidInput(
            N_("%(field)s must be an odd number: the left side of a street has the odd numbers.")
            if odd
            else N_("%(field)s must be an even number: the right side of a street has the even numbers."),
            field=field,
        )
    return value


def next_free(existing: Iterable[int], side: str) -> int:
    """The number after the highest of the side's parity already on the street (1 or 2 when none)."""
    parity = SIDE_PARITY[side]
    highest = max((n for n in existing if n % 2 == parity), default=parity - 2 if parity else 0)
    return highest + 2


def propose_doors(
    frontage: Sequence[Frontage],
    existing: Iterable[int],
    *,
    start_odd: int | None = None,
    start_even: int | None = None,
) -> dict[int, int]:
    """Door numbers for the fronting buildings that have none: building id → number.

    Each side counts on from its highest number already on the street (``existing``:
    every number the street's buildings carry), or from the administrator's start, in
    the order along the street."""
    existing = list(existing)
    starts = {
        LEFT: check_start(start_odd, LEFT, field="start_odd") or next_free(existing, LEFT),
        RIGHT: check_start(start_even, RIGHT, field="start_even") or next_free(existing, RIGHT),
    }
    proposed: dict[int, int] = {}
    for side in (LEFT, RIGHT):
        number = starts[side]
        for f in sorted((f for f in frontage if f.side == side), key=lambda f: (f.at_m, f.building_id)):
            if not (f.door_no or "").strip():
                if number > MAX_DOOR:
                    raise InvalidInput(
                        N_("%(field)s: the numbers would pass %(high)s."), field="start", high=MAX_DOOR
                    )
                proposed[f.building_id] = number
                number += 2
    return proposed
