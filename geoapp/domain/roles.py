"""Roles, what each may see, and the scope a user's queries are limited to (DESIGN §1)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.inputs import printable


class Role(StrEnum):
    COLLECTOR = "collector"  # 村采集员: one village
    REPORTER = "reporter"  # 单位采集员: one unit
    OFFICER = "officer"  # 民警: whole town
    LEADER = "leader"  # 领导: whole town, aggregates only
    ADMIN = "admin"  # 管理员: everything


ROLE_LABELS: dict[Role, str] = {
    Role.COLLECTOR: N_("Village collector"),
    Role.REPORTER: N_("Unit reporter"),
    Role.OFFICER: N_("Police officer"),
    Role.LEADER: N_("Leader"),
    Role.ADMIN: N_("Administrator"),
}

ALL_ROLES = frozenset(Role)
TOWN_ROLES = frozenset({Role.OFFICER, Role.LEADER, Role.ADMIN})
# Roles that may see one person's identifying fields (masked unless revealed).
PERSONAL_DATA_ROLES = frozenset({Role.COLLECTOR, Role.REPORTER, Role.OFFICER, Role.ADMIN})
# Roles that collect and edit records (within their scope).
EDITOR_ROLES = frozenset({Role.COLLECTOR, Role.REPORTER, Role.OFFICER, Role.ADMIN})
# Roles that may reveal a full ID number or phone (each reveal is audited).
REVEAL_ROLES = frozenset({Role.OFFICER, Role.ADMIN})
# Who verifies collected records or returns them for correction.
REVIEW_ROLES = frozenset({Role.OFFICER, Role.ADMIN})


def parse_role(value: str, *, field: str = "role") -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise InvalidInput(
            N_("%(field)s must be one of collector, reporter, officer, leader, admin; got %(value)s."),
            field=field,
            value=printable(value),
        ) from None


def check_role_scope(role: Role, village_id: int | None, unit_id: int | None) -> None:
    """A collector needs a village, a reporter a unit; town roles need neither."""
    if role == Role.COLLECTOR and village_id is None:
        raise InvalidInput(N_("%(field)s: a village collector needs a village."), field="village")
    if role == Role.REPORTER and unit_id is None:
        raise InvalidInput(N_("%(field)s: a unit reporter needs a unit."), field="unit")


@dataclass(frozen=True)
class Scope:
    """Who is asking; storage queries are filtered by it."""

    user_id: int | None
    username: str
    role: Role
    village_id: int | None = None
    unit_id: int | None = None

    @property
    def whole_town(self) -> bool:
        return self.role in TOWN_ROLES

    @property
    def sees_people(self) -> bool:
        return self.role in PERSONAL_DATA_ROLES

    @property
    def may_reveal(self) -> bool:
        return self.role in REVEAL_ROLES


def _present(value: object) -> str | None:
    """The value as text, or None when it is missing (None, NaN, pandas' NA, NaT).

    Frames hold a missing phone as NaN (or ``pd.NA``): NaN is "true" and has no
    ``len()``, NA has no truth value at all, so a mask must not take either for text.
    Anything else (a phone read as a number) is masked as its text, never passed on."""
    if isinstance(value, str) or value is None:
        return value
    try:
        if value != value:  # NaN, NaT
            return None
    except TypeError:  # pandas.NA: its comparisons have no truth value
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def mask_id_number(value: object) -> str | None:
    """``430101199001011234`` → ``4301**********1234`` (short documents keep 2 + 2).

    A missing value (None, NaN, pandas' NA) gives None, "" stays ""."""
    text = _present(value)
    if not text:
        return text
    if len(text) >= 12:
        return text[:4] + "*" * (len(text) - 8) + text[-4:]
    if len(text) > 4:
        return text[:2] + "*" * (len(text) - 4) + text[-2:]
    return "*" * len(text)


def mask_phone(value: object) -> str | None:
    """``13812345678`` → ``138****5678``; a missing value (None, NaN, pandas' NA) gives None, "" stays ""."""
    text = _present(value)
    if not text:
        return text
    if len(text) >= 7:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return "*" * len(text)
