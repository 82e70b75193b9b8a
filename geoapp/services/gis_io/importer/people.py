"""Entering old records (录入): a register of people (Excel or CSV) stored as collected.

``plan_entry`` reads the file and sorts every row (matched to a house, ambiguous,
unmatched, fields to correct, already registered, repeated in the file) without storing
anything; ``confirm_entry`` stores the matched rows (and the ambiguous ones the officer
chose a house for) in the caller's transaction, all or nothing: new households grouped by
户号 or by the row's head, every person audited, each house collected (awaiting
verification). An ID number already registered is listed, never stored twice, so the same
file entered twice stores nothing new.
"""

from __future__ import annotations

import io
import re
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain import entry
from geoapp.domain.errors import Conflict, Forbidden, ImportRefused, InvalidInput
from geoapp.domain.house_changes import IMPORT
from geoapp.domain.i18n import N_
from geoapp.domain.roles import REVIEW_ROLES, Scope, mask_id_number, mask_phone
from geoapp.domain.status import Status, check_transition
from geoapp.domain.validators import Collector, PersonInput, validate_person
from geoapp.services.accounts import audit, budget
from geoapp.services.accounts.audit import utcnow
from geoapp.services.gis_io.importer.job import import_limits
from geoapp.store.models import Building, Household, Person, Village

EXCEL = (".xlsx", ".xlsm")
CSV = (".csv", ".txt")
CHUNK = 500
NUMERIC_ID = "_numeric_id"


@dataclass
class EntryRow:
    row: int  # the spreadsheet's row number (the header is row 1)
    name: str | None
    id_number: str | None  # masked
    phone: str | None  # masked
    address: str
    relation: str | None
    household: str | None
    outcome: str = entry.UNMATCHED
    how: str | None = None
    building_id: int | None = None
    building_address: str | None = None
    candidates: list[tuple[int, str]] = field(default_factory=list)  # (house, address) when ambiguous
    errors: list[tuple[str, InvalidInput]] = field(default_factory=list)  # (field, rule)
    registered_at: str | None = None  # the house's address
    repeats: int | None = None  # the earlier row with the same ID number
    person: PersonInput | None = None


@dataclass
class EntryPlan:
    file: str
    rows: list[EntryRow]
    stored: int = 0
    households: int = 0
    houses: int = 0

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(entry.OUTCOMES, 0)
        for r in self.rows:
            out[r.outcome] += 1
        return out

    def by_outcome(self, outcome: str) -> list[EntryRow]:
        return [r for r in self.rows if r.outcome == outcome]


# -- reading ------------------------------------------------------------------------------


def _refuse(template: str, file: str, **params) -> ImportRefused:
    return ImportRefused(template, field=file, **params)


