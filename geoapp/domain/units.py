"""The units register (实有单位): what an officer sends to register, edit or place a unit,
the register's filter, and the rules that need no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import ConfigDict, Field

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import parse_uscc
from geoapp.domain.schema import Count, Id, RequestModel, form_int
from geoapp.domain.uses import BuildingUse, UnitKind
from geoapp.domain.validators import MAX_NAME, Collector, clean_choice, clean_phone, clean_text

Text = Annotated[str | None, Field(max_length=2000)]  # each field's own limit is checked below
MAX_STAFF = 100_000
MAX_STAFF_LINKS = 500
UNIT_NAME_MAX = 200

# The ``kind`` words a request may use: a unit kind, or the map layer's word for it.
KIND_WORDS: dict[str, str] = {k.value: k.value for k in UnitKind} | {"factory": UnitKind.ENTERPRISE.value}
# Where a unit placed at a new point is housed: a shop in a street-front shop, the rest in a factory building.
BUILDING_USE_FOR_KIND: dict[str, str] = {
    UnitKind.SHOP.value: BuildingUse.SHOP.value,
    UnitKind.ENTERPRISE.value: BuildingUse.FACTORY.value,
    UnitKind.OFFICE.value: BuildingUse.OFFICE.value,
    UnitKind.OTHER.value: BuildingUse.OTHER.value,
}


class UnitFieldsIn(RequestModel):
    """A unit's own fields as the register's form sends them."""

    model_config = ConfigDict(extra="forbid")

    name: Text = None
    uscc: Text = None
    kind: Text = None
    legal_rep: Text = None
    phone: Text = None
    staff: form_int(0, MAX_STAFF) = None
    staff_ids: Annotated[list[Id] | None, Field(max_length=MAX_STAFF_LINKS)] = None


class UnitIn(UnitFieldsIn):
    """``POST /api/units``: register a unit, in a building or (``building`` absent) to be placed later."""

    building: Id | None = None


class UnitPatchIn(UnitFieldsIn):
    """``PATCH /api/units/<id>``: the fields sent change, the others stay."""

    version: Count


class PlaceIn(RequestModel):
    """``POST /api/units/<id>/place``: into a building on the map, or at a point (a new building)."""

    model_config = ConfigDict(extra="forbid")

    version: Count
    building: Id | None = None
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None


@dataclass(frozen=True)
class UnitValues:
    """Checked values of the fields that were sent (``sent`` names them)."""

    sent: frozenset[str]
    name: str | None = None
    uscc: str | None = None
    kind: str | None = None
    legal_rep: str | None = None
    phone: str | None = None
    staff: int | None = None
    staff_ids: tuple[int, ...] | None = None


def check_unit(data: UnitFieldsIn, *, creating: bool) -> UnitValues:
    """Every field's rule at once (FormErrors naming each field): a name is required, a
    credit code must pass GB 32100, the kind is one of the unit kinds."""
    sent = frozenset(data.model_fields_set - {"version", "building"})
    if creating:
        sent |= {"name", "kind"}
    errors = Collector()
    values: dict = {}
    if "name" in sent:
        values["name"] = errors.check(
            "name", clean_text, data.name, field="name", required=True, max_length=UNIT_NAME_MAX
        )
    if "uscc" in sent:
        text = errors.check("uscc", clean_text, data.uscc, field="uscc", max_length=40)
        values["uscc"] = errors.check("uscc", parse_uscc, text, field="uscc") if text else None
    if "kind" in sent:
        word = KIND_WORDS.get((data.kind or "").strip(), data.kind)
        values["kind"] = errors.check(
            "kind", clean_choice, word or None, [k.value for k in UnitKind], field="kind"
        )
    if "legal_rep" in sent:
        values["legal_rep"] = errors.check(
            "legal_rep", clean_text, data.legal_rep, field="legal_rep", max_length=MAX_NAME
        )
    if "phone" in sent:
        values["phone"] = errors.check("phone", clean_phone, data.phone, field="phone")
    if "staff" in sent:
        values["staff"] = data.staff
    if "staff_ids" in sent:
        ids = data.staff_ids or []
        if len(set(ids)) != len(ids):
            errors.errors.append(
                ("staff_ids", InvalidInput(N_("%(field)s lists a person twice."), field="staff_ids"))
            )
        values["staff_ids"] = tuple(dict.fromkeys(ids))
    errors.raise_if_any()
    return UnitValues(sent=sent, **values)


@dataclass(frozen=True)
class UnitFilter:
    """The register's filter (every part optional)."""

    q: str | None = None  # name or credit code (part of it)
    kind: str | None = None  # a unit kind
    status: str | None = None
    village_id: int | None = None
    street_id: int | None = None
    no_uscc: bool = False  # no credit code yet
    no_staff: bool = False  # nobody registered as staff
    unplaced: bool = False  # not yet placed on the map
    unit_id: int | None = None  # one unit (the map's link to its record)

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links: the map, the export, the next page)."""
        out = {
            "q": self.q,
            "kind": self.kind,
            "status": self.status,
            "village": self.village_id,
            "street": self.street_id,
            "no_uscc": "1" if self.no_uscc else None,
            "no_staff": "1" if self.no_staff else None,
            "unplaced": "1" if self.unplaced else None,
            "unit": self.unit_id,
        }
        return {k: str(v) for k, v in out.items() if v not in (None, "")}
