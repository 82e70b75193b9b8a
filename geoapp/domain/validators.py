"""Validators for what a collector types: people, households, units.

Each check names the field, the rule and the fix; a form's problems are collected
together (``FormErrors``) so the collector sees all of them at once and keeps what
they typed. Nothing here touches Flask or the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import normalise_text, parse_resident_id, parse_uscc
from geoapp.domain.uses import BuildingUse, UnitKind

MAX_NAME = 50
MAX_TEXT = 200
ID_TYPES = ("resident_id", "passport", "hk_macao_taiwan", "foreign_permit", "other")
RESIDENCE_TYPES = ("registered", "floating", "foreign")  # 户籍人口 / 流动人口 / 境外人员
SEXES = ("male", "female")
RELATIONS = (
    "户主",
    "配偶",
    "子女",
    "父母",
    "祖父母",
    "孙子女",
    "兄弟姐妹",
    "儿媳",
    "女婿",
    "其他亲属",
    "租客",
    "其他",
)
ETHNICITY_RE = re.compile(r"^[\u4e00-\u9fff]{1,8}族?$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
DOCUMENT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


class FormErrors(InvalidInput):
    """Several field errors at once; ``errors`` is a list of (field path, InvalidInput)."""

    def __init__(self, errors: list[tuple[str, InvalidInput]]) -> None:
        self.errors = errors
        first = errors[0][0] if errors else None
        super().__init__(N_("%(count)d fields need correcting."), field=first, count=len(errors))


class Collector:
    """Gathers field errors under a path prefix, e.g. ``households[0].members[1]``."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, InvalidInput]] = []

    def check(self, path: str, fn, *args, **kwargs) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            self.errors.append((path, exc))
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormErrors(list(self.errors))


