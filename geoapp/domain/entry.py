"""Entering old records (录入): a register of people read from a spreadsheet, each row
matched to a house by its standard address.

Plain Python: which column holds what (the people layer's aliases in ``domain/layers.py``),
the register's words for a document type, a relation or a residence type, the address
normalisation and the matching (exact, then normalised, else ambiguous or unmatched), and
how rows group into households. The service (``services/gis_io/importer/people.py``) reads
the file, looks the houses and ID numbers up and stores what the officer confirms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from geoapp.domain.address import TOWN_NAME, UNNUMBERED
from geoapp.domain.i18n import N_
from geoapp.domain.layers import REGISTRY

ALIASES: dict[str, tuple[str, ...]] = REGISTRY["people"].aliases
REQUIRED = ("name", "id_number", "address")
# Columns with no form field of their own (the others are named by ``domain/fields.py``).
COLUMN_LABELS = {"address": N_("Standard address"), "household": N_("Household number")}

# Row outcomes, in the order the review screen lists them.
MATCHED, AMBIGUOUS, UNMATCHED, INVALID, REGISTERED, REPEATED = (
    "matched",
    "ambiguous",
    "unmatched",
    "invalid",
    "registered",
    "repeated",
)
OUTCOMES = (MATCHED, AMBIGUOUS, UNMATCHED, INVALID, REGISTERED, REPEATED)
OUTCOME_LABELS = {
    MATCHED: N_("Matched to a house"),
    AMBIGUOUS: N_("Several houses fit"),
    UNMATCHED: N_("No house found"),
    INVALID: N_("Fields to correct"),
    REGISTERED: N_("Already registered"),
    REPEATED: N_("Repeated in the file"),
}
# How a matched row found its house.
EXACT, NORMALISED, CHOSEN = "exact", "normalised", "chosen"
HOW_LABELS = {
    EXACT: N_("exact address"),
    NORMALISED: N_("address after normalisation"),
    CHOSEN: N_("house chosen by the officer"),
}

# The register's words for the stored codes (the stored codes are accepted too).
ID_TYPE_WORDS = {
    "居民身份证": "resident_id",
    "身份证": "resident_id",
    "护照": "passport",
    "港澳台居民居住证": "hk_macao_taiwan",
    "港澳居民来往内地通行证": "hk_macao_taiwan",
    "台湾居民来往大陆通行证": "hk_macao_taiwan",
    "外国人永久居留身份证": "foreign_permit",
    "外国人居留许可": "foreign_permit",
    "其他": "other",
}
RESIDENCE_WORDS = {
    "户籍人口": "registered",
    "户籍": "registered",
    "常住人口": "registered",
    "流动人口": "floating",
    "流动": "floating",
    "暂住人口": "floating",
    "境外人员": "foreign",
    "境外": "foreign",
}
SEX_WORDS = {"男": "male", "女": "female"}
RELATION_WORDS = {
    "本人": "户主",
    "妻": "配偶",
    "妻子": "配偶",
    "夫": "配偶",
    "丈夫": "配偶",
    "子": "子女",
    "女": "子女",
    "儿子": "子女",
    "女儿": "子女",
    "长子": "子女",
    "次子": "子女",
    "长女": "子女",
    "次女": "子女",
    "父亲": "父母",
    "母亲": "父母",
    "孙子": "孙子女",
    "孙女": "孙子女",
    "兄": "兄弟姐妹",
    "弟": "兄弟姐妹",
    "姐": "兄弟姐妹",
    "妹": "兄弟姐妹",
}


def header_key(name: object) -> str:
    """A column header compared loosely: NFKC, no spaces or required-field stars, lower case."""
    text = unicodedata.normalize("NFKC", str(name))
    return re.sub(r"[\s*＊:：]+", "", text).lower()


def map_columns(headers: Sequence[object]) -> dict[str, object]:
    """Field → the file's column, for the fields the headers name (first hit wins)."""
    found: dict[str, object] = {}
    keys = [(header_key(h), h) for h in headers]
    for role, names in ALIASES.items():
        wanted = {header_key(n) for n in names}
        for key, header in keys:
            if key in wanted and header not in found.values():
                found[role] = header
                break
    return found


def missing_columns(columns: dict[str, object]) -> list[str]:
    return [r for r in REQUIRED if r not in columns]


def _word(value: str | None, words: dict[str, str]) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    return words.get(text, text) or None


def person_data(row: dict[str, str | None]) -> dict:
    """A register row (field → text) as ``validate_person`` takes it, the register's words
    turned into the stored codes (居民身份证 → resident_id, 本人 → 户主, 流动人口 → floating…)."""
    return {
        "name": row.get("name"),
        "id_type": _word(row.get("id_type"), ID_TYPE_WORDS),
        "id_number": row.get("id_number"),
        "sex": _word(row.get("sex"), SEX_WORDS),
        "birth_date": row.get("birth_date"),
        "ethnicity": row.get("ethnicity"),
        "phone": row.get("phone"),
        "hukou_address": row.get("hukou_address"),
        "residence_type": _word(row.get("residence_type"), RESIDENCE_WORDS),
        "relation": _word(row.get("relation"), RELATION_WORDS) or None,
    }


