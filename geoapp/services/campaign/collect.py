"""Submitting a house: its households, people and units, with the visit proof.

One submission is one transaction: everything is validated first (all problems
reported together, nothing stored), then the house's records are replaced by
what was submitted, the house becomes "collected", and a Visit keeps the proof
and the answer. A retry with the same client id gets that answer again and
stores nothing twice; a submission based on an old version is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.errors import Conflict, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Scope, mask_id_number, mask_phone
from geoapp.domain.status import Status, check_transition
from geoapp.domain.validators import (
    Collector,
    PersonInput,
    UnitInput,
    clean_text,
    validate_person,
    validate_unit,
    validate_use,
)
from geoapp.domain.visits import assess_visit
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import visible_building
from geoapp.spatial.distance import metres_between
from geoapp.store.models import Building, Household, Person, PersonMove, Unit, User, Visit
from geoapp.store.versioning import check_version

MAX_HOUSEHOLDS = 30
MAX_MEMBERS = 40
MAX_UNITS = 50
PERSON_FIELDS = ("name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "phone", "hukou_address",
                 "residence_type", "separated", "relation", "employer_unit_id")  # fmt: skip
UNIT_FIELDS = ("name", "uscc", "kind", "legal_rep", "phone", "staff")


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


def _client_id(payload: dict) -> str:
    value = payload.get("client_id")
    if not isinstance(value, str) or not 8 <= len(value) <= 64:
        raise InvalidInput(
            N_("%(field)s is required: the app sends one id per submission (8 to 64 characters)."),
            field="client_id",
        )
    return value


def _proof(raw) -> VisitProof:
    if not isinstance(raw, dict):
        return VisitProof(None, None, None, None)

    def number(key, low, high):
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, int | float) or not low <= value <= high:
            raise InvalidInput(N_("%(field)s is not a valid position reading."), field=f"visit.{key}")
        return float(value)

    lat, lon = number("lat", -90, 90), number("lon", -180, 180)
    if (lat is None) != (lon is None):
        raise InvalidInput(N_("%(field)s: a position needs both latitude and longitude."), field="visit")
    device_time = None
    if raw.get("time"):
        try:
            device_time = datetime.fromisoformat(str(raw["time"]).replace("Z", "+00:00"))
            if device_time.tzinfo:
                device_time = device_time.astimezone(UTC).replace(tzinfo=None)
        except ValueError:
            raise InvalidInput(N_("%(field)s must be an ISO 8601 time."), field="visit.time") from None
    return VisitProof(lat, lon, number("accuracy", 0, 1e6), device_time)


def _validate(payload: dict, today: date) -> tuple[dict, bool, list[HouseholdInput], list[UnitInput], set]:
    errors = Collector()
    house = payload.get("building") or {}
    if not isinstance(house, dict):
        house = {}
    building = {
        "use": errors.check("building.use", validate_use, house.get("use")),
        "floors": house.get("floors"),
        "structure": errors.check(
            "building.structure", clean_text, house.get("structure"), field="structure", max_length=40
        ),
        "owner_name": errors.check(
            "building.owner_name", clean_text, house.get("owner_name"), field="owner_name", max_length=100
        ),
    }
    floors = building["floors"]
    if floors not in (None, "") and (not str(floors).isdigit() or not 1 <= int(floors) <= 200):
        errors.errors.append(
            ("building.floors", InvalidInput(N_("%(field)s must be between 1 and 200."), field="floors"))
        )
    building["floors"] = int(floors) if floors not in (None, "") and str(floors).isdigit() else None
    empty = bool(payload.get("empty"))
    raw_households = payload.get("households") or []
    raw_units = payload.get("units") or []
    if not isinstance(raw_households, list) or len(raw_households) > MAX_HOUSEHOLDS:
        raise InvalidInput(
            N_("%(field)s: send at most %(max)d households."), field="households", max=MAX_HOUSEHOLDS
        )
    if not isinstance(raw_units, list) or len(raw_units) > MAX_UNITS:
        raise InvalidInput(N_("%(field)s: send at most %(max)d units."), field="units", max=MAX_UNITS)
    households: list[HouseholdInput] = []
    for h, raw in enumerate(raw_households):
        path = f"households[{h}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("members"), list) or not raw["members"]:
            errors.errors.append(
                (path, InvalidInput(N_("%(field)s: a household needs at least one member."), field=path))
            )
            continue
        if len(raw["members"]) > MAX_MEMBERS:
            errors.errors.append(
                (path, InvalidInput(N_("%(field)s: at most %(max)d members."), field=path, max=MAX_MEMBERS))
            )
            continue
        members = [
            validate_person(m, today=today, errors=errors, path=f"{path}.members[{i}]")
            for i, m in enumerate(raw["members"])
        ]
        heads = sum(1 for m in raw["members"] if isinstance(m, dict) and m.get("relation") == "户主")
        if heads != 1:
            errors.errors.append(
                (
                    f"{path}.members",
                    InvalidInput(
                        N_("%(field)s: a household has exactly one head (户主); it has %(count)d."),
                        field="relation",
                        count=heads,
                    ),
                )
            )
        number = errors.check(f"{path}.number", clean_text, raw.get("number"), field="number", max_length=40)
        households.append(HouseholdInput(raw.get("id"), number, [m for m in members if m is not None]))
    units = [
        u for i, raw in enumerate(raw_units) if (u := validate_unit(raw, errors=errors, path=f"units[{i}]"))
    ]
    if empty and households:
        errors.errors.append(
            (
                "empty",
                InvalidInput(
                    N_("%(field)s: an empty house has no households; remove them or untick “empty”."),
                    field="empty",
                ),
            )
        )
    if not empty and not households and not units:
        errors.errors.append(
            (
                "households",
                InvalidInput(
                    N_("%(field)s: register who lives here, add a unit, or mark the house empty."),
                    field="households",
                ),
            )
        )
    seen: dict[tuple, str] = {}
    documents = set()
    for h, household in enumerate(households):
        for i, m in enumerate(household.members):
            key = (m.id_type, m.id_number)
            if m.id_number is None:
                continue
            if key in seen:
                errors.errors.append(
                    (
                        f"households[{h}].members[{i}].id_number",
                        InvalidInput(
                            N_("%(field)s is entered twice in this house (also at %(other)s)."),
                            field="id_number",
                            other=seen[key],
                        ),
                    )
                )
            seen[key] = f"households[{h}].members[{i}]"
            documents.add(key)
    errors.raise_if_any()
    return building, empty, households, units, documents


def _refuse_people_registered_elsewhere(
    session: Session, building: Building, households: list[HouseholdInput], documents: set, moves: set[str]
) -> dict[tuple, Person]:
    """People whose document is registered at another house: refused unless the collector confirmed the move."""
    if not documents:
        return {}
    elsewhere = {
        (p.id_type, p.id_number): (p, address)
        for p, address in session.execute(
            select(Person, Building.address)
            .join(Building, Building.id == Person.building_id)
            .where(
                tuple_(Person.id_type, Person.id_number).in_(list(documents)),
                Person.building_id != building.id,
            )
        )
    }
    errors = Collector()
    to_move: dict[tuple, Person] = {}
    for h, household in enumerate(households):
        for i, m in enumerate(household.members):
            key = (m.id_type, m.id_number)
            if key not in elsewhere:
                continue
            person, address = elsewhere[key]
            if m.id_number in moves:
                to_move[key] = person
            else:
                errors.errors.append(
                    (
                        f"households[{h}].members[{i}].id_number",
                        InvalidInput(
                            N_(
                                "%(field)s: this person is registered as living at %(address)s. If they now live here, confirm the move; they will not be registered twice."
                            ),
                            field="id_number",
                            address=address,
                            person_id=person.id,
                        ),
                    )
                )
    errors.raise_if_any()
    return to_move


def submit_house(
    session: Session,
    scope: Scope,
    settings: Settings,
    building_id: int,
    payload: dict,
    *,
    today: date | None = None,
) -> dict:
    """Validate and store one house's collection; returns the answer (also replayed on retries)."""
    client_id = _client_id(payload)
    earlier = session.scalar(select(Visit).where(Visit.client_id == client_id))
    if earlier is not None:
        if earlier.building_id != building_id or earlier.user_id != scope.user_id:
            raise Conflict(N_("This submission id was already used for another house: reload the page."))
        return {**orjson.loads(earlier.response), "replayed": True}
    building = visible_building(session, scope, building_id)
    check_transition(building.status, Status.COLLECTED, scope.role)
    check_version(building, payload.get("version"), label="house")
    proof = _proof(payload.get("visit"))
    today = today or datetime.now(UTC).date()
    _unmask_kept_values(session, building.id, payload)
    house, empty, households, units, documents = _validate(payload, today)
    replace_units = "units" in payload  # a form without a units list leaves the house's units alone
    _check_employers(session, households)
    moves = {str(m) for m in payload.get("moves") or [] if isinstance(m, str)}
    to_move = _refuse_people_registered_elsewhere(session, building, households, documents, moves)

    before = {"status": building.status, "people": _people_count(session, building.id)}
    changes = _store(session, scope, building, households, units, to_move, replace_units=replace_units)
    for key, value in house.items():
        setattr(building, key, value)
    if empty:
        building.use = "empty"
    distance = metres_between(proof.lon, proof.lat, building.geom) if proof.lat is not None else None
    flag = assess_visit(distance, proof.accuracy_m, settings.visit_max_distance_m)
    now = utcnow()
    building.status = Status.COLLECTED.value
    building.return_reason = None
    building.collected_at = now
    building.updated_at = now
    building.visit_flag = flag.value if flag else None
    building.visit_distance_m = round(distance, 1) if distance is not None else None
    session.flush()
    people = sum(len(h.members) for h in households)
    answer = {
        "building_id": building.id,
        "status": building.status,
        "version": building.version,
        "visit_flag": building.visit_flag,
        "distance_m": building.visit_distance_m,
        "households": len(households),
        "people": people,
        "units": len(units),
        "empty": empty,
        "replayed": False,
    }
    session.add(
        Visit(
            client_id=client_id,
            building_id=building.id,
            user_id=scope.user_id,
            submitted_at=now,
            device_time=proof.device_time,
            lat=proof.lat,
            lon=proof.lon,
            accuracy_m=proof.accuracy_m,
            distance_m=distance,
            flag=building.visit_flag,
            empty=empty,
            people=people,
            response=orjson.dumps(answer).decode(),
        )
    )
    audit.record_by(
        session,
        scope,
        "house.submit",
        object_type="building",
        object_id=building.id,
        changes={
            "status": [before["status"], building.status],
            "people": [before["people"], people],
            "visit_flag": building.visit_flag,
            "distance_m": building.visit_distance_m,
            **changes,
        },
    )
    return answer


