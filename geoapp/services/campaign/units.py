"""The units register (实有单位): the station lists, registers, edits and places units.

A unit's staff are the people whose ``employer_unit_id`` is the unit. Every change
is audited and carries the version it was based on (a stale one is a 409). A unit
may be registered before anyone knows its building; it is placed later, into a
building picked on the map or at a point, which becomes a new building used as a
shop or a factory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from geoapp.domain.address import TOWN_NAME, standard_address
from geoapp.domain.errors import Forbidden, InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.roles import REVIEW_ROLES, Scope, mask_id_number, mask_phone
from geoapp.domain.status import Status, check_transition
from geoapp.domain.units import (
    BUILDING_USE_FOR_KIND,
    PlaceIn,
    UnitFilter,
    UnitIn,
    UnitPatchIn,
    UnitValues,
    check_unit,
)
from geoapp.domain.uses import UnitKind
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import scoped, visible_building, visible_person, visible_unit
from geoapp.spatial.assign import nearest_within
from geoapp.store.models import Building, Person, Street, Unit, Village
from geoapp.store.versioning import check_version

# Who keeps the register: the station (officers) and its office (administrators).
REGISTRARS = REVIEW_ROLES
MAX_PAGE = 200
FIELDS = ("name", "uscc", "kind", "legal_rep", "phone", "staff")


def _staff_counts():
    return (
        select(Person.employer_unit_id.label("uid"), func.count().label("n"))
        .where(Person.employer_unit_id.is_not(None))
        .group_by(Person.employer_unit_id)
        .subquery()
    )


def _register_query(scope: Scope, flt: UnitFilter, *, skip: str | None = None):
    """Units in the caller's scope with their building, village, street and staff count;
    filtered by every part of ``flt`` except ``skip`` (for the counts beside a filter)."""
    staff = _staff_counts()
    registered = func.coalesce(staff.c.n, 0)
    stmt = (
        select(
            Unit.id,
            Unit.name,
            Unit.uscc,
            Unit.kind,
            Unit.legal_rep,
            Unit.phone,
            Unit.staff,
            registered.label("staff_registered"),
            Unit.status,
            Unit.building_id,
            Building.address,
            Village.name.label("village"),
            Street.name.label("street"),
            Building.lon,
            Building.lat,
            Unit.version,
        )
        .outerjoin(Building, Building.id == Unit.building_id)
        .outerjoin(Village, Village.id == Building.village_id)
        .outerjoin(Street, Street.id == Building.street_id)
        .outerjoin(staff, staff.c.uid == Unit.id)
    )
    stmt = scoped(stmt, scope)
    if not scope.whole_town and scope.unit_id is not None:
        stmt = stmt.where(Unit.id == scope.unit_id)
    if flt.q:
        text = flt.q.strip()[:50]
        stmt = stmt.where(
            or_(Unit.name.contains(text, autoescape=True), Unit.uscc.contains(text.upper(), autoescape=True))
        )
    if flt.kind and skip != "kind":
        stmt = stmt.where(Unit.kind == flt.kind)
    if flt.status and skip != "status":
        stmt = stmt.where(Unit.status == flt.status)
    if flt.village_id is not None:
        stmt = stmt.where(Building.village_id == flt.village_id)
    if flt.street_id is not None:
        stmt = stmt.where(Building.street_id == flt.street_id)
    if flt.no_uscc:
        stmt = stmt.where(or_(Unit.uscc.is_(None), Unit.uscc == ""))
    if flt.no_staff:
        stmt = stmt.where(registered == 0)
    if flt.unplaced:
        stmt = stmt.where(Unit.building_id.is_(None))
    if flt.unit_id is not None:
        stmt = stmt.where(Unit.id == flt.unit_id)
    return stmt


def _item(row, scope: Scope, *, masked: bool = True) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "uscc": row.uscc,
        "kind": row.kind,
        "legal_rep": row.legal_rep if scope.sees_people else None,
        "phone": (mask_phone(row.phone) if masked else row.phone) if scope.sees_people else None,
        "staff": row.staff,
        "staff_registered": int(row.staff_registered),
        "status": row.status,
        "building_id": row.building_id,
        "address": row.address,
        "village": row.village,
        "street": row.street,
        "lon": row.lon,
        "lat": row.lat,
        "version": row.version,
    }


@dataclass(frozen=True)
class UnitPage:
    items: list[dict]
    total: int
    page: int
    per_page: int
    counts: dict  # status -> n, kind -> n (under the other filters), and the flags' counts


def list_units(
    session: Session, scope: Scope, flt: UnitFilter, *, page: int = 1, per_page: int = 50
) -> UnitPage:
    """One page of the register, with the counts each filter would give."""
    if not 1 <= per_page <= MAX_PAGE:
        raise InvalidInput(N_("%(field)s must be between 1 and %(max)d."), field="per_page", max=MAX_PAGE)
    stmt = _register_query(scope, flt)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.execute(stmt.order_by(Unit.id).limit(per_page).offset((page - 1) * per_page)).all()
    counts = {
        "status": {s.value: 0 for s in Status}
        | _count_by(session, _register_query(scope, flt, skip="status"), "status"),
        "kind": {k.value: 0 for k in UnitKind}
        | _count_by(session, _register_query(scope, flt, skip="kind"), "kind"),
    }
    flags = stmt.subquery()
    row = session.execute(
        select(
            func.sum(case((or_(flags.c.uscc.is_(None), flags.c.uscc == ""), 1), else_=0)),
            func.sum(case((flags.c.staff_registered == 0, 1), else_=0)),
            func.sum(case((flags.c.building_id.is_(None), 1), else_=0)),
        )
    ).one()
    counts.update(no_uscc=int(row[0] or 0), no_staff=int(row[1] or 0), unplaced=int(row[2] or 0))
    return UnitPage([_item(r, scope) for r in rows], total, page, per_page, counts)


def _count_by(session: Session, stmt, column: str) -> dict[str, int]:
    sub = stmt.subquery()
    return {
        k: int(n) for k, n in session.execute(select(sub.c[column], func.count()).group_by(sub.c[column]))
    }


def register_rows(session: Session, scope: Scope, flt: UnitFilter) -> list[dict]:
    """Every unit the filter selects, for the register's export, which masks them as every
    export does (the layer registry's entry for units says how)."""
    stmt = _register_query(scope, flt).order_by(Unit.id)
    return [_item(r, scope, masked=False) for r in session.execute(stmt)]


def unit_detail(session: Session, scope: Scope, unit_id: int) -> dict:
    """One unit with its building and its registered staff (masked); ``people_count`` tells
    the caller how many people to charge to the reader's budget."""
    unit = visible_unit(session, scope, unit_id)
    row = session.execute(_register_query(scope, UnitFilter()).where(Unit.id == unit.id)).one_or_none()
    if row is None:  # pragma: no cover - visible_unit already checked the scope
        raise NotFound(N_("Unit %(id)s does not exist."), id=unit_id)
    detail = _item(row, scope)
    detail["staff_people"] = []
    if scope.sees_people:
        stmt = (
            select(Person.id, Person.name, Person.id_number, Building.address)
            .join(Building, Building.id == Person.building_id)
            .where(Person.employer_unit_id == unit.id)
        )  # staff living outside the caller's scope stay counted, never named
        people = session.execute(scoped(stmt, scope).order_by(Person.id)).all()
        detail["staff_people"] = [
            {"id": p.id, "name": p.name, "id_number": mask_id_number(p.id_number), "address": p.address}
            for p in people
        ]
    detail["people_count"] = len(detail["staff_people"])
    return detail


# -- writing ---------------------------------------------------------------------------------


def _check_registrar(scope: Scope) -> None:
    if scope.role not in REGISTRARS:
        raise Forbidden(N_("Your role may not edit units."))


def _check_uscc(session: Session, uscc: str | None, unit_id: int | None) -> None:
    if not uscc:
        return
    other = session.execute(
        select(Unit.id, Unit.name).where(Unit.uscc == uscc, Unit.id != (unit_id or 0))
    ).first()
    if other is not None:
        raise InvalidInput(
            N_("%(field)s %(value)s is already registered for unit %(id)s (%(name)s)."),
            field="uscc",
            value=uscc,
            id=other.id,
            name=other.name,
        )


def _link_staff(session: Session, scope: Scope, unit: Unit, ids: tuple[int, ...]) -> dict:
    """Make exactly these people the unit's staff; returns {"added": [...], "removed": [...]}."""
    current = set(session.scalars(select(Person.id).where(Person.employer_unit_id == unit.id)))
    wanted = set(ids)
    missing = []
    for pid in sorted(wanted - current):
        try:
            visible_person(session, scope, pid).employer_unit_id = unit.id
        except NotFound:
            missing.append(pid)
    if missing:
        raise InvalidInput(
            N_("%(field)s: there is no person %(value)s."),
            field="staff_ids",
            value=", ".join(map(str, missing[:10])),
        )
    for pid in sorted(current - wanted):
        session.get(Person, pid).employer_unit_id = None
    return {"added": sorted(wanted - current), "removed": sorted(current - wanted)}


def _apply(session: Session, scope: Scope, unit: Unit, values: UnitValues) -> dict:
    """Set the sent fields; returns the changes as {field: [old, new]}."""
    if "uscc" in values.sent:
        _check_uscc(session, values.uscc, unit.id)
    changes: dict = {}
    for name in FIELDS:
        if name in values.sent and getattr(values, name) != getattr(unit, name):
            old = getattr(unit, name)
            changes[name] = [mask_phone(old), mask_phone(getattr(values, name))] if name == "phone" else [
                old, getattr(values, name)]  # fmt: skip
            setattr(unit, name, getattr(values, name))
    if values.staff_ids is not None:
        if unit.id is None:
            session.flush()
        linked = _link_staff(session, scope, unit, values.staff_ids)
        if linked["added"] or linked["removed"]:
            changes["staff_ids"] = linked
    return changes


def create_unit(session: Session, scope: Scope, data: UnitIn, *, remote_addr: str | None = None) -> dict:
    """Register a unit (collected: the station registered it), in a building or to be placed."""
    _check_registrar(scope)
    values = check_unit(data, creating=True)
    building = visible_building(session, scope, data.building) if data.building is not None else None
    unit = Unit(building_id=building.id if building else None, status=Status.COLLECTED.value, version=1)
    for name in FIELDS:
        setattr(unit, name, getattr(values, name))
    if "uscc" in values.sent:
        _check_uscc(session, values.uscc, None)
    session.add(unit)
    session.flush()
    changes = {n: getattr(unit, n) for n in FIELDS if getattr(unit, n) is not None}
    if changes.get("phone"):
        changes["phone"] = mask_phone(changes["phone"])
    if values.staff_ids:
        changes["staff_ids"] = _link_staff(session, scope, unit, values.staff_ids)
    changes["building_id"] = unit.building_id
    session.flush()
    audit.record_by(
        session, scope, "unit.create", object_type="unit", object_id=unit.id, changes=changes,
        remote_addr=remote_addr,
    )  # fmt: skip
    return {"id": unit.id, "version": unit.version, "status": unit.status, "building_id": unit.building_id}


def update_unit(
    session: Session, scope: Scope, unit_id: int, patch: UnitPatchIn, *, remote_addr: str | None = None
) -> dict:
    """Change the sent fields of a unit (version checked); a change collects it again
    (a verified unit awaits verification again)."""
    _check_registrar(scope)
    unit = visible_unit(session, scope, unit_id)
    check_version(unit, patch.version, label="unit")
    values = check_unit(patch, creating=False)
    changes = _apply(session, scope, unit, values)
    if not changes:
        return {"id": unit.id, "version": unit.version, "changed": [], "status": unit.status}
    if unit.status != Status.COLLECTED.value:
        check_transition(unit.status, Status.COLLECTED, scope.role)
        changes["status"] = [unit.status, Status.COLLECTED.value]
        unit.status = Status.COLLECTED.value
    flag_modified(unit, "name")  # its staff alone changed: still a new version of the unit
    session.flush()
    audit.record_by(
        session, scope, "unit.update", object_type="unit", object_id=unit.id, changes=changes,
        remote_addr=remote_addr,
    )  # fmt: skip
    return {"id": unit.id, "version": unit.version, "changed": sorted(changes), "status": unit.status}


def place_unit(
    session: Session,
    scope: Scope,
    unit_id: int,
    place: PlaceIn,
    *,
    fronting_distance_m: float = 60.0,
    remote_addr: str | None = None,
) -> dict:
    """Put a unit into a building chosen on the map, or at a point: a new building there,
    used as the unit's kind is (a shop, a factory), in the village that contains it."""
    _check_registrar(scope)
    unit = visible_unit(session, scope, unit_id)
    check_version(unit, place.version, label="unit")
    if place.building is not None:
        building = visible_building(session, scope, place.building)
        created = False
    elif place.lon is not None and place.lat is not None:
        building = _new_building(session, unit, place.lon, place.lat, fronting_distance_m)
        created = True
        audit.record_by(
            session, scope, "building.create", object_type="building", object_id=building.id,
            changes={"address": building.address, "use": building.use, "lon": building.lon, "lat": building.lat,
                     "for_unit": unit.id}, remote_addr=remote_addr,
        )  # fmt: skip
    else:
        raise InvalidInput(N_("%(field)s: choose a building on the map, or a point."), field="building")
    old = unit.building_id
    if old == building.id:
        return {"id": unit.id, "version": unit.version, "building_id": old, "created_building": False}
    unit.building_id = building.id
    session.flush()
    audit.record_by(
        session, scope, "unit.place", object_type="unit", object_id=unit.id,
        changes={"building_id": [old, building.id], "address": building.address}, remote_addr=remote_addr,
    )  # fmt: skip
    return {
        "id": unit.id,
        "version": unit.version,
        "building_id": building.id,
        "address": building.address,
        "lon": building.lon,
        "lat": building.lat,
        "created_building": created,
    }


def _new_building(
    session: Session, unit: Unit, lon: float, lat: float, fronting_distance_m: float
) -> Building:
    point = shapely.Point(lon, lat)
    villages = session.execute(
        select(Village.id, Village.name, Village.geom)
        .where(and_(Village.minx <= lon, Village.maxx >= lon, Village.miny <= lat, Village.maxy >= lat))
        .order_by(Village.id)
    ).all()
    village = next((v for v in villages if v.geom.intersects(point)), None)
    if village is None:
        raise InvalidInput(
            N_("%(field)s: this point is outside every village; place the unit inside the town."),
            field="building",
        )
    streets = session.execute(
        select(Street.id, Street.name, Street.geom).where(
            and_(Street.minx <= lon + 0.01, Street.maxx >= lon - 0.01, Street.miny <= lat + 0.01,
                 Street.maxy >= lat - 0.01)
        )
    ).all()  # fmt: skip
    street = None
    if streets:
        idx = nearest_within(
            np.array([point], dtype=object), np.array([s.geom for s in streets]), fronting_distance_m
        )
        street = streets[int(idx[0])] if idx[0] >= 0 else None
    building = Building(
        village_id=village.id,
        street_id=street.id if street else None,
        address=standard_address(TOWN_NAME, village.name, street.name if street else None)[:200],
        use=BUILDING_USE_FOR_KIND.get(unit.kind, BUILDING_USE_FOR_KIND[UnitKind.OTHER.value]),
        status=Status.UNCOLLECTED.value,
        source="units register",
        version=1,
        updated_at=utcnow(),
    )
    building.set_geometry(point)
    session.add(building)
    session.flush()
    return building
