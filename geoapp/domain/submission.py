"""A house's submission as the phone sends it: its declared shape and the house-level rules.

``SubmissionIn`` is the one schema of ``POST /api/buildings/<id>/submission``;
:func:`check_submission` applies the rules that need no database (each person's
and unit's fields, one head per household, nobody entered twice, an empty house
has no households) and returns typed inputs for the services to store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import Field

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.parallel import Part
from geoapp.domain.schema import Count, Id, RequestModel, form_int
from geoapp.domain.validators import (
    Collector,
    PersonInput,
    UnitInput,
    clean_text,
    validate_person,
    validate_unit,
    validate_use,
)

MAX_HOUSEHOLDS = 30
MAX_MEMBERS = 40
MAX_UNITS = 50
MAX_MOVES = 40
Text = Annotated[str | None, Field(max_length=2000)]  # bounded here; each field's own limit is checked later


class VisitIn(RequestModel):
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    accuracy: Annotated[float | None, Field(ge=0, le=1e6)] = None
    time: Annotated[str | None, Field(max_length=40)] = None


class BuildingIn(RequestModel):
    use: Text = None
    floors: form_int(1, 200) = None
    structure: Text = None
    owner_name: Text = None


class PersonIn(RequestModel):
    id: Id | None = None
    name: Text = None
    id_type: Text = None
    id_number: Text = None
    sex: Text = None
    birth_date: Text = None
    ethnicity: Text = None
    phone: Text = None
    hukou_address: Text = None
    residence_type: Text = None
    separated: bool | None = None
    relation: Text = None
    employer_unit_id: form_int(1) = None


class HouseholdIn(RequestModel):
    id: Id | None = None
    number: Text = None
    members: Annotated[list[PersonIn], Field(max_length=MAX_MEMBERS, default_factory=list)]


class UnitIn(RequestModel):
    id: Id | None = None
    name: Text = None
    uscc: Text = None
    kind: Text = None
    legal_rep: Text = None
    phone: Text = None
    staff: form_int(0, 100_000) = None


class SubmissionIn(RequestModel):
    client_id: Annotated[str, Field(min_length=8, max_length=64)]
    version: Count | None = None
    building: BuildingIn = BuildingIn()
    empty: bool | None = None
    households: Annotated[list[HouseholdIn] | None, Field(max_length=MAX_HOUSEHOLDS)] = None
    units: Annotated[list[UnitIn] | None, Field(max_length=MAX_UNITS)] = None
    moves: Annotated[
        list[Annotated[str, Field(max_length=40)]], Field(max_length=MAX_MOVES, default_factory=list)
    ]
    visit: VisitIn | None = None
    # The parts of the house the collector changed since ``version`` (the phone sends
    # them): a house that moved on meanwhile in other parts takes only those as a parallel
    # update (``domain/parallel.py``); on the current version the whole form applies.
    changed: Annotated[list[Part] | None, Field(max_length=10)] = None
    # "Keep mine" after a conflict: the parts both sides changed take the collector's values.
    keep_mine: bool = False

    @property
    def sends_units(self) -> bool:
        """A form without a units list leaves the house's units alone."""
        return "units" in self.model_fields_set and self.units is not None

    @property
    def sends_households(self) -> bool:
        return bool(self.households)


@dataclass(frozen=True)
class HouseholdInput:
    id: int | None
    number: str | None
    members: list[PersonInput]


@dataclass(frozen=True)
class VisitProof:
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    device_time: datetime | None


@dataclass(frozen=True)
class CheckedSubmission:
    building: dict
    empty: bool
    households: list[HouseholdInput]
    units: list[UnitInput]
    documents: set[tuple[str, str]]  # (id_type, id_number) of everyone submitted
    proof: VisitProof


def visit_proof(visit: VisitIn | None) -> VisitProof:
    """The device's reading at the house (naive UTC time)."""
    if visit is None:
        return VisitProof(None, None, None, None)
    if (visit.lat is None) != (visit.lon is None):
        raise InvalidInput(N_("%(field)s: a position needs both latitude and longitude."), field="visit")
    device_time = None
    if visit.time:
        try:
            device_time = datetime.fromisoformat(visit.time.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(N_("%(field)s must be an ISO 8601 time."), field="visit.time") from None
        if device_time.tzinfo:
            device_time = device_time.astimezone(UTC).replace(tzinfo=None)
    return VisitProof(visit.lat, visit.lon, visit.accuracy, device_time)


def _error(errors: Collector, path: str, template: str, **params) -> None:
    errors.errors.append((path, InvalidInput(template, **params)))


def check_submission(sub: SubmissionIn, today: date) -> CheckedSubmission:
    """Every rule that needs no database; all problems reported together."""
    proof = visit_proof(sub.visit)
    errors = Collector()
    b = sub.building
    building = {
        "use": errors.check("building.use", validate_use, b.use),
        "floors": b.floors,
        "structure": errors.check("building.structure", clean_text, b.structure, field="structure", max_length=40),
        "owner_name": errors.check("building.owner_name", clean_text, b.owner_name, field="owner_name", max_length=100),
    }  # fmt: skip
    empty = bool(sub.empty)
    households: list[HouseholdInput] = []
    for h, raw in enumerate(sub.households or []):
        path = f"households[{h}]"
        if not raw.members:
            _error(errors, path, N_("%(field)s: a household needs at least one member."), field="households")
            continue
        members = [
            validate_person(m.model_dump(), today=today, errors=errors, path=f"{path}.members[{i}]")
            for i, m in enumerate(raw.members)
        ]
        heads = sum(1 for m in raw.members if m.relation == "户主")
        if heads != 1:
            _error(errors, f"{path}.members", N_("%(field)s: a household has exactly one head (户主); it has %(count)d."), field="relation", count=heads)  # fmt: skip
        number = errors.check(f"{path}.number", clean_text, raw.number, field="number", max_length=40)
        households.append(HouseholdInput(raw.id, number, [m for m in members if m is not None]))
    units = [
        u
        for i, raw in enumerate(sub.units or [])
        if (u := validate_unit(raw.model_dump(), errors=errors, path=f"units[{i}]"))
    ]
    if empty and households:
        _error(errors, "empty", N_("%(field)s: an empty house has no households; remove them or untick “empty”."), field="empty")  # fmt: skip
    seen: dict[tuple, str] = {}
    documents: set[tuple[str, str]] = set()
    for h, household in enumerate(households):
        for i, m in enumerate(household.members):
            if m.id_number is None:
                continue
            key = (m.id_type, m.id_number)
            here = f"households[{h}].members[{i}]"
            if key in seen:
                _error(errors, f"{here}.id_number", N_("%(field)s is entered twice in this house (also at %(other)s)."), field="id_number", other=seen[key])  # fmt: skip
            seen[key] = here
            documents.add(key)
    errors.raise_if_any()
    return CheckedSubmission(building, empty, households, units, documents, proof)


def require_content(checked: CheckedSubmission, *, pending_moves: int = 0) -> None:
    """A submission says who lives here, what unit is here, or that the house is empty."""
    if not checked.empty and not checked.households and not checked.units and not pending_moves:
        errors = Collector()
        _error(errors, "households", N_("%(field)s: register who lives here, add a unit, or mark the house empty."), field="households")  # fmt: skip
        errors.raise_if_any()
