"""National identifiers: resident ID (GB 11643), unified social credit code
(GB 32100) and division codes (GB/T 2260 and 12-digit statistical codes)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_text(value: str) -> str:
    """Full-width digits and letters to ASCII (NFKC), spaces removed, upper case."""
    text = unicodedata.normalize("NFKC", value)
    return re.sub(r"\s+", "", text).upper()


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # "male" | "female"
    area_code: str


def parse_resident_id(value: str, *, today: date | None = None, field: str = "id_number") -> ResidentId:
    """Validate a resident ID number; 15-digit legacy numbers are converted to 18.

    Raises InvalidInput naming the field, the rule broken and how to fix it.
    """
    number = normalise_text(value or "")
    if not number:
        raise InvalidInput(
            N_("%(field)s is required: type the 18-character resident ID number."), field=field
        )
    if len(number) == 15 and number.isdigit():
        first17 = number[:6] + "19" + number[6:15]
        number = first17 + id_check_char(first17)
    if len(number) != 18:
        raise InvalidInput(
            N_("%(field)s must have 18 characters, it has %(length)d: check for a missing or extra digit."),
            field=field,
            length=len(number),
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidInput(
            N_("%(field)s may hold only digits, with X allowed as the last character."),
            field=field,
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput(
            N_("%(field)s holds the birth date %(digits)s, which does not exist: check digits 7 to 14."),
            field=field,
            digits=number[6:14],
        ) from None
    today = today or date.today()
    if birth > today or birth.year < 1880:
        raise InvalidInput(
            N_("%(field)s holds the birth date %(digits)s, which is not possible: check digits 7 to 14."),
            field=field,
            digits=number[6:14],
        )
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidInput(
            N_(
                "%(field)s fails the GB 11643 check character (last character should be %(expected)s): one of the digits is wrong."
            ),
            field=field,
            expected=expected,
        )
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, birth_date=birth, sex=sex, area_code=number[:6])


def make_resident_id(area_code: str, birth: date, sequence: int) -> str:
    """Build a valid 18-character ID number (used by the demo and by tests)."""
    first17 = f"{area_code}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_check_char(first17)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def parse_uscc(value: str, *, field: str = "uscc") -> str:
    """Validate a unified social credit code (GB 32100-2015); returns it normalised."""
    code = normalise_text(value or "")
    if len(code) != 18:
        raise InvalidInput(
            N_("%(field)s must have 18 characters, it has %(length)d."),
            field=field,
            length=len(code),
        )
    bad = sorted({c for c in code if c not in USCC_CHARS})
    if bad:
        raise InvalidInput(
            N_(
                "%(field)s contains %(chars)s; a credit code uses digits and capital letters except I, O, Z, S and V."
            ),
            field=field,
            chars="".join(bad),
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidInput(
            N_(
                "%(field)s fails the GB 32100 check character (last character should be %(expected)s): one character is wrong."
            ),
            field=field,
            expected=expected,
        )
    return code


def make_uscc(body17: str) -> str:
    """Complete 17 characters into a valid credit code (demo data, tests)."""
    return body17 + uscc_check_char(body17)


def parse_village_code(value: object, *, field: str = "code") -> str:
    """A 12-digit statistical division code (GB/T 2260 county + township + village)."""
    code = normalise_text(str(value if value is not None else ""))
    if code.endswith(".0"):  # numbers read from spreadsheets
        code = code[:-2]
    if len(code) != 12 or not code.isdigit():
        raise InvalidInput(
            N_(
                "%(field)s must be a 12-digit division code (6-digit county, 3-digit township, 3-digit village), got %(value)s."
            ),
            field=field,
            value=code or "—",
        )
    return code
