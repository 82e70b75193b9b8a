"""Entering old records: headers, the register's words, address normalisation and matching,
households by 户号 or by head, in plain Python."""

from __future__ import annotations

import pytest

from geoapp.domain.address import UNNUMBERED
from geoapp.domain.entry import (
    AMBIGUOUS,
    EXACT,
    MATCHED,
    NORMALISED,
    UNMATCHED,
    AddressIndex,
    Place,
    household_keys,
    map_columns,
    missing_columns,
    normalise_address,
    person_data,
)


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("余坪镇上新村上新一巷12号", "上新村上新一巷12号"),
        ("余坪镇上新村上新一巷１２号", "上新村上新一巷12号"),  # full-width digits
        ("余坪镇 上新村 上新一巷 12 号", "上新村上新一巷12号"),  # spaces
        ("余坪镇上新村上新一巷12号楼", "上新村上新一巷12号"),
        ("余坪镇上新村上新一巷12栋", "上新村上新一巷12号"),
        ("余坪镇上新村上新一巷12弄", "上新村上新一巷12号"),
        ("余坪镇上新村上新一巷12", "上新村上新一巷12号"),  # no 号
        ("余坪上新村上新一巷12号", "余坪上新村上新一巷12号"),  # 余坪 without 镇: matched below
        ("余坪村新街12号", "余坪村新街12号"),  # the village 余坪村 keeps its name
        ("上新村上新一巷12号", "上新村上新一巷12号"),  # no town
        ("余坪镇上新村上新一巷1〇号", "上新村上新一巷10号"),  # 〇 for 0
        ("余坪镇上新村上新一巷3之1号", "上新村上新一巷3-1号"),
        ("余坪镇上新村上新一巷３－１号", "上新村上新一巷3-1号"),
        ("余坪镇上新村" + UNNUMBERED, "上新村" + UNNUMBERED),
        ("余坪镇上新村(未编门牌)", "上新村" + UNNUMBERED),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_address(written, normal):
    assert normalise_address(written) == normal


PLACES = [
    Place(1, "余坪镇上新村上新一巷12号", "上新村"),
    Place(2, "余坪镇上新村上新一巷14号", "上新村"),
    Place(3, "余坪镇下湾村新街12号", "下湾村"),
    Place(4, "余坪镇余坪村新街12号", "余坪村"),  # 新街12号 in two villages
    Place(5, "余坪镇上新村" + UNNUMBERED, "上新村"),
    Place(6, "余坪镇上新村" + UNNUMBERED, "上新村"),
]


@pytest.mark.parametrize(
    ("address", "outcome", "how", "candidates"),
    [
        ("余坪镇上新村上新一巷12号", MATCHED, EXACT, (1,)),
        (" 余坪镇上新村上新一巷12号 ", MATCHED, EXACT, (1,)),
        ("上新村上新一巷１２号楼", MATCHED, NORMALISED, (1,)),
        ("上新一巷14", MATCHED, NORMALISED, (2,)),  # the village left off
        ("余坪上新村上新一巷14号", MATCHED, NORMALISED, (2,)),  # the town without 镇
        ("余坪村新街１２号", MATCHED, NORMALISED, (4,)),
        ("上新上新一巷14号", MATCHED, NORMALISED, (2,)),  # 村 left off
        ("下湾村新街12号", MATCHED, NORMALISED, (3,)),
        ("新街12号", AMBIGUOUS, None, (3, 4)),  # which village?
        ("余坪镇上新村" + UNNUMBERED, AMBIGUOUS, None, (5, 6)),
        ("上新村(未编门牌)", AMBIGUOUS, None, (5, 6)),
        ("余坪镇上新村上新一巷99号", UNMATCHED, None, ()),
        ("", UNMATCHED, None, ()),
    ],
)
def test_match_exact_then_normalised_then_ambiguous_or_unmatched(address, outcome, how, candidates):
    match = AddressIndex(PLACES).match(address)
    assert (match.outcome, match.how, match.candidates) == (outcome, how, candidates)
    assert match.building_id == (candidates[0] if outcome == MATCHED else None)


def test_columns_by_chinese_or_english_headers():
    chinese = map_columns(
        ["序号", "姓名", "公民身份号码", "标准地址", "联系电话", "与户主关系", "户号", "民族"]
    )
    assert chinese == {
        "name": "姓名",
        "id_number": "公民身份号码",
        "address": "标准地址",
        "phone": "联系电话",
        "relation": "与户主关系",
        "household": "户号",
        "ethnicity": "民族",
    }
    english = map_columns(["Name", "ID Number", "Address ", "phone", "relation"])
    assert english["id_number"] == "ID Number" and english["address"] == "Address "
    assert missing_columns(map_columns(["*姓名", "证件号码"])) == ["address"]


def test_register_words_become_stored_codes():
    data = person_data(
        {
            "name": "张三",
            "id_type": "居民身份证",
            "relation": "本人",
            "residence_type": "流动人口",
            "sex": "男",
        }
    )
    assert (data["id_type"], data["relation"], data["residence_type"], data["sex"]) == (
        "resident_id",
        "户主",
        "floating",
        "male",
    )
    assert person_data({"relation": "配偶", "id_type": "passport"})["relation"] == "配偶"
    assert person_data({})["relation"] is None


def test_households_by_number_or_by_head():
    rows = [
        (1, None, "户主"),
        (1, None, "配偶"),
        (2, None, "子女"),  # no head before it at house 2: a household of its own
        (1, None, "户主"),  # a second household at house 1
        (1, None, "子女"),
        (3, "H7", "户主"),
        (3, "H7", "配偶"),
        (2, None, "配偶"),
    ]
    keys = household_keys(rows)
    assert keys[0] == keys[1] != keys[3] == keys[4]
    assert keys[2] == keys[7] and keys[2] != keys[0]
    assert keys[5] == keys[6] == (3, "number", "H7")
