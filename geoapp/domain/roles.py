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


def mask_id_number(value: str | None) -> str | None:
    """``430101199001011234`` → ``4301**********1234`` (short documents keep 2 + 2)."""
    if not value:
        return value
    if len(value) >= 12:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) > 4:
        return value[:2] + "*" * (len(value) - 4) + value[-2:]
    return "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return value
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * len(value)