def _cell(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", text):
        text = text[:10]
    return text or None


def read_register(data: bytes, filename: str, settings: Settings) -> list[tuple[int, dict[str, str | None]]]:
    """The rows of a register, (row number, field → text), blank rows left out. Refuses a
    file past the import limits, of another format, or without the name, ID number and
    address columns, naming what is wrong and the headers that are understood."""
    limits = import_limits(settings)
    suffix = Path(filename).suffix.lower()
    if len(data) > limits.max_bytes:
        raise _refuse(N_("%(field)s is larger than %(max)s MB, the import limit (GEOAPP_IMPORT_MAX_MB): split it."),
                      filename, max=f"{limits.max_bytes / 1024 / 1024:g}")  # fmt: skip
    try:
        if suffix in EXCEL:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if sum(i.file_size for i in archive.infolist()) > limits.max_bytes:
                    raise _refuse(N_("%(field)s expands to more than %(max)s MB, the import limit (GEOAPP_IMPORT_MAX_MB): split it."),
                                  filename, max=f"{limits.max_bytes / 1024 / 1024:g}")  # fmt: skip
            frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
        elif suffix in CSV:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            raise _refuse(N_("%(field)s: choose an Excel workbook (.xlsx) or a CSV file (UTF-8 or GB18030)."), filename)  # fmt: skip
    except ImportRefused:
        raise
    except (ValueError, zipfile.BadZipFile, UnicodeDecodeError, pd.errors.ParserError, KeyError, OSError):
        raise _refuse(N_("%(field)s could not be read as a table: save it again as .xlsx or as CSV (UTF-8)."), filename) from None  # fmt: skip
    columns = entry.map_columns(list(frame.columns))
    missing = entry.missing_columns(columns)
    if missing:
        names = "; ".join(f"{m}: {'/'.join(entry.ALIASES[m][:4])}" for m in missing)
        raise _refuse(N_("%(field)s has no column for %(names)s: name the columns in the first row."), filename, names=names)  # fmt: skip
    if len(frame) > limits.max_features:
        raise _refuse(N_("%(field)s has %(rows)d rows, more than the import limit of %(max)d (GEOAPP_IMPORT_MAX_FEATURES): split it."),
                      filename, rows=len(frame), max=limits.max_features)  # fmt: skip
    rows = []
    for index, record in enumerate(frame.to_dict("records")):
        values = {role: _cell(record.get(column)) for role, column in columns.items()}
        if any(values.values()):
            if isinstance(record.get(columns["id_number"]), int | float):
                values[NUMERIC_ID] = "1"  # Excel kept it as a number: past 15 digits they are lost
            rows.append((index + 2, values))
    return rows


# -- sorting the rows -----------------------------------------------------------------------


def _authorise(scope: Scope) -> None:
    if scope.role not in REVIEW_ROLES:
        raise Forbidden(N_("Only the station's officers and administrators enter old records."))


def address_index(session: Session) -> tuple[entry.AddressIndex, dict[int, str]]:
    rows = session.execute(
        select(Building.id, Building.address, Village.name).join(Village, Village.id == Building.village_id)
    ).all()
    return entry.AddressIndex(entry.Place(b, a, v) for b, a, v in rows), {b: a for b, a, _ in rows}


def _registered(session: Session, numbers: set[str]) -> dict[tuple[str, str], str]:
    """(document type, number) → the address of the house where it is registered."""
    found: dict[tuple[str, str], str] = {}
    wanted = sorted(numbers)
    for start in range(0, len(wanted), CHUNK):
        for id_type, number, address in session.execute(
            select(Person.id_type, Person.id_number, Building.address)
            .join(Building, Building.id == Person.building_id)
            .where(Person.id_number.in_(wanted[start : start + CHUNK]))
        ):
            found[(id_type, number)] = address
    return found


def plan_entry(
    session: Session,
    scope: Scope,
    settings: Settings,
    data: bytes,
    filename: str,
    *,
    choices: dict[int, int] | None = None,
    today: date | None = None,
    charge: bool = True,
) -> EntryPlan:
    """Sort the register's rows; nothing is stored. ``choices`` (row → house) settle
    ambiguous rows. The rows shown are charged to the caller's people budget (``charge``;
    inside a write transaction)."""
    _authorise(scope)
    file = Path(filename).name
    raw_rows = read_register(data, file, settings)
    if charge and scope.user_id is not None:
        budget.charge_people(session, scope, settings, len(raw_rows))
    today = today or datetime.now(UTC).date()
    choices = choices or {}
    index, addresses = address_index(session)
    rows: list[EntryRow] = []
    for number, values in raw_rows:
        errors = Collector()
        person = validate_person(entry.person_data(values), today=today, errors=errors, path="row")
        numeric = values.get(NUMERIC_ID) and len(values.get("id_number") or "") > 15
        if numeric and any(path == "row.id_number" for path, _ in errors.errors):
            errors.errors = [e for e in errors.errors if e[0] != "row.id_number"] + [("row.id_number", InvalidInput(
                N_("%(field)s was saved as a number in Excel, which keeps only 15 digits: format the column as text, type the numbers again and upload the file again."),
                field="id_number"))]  # fmt: skip
            person = None
        rows.append(
            EntryRow(
                row=number,
                name=values.get("name"),
                id_number=mask_id_number(values.get("id_number")),
                phone=mask_phone(values.get("phone")),
                address=values.get("address") or "",
                relation=person.relation if person else values.get("relation"),
                household=values.get("household"),
                errors=[(path.removeprefix("row."), err) for path, err in errors.errors],
                person=person,
            )
        )
    registered = _registered(session, {r.person.id_number for r in rows if r.person and r.person.id_number})
    seen: dict[tuple, int] = {}
    for r in rows:
        if r.errors:
            r.outcome = entry.INVALID
            continue
        key = (r.person.id_type, r.person.id_number)
        if key in registered:
            r.outcome, r.registered_at = entry.REGISTERED, registered[key]
            continue
        if r.person.id_number and key in seen:
            r.outcome, r.repeats = entry.REPEATED, seen[key]
            continue
        if r.person.id_number:
            seen[key] = r.row
        match = index.match(r.address)
        r.outcome, r.how = match.outcome, match.how
        if match.outcome == entry.AMBIGUOUS:
            r.candidates = [(b, addresses[b]) for b in match.candidates]
            chosen = choices.get(r.row)
            if chosen is not None:
                if chosen not in match.candidates:
                    raise InvalidInput(N_("%(field)s: house %(value)s is not one of the houses the address fits."),
                                       field=f"row {r.row}", value=chosen)  # fmt: skip
                r.outcome, r.how, r.building_id = entry.MATCHED, entry.CHOSEN, chosen
        elif match.outcome == entry.MATCHED:
            r.building_id = match.building_id
        if r.building_id is not None:
            r.building_address = addresses[r.building_id]
    return EntryPlan(file, rows)


# -- storing --------------------------------------------------------------------------------


def confirm_entry(
    session: Session,
    scope: Scope,
    settings: Settings,
    data: bytes,
    filename: str,
    *,
    choices: dict[int, int] | None = None,
    today: date | None = None,
) -> EntryPlan:
    """Store the matched rows (and the ambiguous ones with a chosen house) in the caller's
    transaction; returns the plan with what was stored. Rows not matched are left out and
    stay listed; the houses receiving people become collected, awaiting verification."""
    plan = plan_entry(session, scope, settings, data, filename, choices=choices, today=today, charge=False)
    matched = plan.by_outcome(entry.MATCHED)
    if not matched:
        return plan
    keys = entry.household_keys([(r.building_id, r.household, r.relation) for r in matched])
    houses = {
        b.id: b
        for b in session.scalars(select(Building).where(Building.id.in_({r.building_id for r in matched})))
    }
    for house in houses.values():
        check_transition(house.status, Status.COLLECTED, scope.role)
    existing = {
        (h.building_id, h.number): h
        for h in session.scalars(
            select(Household).where(Household.building_id.in_(houses), Household.number.is_not(None))
        )
    }
    counts_before = dict(
        session.execute(
            select(Person.building_id, func.count(Person.id))
            .where(Person.building_id.in_(houses))
            .group_by(Person.building_id)
        ).all()
    )
    households: dict[tuple, Household] = {}
    for r, key in zip(matched, keys, strict=True):
        if key not in households:
            found = existing.get((r.building_id, r.household)) if key[1] == "number" else None
            households[key] = found or Household(
                building_id=r.building_id, number=r.household if key[1] == "number" else None
            )
    new_households = [h for h in households.values() if h.id is None]
    session.add_all(new_households)
    session.flush()  # one round of inserts for the households, one for the people
    created = len(new_households)
    stored = []
    for r, key in zip(matched, keys, strict=True):
        p = r.person
        stored.append(Person(building_id=r.building_id, household_id=households[key].id, name=p.name,
                             id_type=p.id_type, id_number=p.id_number, sex=p.sex, birth_date=p.birth_date,
                             ethnicity=p.ethnicity, phone=p.phone, hukou_address=p.hukou_address,
                             residence_type=p.residence_type, separated=p.separated, relation=p.relation))  # fmt: skip
    session.add_all(stored)
    try:
        session.flush()
    except IntegrityError:  # registered by someone else since the rows were sorted (uq_person_document)
        raise Conflict(N_("Someone registered some of these people while the file was being stored; nothing was stored: read the file again to see them.")) from None  # fmt: skip
    added: dict[int, list[dict]] = {b: [] for b in houses}
    for r, person in zip(matched, stored, strict=True):
        masked = mask_id_number(person.id_number)
        added[r.building_id].append({"id": person.id, "name": person.name, "id_number": masked})
        audit.record_by(session, scope, "person.import", object_type="person", object_id=person.id,
                        changes={"file": plan.file, "row": r.row, "building": r.building_id,
                                 "address": r.building_address, "match": r.how, "name": person.name,
                                 "id_number": masked, "household": person.household_id})  # fmt: skip
    now = utcnow()
    for house in houses.values():
        before_people = counts_before.get(house.id, 0)
        audit.record_by(session, scope, IMPORT, object_type="building", object_id=house.id,
                        changes={"status": [house.status, Status.COLLECTED.value], "file": plan.file,
                                 "people": [before_people, before_people + len(added[house.id])],
                                 "created": added[house.id]})  # fmt: skip
    ids = sorted(houses)
    for start in range(0, len(ids), CHUNK):  # one statement per chunk, not one per house
        session.execute(
            update(Building)
            .where(Building.id.in_(ids[start : start + CHUNK]))
            .values(status=Status.COLLECTED.value, return_reason=None, collected_at=now, updated_at=now,
                    first_collected_at=func.coalesce(Building.first_collected_at, now), verified_at=None,
                    submitted_by=scope.user_id, visit_flag=None, visit_distance_m=None,
                    version=Building.version + 1)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    for house in houses.values():
        session.expire(house)
    session.flush()
    plan.stored, plan.households, plan.houses = len(matched), created, len(houses)
    audit.record_by(session, scope, "people.import", object_type="people",
                    changes={"file": plan.file, "rows": len(plan.rows), "stored": plan.stored,
                             "households": created, "houses": len(houses), **{k: v for k, v in plan.counts().items() if k != entry.MATCHED}})  # fmt: skip
    return plan


# -- uploads awaiting confirmation (the web page) ---------------------------------------------

STAGING = Path(tempfile.gettempdir()) / "geoapp-entry"
STAGE_HOURS = 12
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def stage_upload(user_id: int, filename: str, data: bytes, directory: Path = STAGING) -> str:
    """Keep an uploaded register until its uploader confirms it; returns its token."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    cutoff = time.time() - STAGE_HOURS * 3600
    for old in directory.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    (directory / f"{user_id}-{token}.data").write_bytes(data)
    (directory / f"{user_id}-{token}.name").write_text(Path(filename).name[:200], encoding="utf-8")
    return token


def staged_upload(user_id: int, token: str, directory: Path = STAGING) -> tuple[str, bytes]:
    """(file name, bytes) of an upload of this user; NotFound-like InvalidInput when gone."""
    base = directory / f"{user_id}-{token}"
    if not _TOKEN.fullmatch(token or "") or not base.with_suffix(".data").exists():
        raise InvalidInput(N_("%(field)s: this upload has expired or was already stored: upload the file again."), field="file")  # fmt: skip
    return base.with_suffix(".name").read_text(encoding="utf-8"), base.with_suffix(".data").read_bytes()


def drop_upload(user_id: int, token: str, directory: Path = STAGING) -> None:
    if _TOKEN.fullmatch(token or ""):
        for suffix in (".data", ".name"):
            (directory / f"{user_id}-{token}{suffix}").unlink(missing_ok=True)


# -- the report (command line; the page shows the same sorting) -------------------------------


def report(plan: EntryPlan, translate, *, dry_run: bool) -> list[str]:
    """The plan as lines for the command line: counts, then each row not stored and why."""
    c = plan.counts()
    t = translate
    lines = [
        t(N_("%(file)s: %(rows)d rows: %(matched)d matched to a house, %(ambiguous)d fit several houses, %(unmatched)d with no house found, %(invalid)d with fields to correct, %(registered)d already registered, %(repeated)d repeated in the file."))
        % {"file": plan.file, "rows": len(plan.rows), **c}
    ]  # fmt: skip
    for r in plan.rows:
        who = {"row": r.row, "name": r.name or "?"}
        if r.outcome == entry.MATCHED and dry_run:
            lines.append(t(N_("Row %(row)d (%(name)s): house %(house)d, %(address)s (%(how)s)."))
                         % {**who, "house": r.building_id, "address": r.building_address, "how": t(entry.HOW_LABELS[r.how])})  # fmt: skip
        elif r.outcome == entry.AMBIGUOUS:
            houses = "; ".join(f"{b} {a}" for b, a in r.candidates[:10])
            lines.append(t(N_("Row %(row)d (%(name)s): several houses fit %(address)s (%(houses)s): choose one with --choose %(row)d=HOUSE."))
                         % {**who, "address": r.address, "houses": houses})  # fmt: skip
        elif r.outcome == entry.UNMATCHED:
            lines.append(t(N_("Row %(row)d (%(name)s): no house has the address %(address)s: check it against the door plate."))
                         % {**who, "address": r.address or "-"})  # fmt: skip
        elif r.outcome == entry.INVALID:
            lines.append(t(N_("Row %(row)d (%(name)s): %(errors)s"))
                         % {**who, "errors": " ".join(err.render(translate) for _, err in r.errors)})  # fmt: skip
        elif r.outcome == entry.REGISTERED:
            lines.append(t(N_("Row %(row)d (%(name)s): already registered at %(address)s; not entered again."))
                         % {**who, "address": r.registered_at})  # fmt: skip
        elif r.outcome == entry.REPEATED:
            lines.append(t(N_("Row %(row)d (%(name)s): the same ID number as row %(first)d; not entered twice."))
                         % {**who, "first": r.repeats})  # fmt: skip
    if dry_run:
        lines.append(t(N_("Dry run: nothing was stored. Without --dry-run the %(matched)d matched rows are stored.")) % c)  # fmt: skip
    else:
        lines.append(t(N_("Stored %(stored)d people in %(households)d new households at %(houses)d houses, collected and awaiting verification."))
                     % {"stored": plan.stored, "households": plan.households, "houses": plan.houses})  # fmt: skip
    return lines
