"""National identifiers: resident ID (GB 11643), unified social credit code
(GB 32100, with its embedded GB 11714 organisation code) and division codes
(GB/T 2260 and 12-digit statistical codes).

Structure is checked, not only the check character: a code whose last character
is right can still be impossible (an authority W that does not exist, area 000000).
A wrong check character is reported without saying which character would pass:
the fix is to read the card again and find the mistyped character, not to change
the last one until the form accepts it. python-stdnum (``stdnum.cn.ric``,
``stdnum.cn.uscc``) is the tests' independent oracle.
"""

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
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code

# GB/T 2260 province-level divisions: the first two digits of every division code.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
    "21", "22", "23",  # 辽宁 吉林 黑龙江
    "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
    "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
    "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
    "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
    "71", "81", "82",  # 台湾 香港 澳门
})  # fmt: skip
# Registration at national level puts 100000 where the division code goes (GB 32100).
NATIONAL_REGION = "100000"
# GB 32100-2015 table 1 and the registration authorities assigned since: the first character
# (registration authority) → the second characters (organisation types) it may be followed by.
USCC_AUTHORITY_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办直接管理的群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国旅游部门常驻代表机构, 港澳台地区旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级、村级、乡镇级集体经济组织, 其他
    "Y": "1",  # 其他 (no further types)
}


def normalise_text(value: str) -> str:
    """Full-width digits and letters to ASCII (NFKC), spaces removed, upper case."""
    text = unicodedata.normalize("NFKC", value)
    return re.sub(r"\s+", "", text).upper()


def is_division_code(code: str) -> bool:
    """Six digits starting with a real province code (GB/T 2260). The rest is not looked
    up: the demo town's synthetic county 439901 must pass, and so must codes retired
    since a card was issued."""
    return len(code) == 6 and code.isdigit() and code[:2] in PROVINCE_CODES


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
    if not is_division_code(number[:6]):
        raise InvalidInput(
            N_(
                "%(field)s starts with %(area)s, which is not an area code: the first two digits must be a province code (GB/T 2260, 11 to 82). Check the first six digits."
            ),
            field=field,
            area=number[:6],
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
    if number[17] != id_check_char(number[:17]):
        raise InvalidInput(
            N_(
                "%(field)s fails the GB 11643 check character: a digit was misread or mistyped. Read the whole number again from the ID card, digit by digit."
            ),
            field=field,
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
    if code[17] != uscc_check_char(code[:17]):
        raise InvalidInput(
            N_(
                "%(field)s fails the GB 32100 check character: a character was misread or mistyped. Read the whole code again from the business licence, character by character."
            ),
            field=field,
        )
    _check_uscc_structure(code, field)
    return code


def _check_uscc_structure(code: str, field: str) -> None:
    """Authority and type (characters 1-2), division (3-8), organisation code (9-17)."""
    types = USCC_AUTHORITY_TYPES.get(code[0])
    if types is None:
        raise InvalidInput(
            N_(
                "%(field)s starts with %(char)s, which is no registration authority (GB 32100: 1 to 9, A, N or Y): check the first character."
            ),
            field=field,
            char=code[0],
        )
    if code[1] not in types:
        raise InvalidInput(
            N_(
                "%(field)s: %(char)s (2nd character) is not an organisation type of registration authority %(authority)s, which has types %(types)s: check the first two characters."
            ),
            field=field,
            char=code[1],
            authority=code[0],
            types=", ".join(types),
        )
    region = code[2:8]
    if not (is_division_code(region) or region == NATIONAL_REGION):
        raise InvalidInput(
            N_(
                "%(field)s: characters 3 to 8 (%(region)s) must be the division code of the registering office (GB/T 2260, six digits starting with a province code): check them."
            ),
            field=field,
            region=region,
        )
    organisation = code[8:17]
    if not is_organisation_code(organisation):
        raise InvalidInput(
            N_(
                "%(field)s: characters 9 to 17 (%(code)s) are not a valid organisation code (GB 11714 check): a character was misread or mistyped. Read the code again from the business licence."
            ),
            field=field,
            code=organisation,
        )


def org_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code's 8 body characters."""
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def is_organisation_code(code: str) -> bool:
    """A 9-character organisation code (GB 11714): 8 digits or capital letters and its check character."""
    return (
        len(code) == 9
        and all(c.isascii() and c.isalnum() and not c.islower() for c in code[:8])
        and code[8] == org_check_char(code[:8])
    )


def make_organisation_code(body8: str) -> str:
    """Complete 8 characters into a valid organisation code (demo data, tests)."""
    return body8 + org_check_char(body8)


def make_uscc(body17: str) -> str:
    """Complete 17 characters with the check character (demo data, tests). The result
    passes ``parse_uscc`` only if the 17 have the structure (authority, type, division,
    organisation code with its own check character)."""
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