def _check_employers(session: Session, households: list[HouseholdInput]) -> None:
    """An employer must be a registered unit (anywhere in the town)."""
    wanted = {m.employer_unit_id for h in households for m in h.members if m.employer_unit_id is not None}
    known = set(session.scalars(select(Unit.id).where(Unit.id.in_(wanted)))) if wanted else set()
    errors = Collector()
    for h, household in enumerate(households):
        for i, m in enumerate(household.members):
            if m.employer_unit_id is not None and m.employer_unit_id not in known:
                errors.errors.append(
                    (f"households[{h}].members[{i}].employer_unit_id",
                     InvalidInput(N_("%(field)s: there is no unit %(value)s."), field="employer_unit_id", value=m.employer_unit_id))
                )  # fmt: skip
    errors.raise_if_any()


def _unmask_kept_values(session: Session, building_id: int, payload: dict) -> None:
    """The form shows stored ID numbers and phones masked; sent back unchanged, they keep their value."""
    stored = {p.id: p for p in session.scalars(select(Person).where(Person.building_id == building_id))}
    for household in payload.get("households") or []:
        for member in (household.get("members") or []) if isinstance(household, dict) else []:
            person = stored.get(member.get("id")) if isinstance(member, dict) else None
            if person is None:
                continue
            if member.get("id_number") and member["id_number"] == mask_id_number(person.id_number):
                member["id_number"] = person.id_number
            if member.get("phone") and member["phone"] == mask_phone(person.phone):
                member["phone"] = person.phone
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.building_id == building_id))}
    for raw in payload.get("units") or []:
        unit = units.get(raw.get("id")) if isinstance(raw, dict) else None
        if unit is not None and raw.get("phone") and raw["phone"] == mask_phone(unit.phone):
            raw["phone"] = unit.phone


