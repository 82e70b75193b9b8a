"""Standard addresses and the door-number rule along a street (左单右双), in plain Python."""

from __future__ import annotations

import pytest

from geoapp.domain.address import (
    LEFT,
    RIGHT,
    UNNUMBERED,
    Frontage,
    address_taken,
    door_number,
    door_text,
    next_free,
    propose_doors,
    standard_address,
    street_door,
    with_door,
)
from geoapp.domain.errors import Conflict, InvalidInput


def test_standard_address_joins_town_village_street_and_door():
    assert standard_address("余坪镇", "上新村", "上新一巷", "12") == "余坪镇上新村上新一巷12号"
    assert standard_address("余坪镇", "上新村", None, "12号") == "余坪镇上新村12号"
    assert standard_address("余坪镇", "上新村", "新街", None) == "余坪镇上新村新街" + UNNUMBERED
    assert door_text("7") == "7号" and door_text("") == "" and door_text(None) == ""


@pytest.mark.parametrize(
    ("door", "number"),
    [("12号", 12), ("12", 12), ("１２号", 12), ("12-1号", 12), (" 3之1号", 3), ("东侧", None), (None, None)],
)
def test_door_number_reads_the_leading_number(door, number):
    assert door_number(door) == number


def test_street_door_counts_only_addresses_on_that_street():
    prefix = "余坪镇余坪村新街"
    assert street_door("余坪镇余坪村新街12号", prefix) == 12
    assert street_door("余坪镇余坪村新街12-1号", prefix) == 12
    assert street_door("余坪镇余坪村新街口路3号", prefix) is None  # another street whose name starts alike
    assert street_door("余坪镇余坪村老街3号", prefix) is None


def test_with_door_replaces_only_the_door():
    assert with_door("余坪镇余坪村新街12号", "12号", "14号") == "余坪镇余坪村新街14号"
    assert with_door("余坪镇余坪村新街" + UNNUMBERED, None, "5") == "余坪镇余坪村新街5号"
    assert with_door("余坪镇余坪村新街5号", "5号", None) == "余坪镇余坪村新街" + UNNUMBERED
    assert with_door("某某路旁", "5号", "6号") is None  # not a standard address: written anew by the caller


def test_address_taken_names_the_address_and_the_house():
    text = address_taken("余坪镇余坪村新街5号", 42).render()
    assert "余坪镇余坪村新街5号" in text and "42" in text
    assert isinstance(address_taken("x"), Conflict)


def _street(*rows):
    return [Frontage(i, side, at, door) for i, (side, at, door) in enumerate(rows, start=1)]


def test_new_numbers_continue_after_the_highest_of_each_side_in_street_order():
    frontage = _street(
        (LEFT, 50.0, None),  # 1
        (LEFT, 10.0, "1号"),  # 2
        (RIGHT, 30.0, None),  # 3
        (LEFT, 20.0, None),  # 4
        (RIGHT, 5.0, None),  # 5
        (RIGHT, 60.0, "东侧"),  # 6: a door without a number is not renumbered
    )
    assert propose_doors(frontage, [1, 8]) == {4: 3, 1: 5, 5: 10, 3: 12}


def test_an_empty_street_starts_at_one_and_two():
    frontage = _street((RIGHT, 1.0, None), (LEFT, 2.0, None), (LEFT, 3.0, None))
    assert propose_doors(frontage, []) == {2: 1, 3: 3, 1: 2}
    assert next_free([], LEFT) == 1 and next_free([], RIGHT) == 2 and next_free([7, 4, 9], LEFT) == 11


def test_chosen_first_numbers_are_used_and_checked():
    frontage = _street((LEFT, 1.0, None), (RIGHT, 1.0, None))
    assert propose_doors(frontage, [1, 2], start_odd=101, start_even=200) == {1: 101, 2: 200}
    with pytest.raises(InvalidInput) as bad:
        propose_doors(frontage, [], start_odd=4)
    assert bad.value.field == "start_odd" and "odd" in bad.value.render()
    with pytest.raises(InvalidInput) as bad:
        propose_doors(frontage, [], start_even=3)
    assert bad.value.field == "start_even" and "even" in bad.value.render()
    with pytest.raises(InvalidInput):
        propose_doors(frontage, [], start_odd=0)
    with pytest.raises(InvalidInput) as bad:
        propose_doors(_street(*[(LEFT, float(i), None) for i in range(3)]), [], start_odd=99_997)
    assert "99999" in bad.value.render()
