from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoapp.domain.errors import InvalidInput
from geoapp.domain.identifiers import (
    USCC_CHARS,
    id_check_char,
    make_resident_id,
    make_uscc,
    parse_resident_id,
    parse_uscc,
    parse_village_code,
)

TODAY = date(2016, 6, 1)


def test_standard_sample_is_valid_female_born_1949():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "female"
    assert rid.area_code == "110105"


def test_lowercase_x_fullwidth_digits_and_spaces_are_normalised():
    assert parse_resident_id(" １１０１０５ 19491231002x", today=TODAY).number == "11010519491231002X"


def test_legacy_15_digit_number_is_converted():
    rid = parse_resident_id("110105491231002", today=TODAY)
    assert rid.number == "11010519491231002X"


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("110105194912310021", "check character"),
        ("11010519990230002X", "does not exist"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100A2", "only digits"),
        ("", "required"),
    ],
)
def test_bad_resident_ids_name_the_field_and_rule(value, fragment):
    with pytest.raises(InvalidInput) as err:
        parse_resident_id(value, today=TODAY, field="身份证号")
    assert err.value.field == "身份证号"
    assert fragment in str(err.value)


def test_future_birth_date_is_refused():
    number = make_resident_id("430101", date(2017, 1, 1), 11)
    with pytest.raises(InvalidInput, match="not possible"):
        parse_resident_id(number, today=TODAY)


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_any_17_digits_with_a_real_date_and_computed_check_validate(area, birth, sequence):
    first17 = f"{area}{birth:%Y%m%d}{sequence}"
    rid = parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    assert rid.birth_date == birth
    assert rid.sex == ("male" if int(sequence[-1]) % 2 else "female")


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_any_17_digits_with_computed_check_never_fail_the_check(first17):
    try:
        parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    except InvalidInput as err:
        assert "check character" not in str(err)


@given(st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_fails(position, delta):
    number = "11010519491231002X"
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(InvalidInput):
        parse_resident_id(changed, today=TODAY)


def test_uscc_sample_and_generated_codes_validate():
    assert parse_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert parse_uscc(make_uscc("92439901ABCDEFGH1")) == make_uscc("92439901ABCDEFGH1")


@pytest.mark.parametrize("bad", ["91350100M000100Y44", "91350100I000100Y43", "91350100M00010Y43"])
def test_bad_uscc_is_refused(bad):
    with pytest.raises(InvalidInput):
        parse_uscc(bad)


@given(st.text(alphabet=USCC_CHARS, min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 30))
def test_uscc_single_character_change_fails(body, position, delta):
    code = make_uscc(body)
    changed_char = USCC_CHARS[(USCC_CHARS.index(code[position]) + delta) % 31]
    with pytest.raises(InvalidInput):
        parse_uscc(code[:position] + changed_char + code[position + 1 :])


def test_village_code_must_have_12_digits():
    assert parse_village_code("439901101201") == "439901101201"
    assert parse_village_code(439901101201.0) == "439901101201"
    with pytest.raises(InvalidInput, match="12-digit"):
        parse_village_code("4399011012")
