"""The units (实有单位) in a house, as a collector, the station or a unit's reporter submits them.

A village collector or the station may register, change and remove the units of
a house they submit. A unit reporter changes their own unit only (its fields and
staff): never another unit in the building, never the building's households.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.status import Status
from geoapp.domain.validators import Collector, UnitInput
from geoapp.store.models import Building, Person, Unit, User

UNIT_FIELDS = ("name", "uscc", "kind", "legal_rep", "phone", "staff")


def store_units(
    session: Session,
    building: Building,
    units: list[UnitInput],
    *,
    replace: bool,
    only_unit_id: int | None = None,
) -> dict:
    """Apply the submitted units; with ``replace`` the house's other units are removed.
    With ``only_unit_id`` (a reporter) every submitted unit must be that one."""
    old_units = {u.id: u for u in session.scalars(select(Unit).where(Unit.building_id == building.id))}
    errors = Collector()
    kept: list[Unit] = []
    for i, u in enumerate(units):
        if only_unit_id is not None and u.id != only_unit_id:
            errors.errors.append((f"units[{i}].id", InvalidInput(
                N_("%(field)s: a unit reporter registers their own unit only (unit %(id)s)."),
                field="units", id=only_unit_id)))  # fmt: skip
            continue
        unit = old_units.get(u.id) if u.id is not None else None
        if u.id is not None and unit is None:
            errors.errors.append((f"units[{i}].id", InvalidInput(
                N_("%(field)s: unit %(id)s is not in this house."), field="id", id=u.id)))  # fmt: skip
            continue
        if u.uscc:
            clash = session.scalar(select(Unit.id).where(Unit.uscc == u.uscc, Unit.id != (u.id or 0)))
            if clash is not None:
                errors.errors.append((f"units[{i}].uscc", InvalidInput(
                    N_("%(field)s is already registered for another unit."), field="uscc")))  # fmt: skip
                continue
        if unit is None:
            unit = Unit(building_id=building.id, status=Status.COLLECTED.value)
            session.add(unit)
        for name in UNIT_FIELDS:
            setattr(unit, name, getattr(u, name))
        unit.status = Status.COLLECTED.value
        kept.append(unit)
    errors.raise_if_any()
    session.flush()
    kept_ids = {u.id for u in kept}
    removed = [uid for uid in old_units if uid not in kept_ids] if replace else []
    if removed and session.scalar(select(User.id).where(User.unit_id.in_(removed)).limit(1)) is not None:
        raise InvalidInput(
            N_("%(field)s: a unit with a reporter account cannot be removed here; ask the station office."),
            field="units",
        )
    for uid in removed:
        session.execute(
            Person.__table__.update().where(Person.employer_unit_id == uid).values(employer_unit_id=None)
        )
        session.delete(old_units[uid])
    session.flush()
    return {"kept": sorted(kept_ids), "removed": removed}