def _people_count(session: Session, building_id: int) -> int:
    return len(session.scalars(select(Person.id).where(Person.building_id == building_id)).all())


def _store(session, scope, building, households, units, to_move, *, replace_units: bool = True) -> dict:
    """Replace the house's households, people and units with the submitted ones."""
    old_people = {p.id: p for p in session.scalars(select(Person).where(Person.building_id == building.id))}
    old_households = {
        h.id: h for h in session.scalars(select(Household).where(Household.building_id == building.id))
    }
    old_units = {u.id: u for u in session.scalars(select(Unit).where(Unit.building_id == building.id))}
    errors = Collector()
    kept_people, kept_households, kept_units = set(), set(), set()
    created, updated, moved = [], [], []
    unit_objects = []
    for i, u in enumerate(units):
        unit = old_units.get(u.id) if u.id is not None else None
        if u.id is not None and unit is None:
            errors.errors.append(
                (
                    f"units[{i}].id",
                    InvalidInput(N_("%(field)s: unit %(id)s is not in this house."), field="id", id=u.id),
                )
            )
            continue
        if u.uscc:
            clash = session.scalar(select(Unit.id).where(Unit.uscc == u.uscc, Unit.id != (u.id or 0)))
            if clash is not None:
                errors.errors.append(
                    (
                        f"units[{i}].uscc",
                        InvalidInput(N_("%(field)s is already registered for another unit."), field="uscc"),
                    )
                )
                continue
        if unit is None:
            unit = Unit(building_id=building.id, status=Status.COLLECTED.value)
            session.add(unit)
        for key in UNIT_FIELDS:
            setattr(unit, key, getattr(u, key))
        unit.status = Status.COLLECTED.value
        unit_objects.append(unit)
    for h, household_input in enumerate(households):
        household = old_households.get(household_input.id) if household_input.id is not None else None
        if household_input.id is not None and household is None:
            errors.errors.append(
                (
                    f"households[{h}].id",
                    InvalidInput(
                        N_("%(field)s: household %(id)s is not in this house."),
                        field="id",
                        id=household_input.id,
                    ),
                )
            )
            continue
        if household is None:
            household = Household(building_id=building.id)
            session.add(household)
        household.number = household_input.number
        session.flush()
        kept_households.add(household.id)
        for i, m in enumerate(household_input.members):
            path = f"households[{h}].members[{i}]"
            if m.id is not None:
                person = old_people.get(m.id)
                if person is None:
                    errors.errors.append(
                        (
                            f"{path}.id",
                            InvalidInput(
                                N_("%(field)s: person %(id)s is not in this house."), field="id", id=m.id
                            ),
                        )
                    )
                    continue
                updated.append(person.id)
            elif (m.id_type, m.id_number) in to_move:
                person = to_move[(m.id_type, m.id_number)]
                session.add(
                    PersonMove(
                        person_id=person.id,
                        from_building_id=person.building_id,
                        to_building_id=building.id,
                        at=utcnow(),
                        user_id=scope.user_id,
                    )
                )
                moved.append({"person": person.id, "from": person.building_id})
                person.building_id = building.id
            else:
                existing = next(
                    (
                        p
                        for p in old_people.values()
                        if m.id_number and (p.id_type, p.id_number) == (m.id_type, m.id_number)
                    ),
                    None,
                )
                person = existing or Person(building_id=building.id)
                if existing is None:
                    session.add(person)
                else:
                    updated.append(person.id)
            for key in PERSON_FIELDS:
                setattr(person, key, getattr(m, key))
            person.household_id = household.id
            session.flush()
            kept_people.add(person.id)
            if m.id is None and (m.id_type, m.id_number) not in to_move and person.id not in updated:
                created.append({"id": person.id, "id_number": mask_id_number(person.id_number)})
    errors.raise_if_any()
    removed = []
    for pid, person in old_people.items():
        if pid not in kept_people:
            removed.append({"id": pid, "name": person.name, "id_number": mask_id_number(person.id_number)})
            session.delete(person)
    session.flush()
    for hid, household in old_households.items():
        if hid not in kept_households:
            session.delete(household)
    kept_units = {u.id for u in unit_objects if u.id is not None}
    removed_units = [uid for uid in old_units if uid not in kept_units] if replace_units else []
    with_accounts = set(session.scalars(select(User.unit_id).where(User.unit_id.in_(removed_units))))
    if with_accounts:
        raise InvalidInput(
            N_("%(field)s: a unit with a reporter account cannot be removed here; ask the station office."),
            field="units",
        )
    for uid in removed_units:
        session.execute(
            Person.__table__.update().where(Person.employer_unit_id == uid).values(employer_unit_id=None)
        )
        session.delete(old_units[uid])
    session.flush()
    return {
        "created": created,
        "updated": sorted(set(updated)),
        "removed": removed,
        "moved": moved,
        "units": {"kept": sorted(u.id for u in unit_objects), "removed": removed_units},
    }