# -- addresses ----------------------------------------------------------------------------

_ZERO = str.maketrans({"〇": "0", "○": "0"})
_SPACES = re.compile(r"[\s\u3000·•．.,，、]+")
_DASH = re.compile(r"(?<=[0-9])\s*(?:之|—|－|–|-)\s*(?=[0-9])")
_DOOR_WORD = re.compile(r"([0-9]+(?:-[0-9]+)?)(?:号楼|号院|栋|幢|弄|號|号)?$")


def normalise_address(text: str | None, town: str = TOWN_NAME) -> str:
    """An address written as people write it, brought to the form of a standard address
    without the town: full-width digits and letters to ASCII, 〇/○ to 0, spaces and dots
    dropped, 12之1 and 12－1 to 12-1, a final 12号楼 / 12栋 / 12幢 / 12弄 / 12 to 12号, and
    the town (余坪镇) left off the front. ``""`` for an empty address."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).translate(_ZERO)
    s = _SPACES.sub("", s)
    s = _DASH.sub("-", s)
    s = s.replace("(", "（").replace(")", "）")
    if town and s.startswith(town):
        s = s[len(town) :]
    door = _DOOR_WORD.search(s)
    if door:
        s = s[: door.start()] + door.group(1) + "号"
    return s


def village_short(village: str) -> str:
    """上新村 → 上新: registers often leave off 村 (or 社区, 居委会)."""
    for suffix in ("村委会", "居委会", "社区", "村"):
        if village.endswith(suffix) and len(village) > len(suffix):
            return village[: -len(suffix)]
    return village


@dataclass(frozen=True)
class Place:
    """A house a row may be matched to: its id, standard address and village name."""

    building_id: int
    address: str
    village: str


@dataclass(frozen=True)
class Match:
    outcome: str  # MATCHED, AMBIGUOUS or UNMATCHED
    how: str | None = None  # EXACT or NORMALISED when matched
    candidates: tuple[int, ...] = ()  # building ids (one when matched)

    @property
    def building_id(self) -> int | None:
        return self.candidates[0] if self.outcome == MATCHED else None


@dataclass
class AddressIndex:
    """The town's houses by standard address, exact and normalised (with and without the village)."""

    places: Iterable[Place]
    town: str = TOWN_NAME
    exact: dict[str, list[int]] = field(default_factory=dict, init=False)
    normal: dict[str, list[int]] = field(default_factory=dict, init=False)
    no_village: dict[str, list[int]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for p in self.places:
            self.exact.setdefault(p.address.strip(), []).append(p.building_id)
            key = normalise_address(p.address, self.town)
            self.normal.setdefault(key, []).append(p.building_id)
            # 余坪上新村… (the town without 镇; not cut off the address: 余坪村 is a village)
            self.normal.setdefault(self.town.removesuffix("镇") + key, []).append(p.building_id)
            short = village_short(p.village)
            if short != p.village and key.startswith(p.village):
                self.normal.setdefault(short + key[len(p.village) :], []).append(p.building_id)
            if p.village and key.startswith(p.village):
                self.no_village.setdefault(key[len(p.village) :], []).append(p.building_id)
        self.places = ()

    def match(self, text: str | None) -> Match:
        """Exact first, then normalised (full-width digits, 号/弄/号楼, spaces, 〇, the town or
        village left off); several houses → ambiguous, none → unmatched. An address without
        a door number never picks one house of the many unnumbered ones."""
        raw = (text or "").strip()
        if not raw:
            return Match(UNMATCHED)
        hits = self.exact.get(raw, [])
        if len(hits) == 1 and UNNUMBERED not in raw:
            return Match(MATCHED, EXACT, (hits[0],))
        if hits:
            return Match(AMBIGUOUS, None, tuple(sorted(hits)))
        key = normalise_address(raw, self.town)
        for table in (self.normal, self.no_village):
            found = sorted(set(table.get(key, [])))
            if len(found) == 1 and UNNUMBERED not in key:
                return Match(MATCHED, NORMALISED, (found[0],))
            if found:
                return Match(AMBIGUOUS, None, tuple(found))
        return Match(UNMATCHED)


# -- households ---------------------------------------------------------------------------

HEAD = "户主"


def household_keys(rows: Sequence[tuple[int, str | None, str | None]]) -> list[tuple]:
    """Which household each row joins: rows are (building id, 户号, relation) in file order.

    With a 户号 the household is (house, 户号); without, a head (户主) starts a household of
    its house and the rows after it at the same house join it; rows before any head of
    their house form one household of their own."""
    keys: list[tuple] = []
    current: dict[int, tuple] = {}
    for index, (building, number, relation) in enumerate(rows):
        number = (number or "").strip() or None
        if number is not None:
            keys.append((building, "number", number))
        elif relation == HEAD or building not in current:
            current[building] = (building, "row", index)
            keys.append(current[building])
        else:
            keys.append(current[building])
    return keys