def clean_text(value: Any, *, field: str, required: bool = False, max_length: int = MAX_TEXT) -> str | None:
    """NFKC, trimmed; no control characters; length-limited."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
    else:
        raise InvalidInput(N_("%(field)s must be text."), field=field)
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidInput(N_("%(field)s contains control characters: retype it."), field=field)
    if not text:
        if required:
            raise InvalidInput(N_("%(field)s is required."), field=field)
        return None
    if len(text) > max_length:
        raise InvalidInput(
            N_("%(field)s has %(length)d characters; at most %(max)d are allowed."),
            field=field,
            length=len(text),
            max=max_length,
        )
    return text


def clean_phone(value: Any, *, field: str = "phone") -> str | None:
    """Mobile (11 digits, 1[3-9]…) or landline with area code; full-width digits converted."""
    text = clean_text(value, field=field, max_length=30)
    if text is None:
        return None
    digits = normalise_text(text).replace(" ", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not (MOBILE_RE.match(digits) or LANDLINE_RE.match(digits)):
        raise InvalidInput(
            N_(
                "%(field)s must be an 11-digit mobile number (1xxxxxxxxxx) or a landline with its area code (0xxx-xxxxxxx)."
            ),
            field=field,
        )
    return digits


def clean_choice(value: Any, choices, *, field: str, required: bool = True) -> str | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(N_("%(field)s is required."), field=field)
        return None
    if value not in choices:
        raise InvalidInput(
            N_("%(field)s must be one of %(choices)s."),
            field=field,
            choices=", ".join(str(c) for c in choices),
        )
    return value


def clean_date(value: Any, *, field: str, today: date) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(normalise_text(str(value)))
    except ValueError:
        raise InvalidInput(N_("%(field)s must be a date written YYYY-MM-DD."), field=field) from None
    if day > today or day.year < 1880:
        raise InvalidInput(N_("%(field)s (%(value)s) is not possible."), field=field, value=day.isoformat())
    return day


@dataclass(frozen=True)
class PersonInput:
    id: int | None
    name: str
    id_type: str
    id_number: str | None
    sex: str | None
    birth_date: date | None
    ethnicity: str | None
    phone: str | None
    hukou_address: str | None
    residence_type: str
    separated: bool
    relation: str
    employer_unit_id: int | None


def validate_person(data: dict, *, today: date, errors: Collector, path: str) -> PersonInput | None:
    """One person; sex and birth date come from a resident ID and must agree with what was typed."""
    if not isinstance(data, dict):
        errors.errors.append((path, InvalidInput(N_("%(field)s: send an object."), field=path)))
        return None
    before = len(errors.errors)
    p = f"{path}."
    name = errors.check(
        p + "name", clean_text, data.get("name"), field="name", required=True, max_length=MAX_NAME
    )
    id_type = errors.check(
        p + "id_type", clean_choice, data.get("id_type") or "resident_id", ID_TYPES, field="id_type"
    )
    residence = errors.check(
        p + "residence_type",
        clean_choice,
        data.get("residence_type") or "registered",
        RESIDENCE_TYPES,
        field="residence_type",
    )
    sex = errors.check(p + "sex", clean_choice, data.get("sex") or None, SEXES, field="sex", required=False)
    birth = errors.check(
        p + "birth_date", clean_date, data.get("birth_date"), field="birth_date", today=today
    )
    number = None
    if id_type == "resident_id":
        rid = errors.check(
            p + "id_number", parse_resident_id, data.get("id_number") or "", today=today, field="id_number"
        )
        if rid is not None:
            number = rid.number
            if sex and sex != rid.sex:
                errors.errors.append(
                    (
                        p + "sex",
                        InvalidInput(
                            N_("%(field)s does not match the ID number, which says %(expected)s."),
                            field="sex",
                            expected=rid.sex,
                        ),
                    )
                )
            if birth and birth != rid.birth_date:
                errors.errors.append(
                    (p + "birth_date", InvalidInput(N_("%(field)s does not match the ID number, which says %(expected)s."), field="birth_date", expected=rid.birth_date.isoformat()))
                )  # fmt: skip
            sex, birth = rid.sex, rid.birth_date
    elif id_type is not None:
        text = errors.check(
            p + "id_number",
            clean_text,
            data.get("id_number"),
            field="id_number",
            required=True,
            max_length=40,
        )
        if text is not None:
            number = normalise_text(text)
            if not DOCUMENT_RE.match(number):
                errors.errors.append(
                    (p + "id_number", InvalidInput(N_("%(field)s: a document number has 5 to 20 letters and digits."), field="id_number"))
                )  # fmt: skip
        if residence == "registered" and id_type in ("passport", "foreign_permit"):
            errors.errors.append(
                (p + "residence_type", InvalidInput(N_("%(field)s: a registered resident (户籍人口) is identified by a resident ID number."), field="residence_type"))
            )  # fmt: skip
    relation = errors.check(
        p + "relation", clean_choice, data.get("relation") or None, RELATIONS, field="relation"
    )
    ethnicity = errors.check(
        p + "ethnicity", clean_text, data.get("ethnicity"), field="ethnicity", max_length=10
    )
    if ethnicity and not ETHNICITY_RE.match(ethnicity):
        errors.errors.append(
            (
                p + "ethnicity",
                InvalidInput(
                    N_("%(field)s: write the ethnic group in Chinese, e.g. 汉族."), field="ethnicity"
                ),
            )
        )
    phone = errors.check(p + "phone", clean_phone, data.get("phone"), field="phone")
    hukou = errors.check(p + "hukou_address", clean_text, data.get("hukou_address"), field="hukou_address")
    separated = bool(data.get("separated"))
    employer = data.get("employer_unit_id")
    if employer not in (None, "") and not (isinstance(employer, int) or str(employer).isdigit()):
        errors.errors.append(
            (
                p + "employer_unit_id",
                InvalidInput(N_("%(field)s must be a unit number."), field="employer_unit_id"),
            )
        )
    person_id = data.get("id")
    if person_id is not None and not isinstance(person_id, int):
        errors.errors.append((p + "id", InvalidInput(N_("%(field)s must be a whole number."), field="id")))
    if len(errors.errors) > before:
        return None
    return PersonInput(
        id=person_id,
        name=name,
        id_type=id_type,
        id_number=number,
        sex=sex,
        birth_date=birth,
        ethnicity=ethnicity,
        phone=phone,
        hukou_address=hukou,
        residence_type=residence,
        separated=separated,
        relation=relation,
        employer_unit_id=int(employer) if employer not in (None, "") else None,
    )


@dataclass(frozen=True)
class UnitInput:
    id: int | None
    name: str
    uscc: str | None
    kind: str
    legal_rep: str | None
    phone: str | None
    staff: int | None


def validate_unit(data: dict, *, errors: Collector, path: str) -> UnitInput | None:
    if not isinstance(data, dict):
        errors.errors.append((path, InvalidInput(N_("%(field)s: send an object."), field=path)))
        return None
    before = len(errors.errors)
    p = f"{path}."
    name = errors.check(p + "name", clean_text, data.get("name"), field="name", required=True)
    uscc = None
    if data.get("uscc") not in (None, ""):
        uscc = errors.check(p + "uscc", parse_uscc, str(data.get("uscc")), field="uscc")
    kind = errors.check(
        p + "kind", clean_choice, data.get("kind") or "shop", [k.value for k in UnitKind], field="kind"
    )
    legal_rep = errors.check(
        p + "legal_rep", clean_text, data.get("legal_rep"), field="legal_rep", max_length=MAX_NAME
    )
    phone = errors.check(p + "phone", clean_phone, data.get("phone"), field="phone")
    staff = data.get("staff")
    if staff not in (None, ""):
        if not str(staff).isdigit() or int(staff) > 100_000:
            errors.errors.append(
                (p + "staff", InvalidInput(N_("%(field)s must be a whole number of people."), field="staff"))
            )
            staff = None
        else:
            staff = int(staff)
    else:
        staff = None
    if len(errors.errors) > before:
        return None
    return UnitInput(data.get("id"), name, uscc, kind, legal_rep, phone, staff)


def validate_use(value: Any, *, field: str = "use") -> str:
    return clean_choice(value or "dwelling", [u.value for u in BuildingUse], field=field)
