import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent

from geoapp.domain.errors import InvalidInput
from geoapp.domain.identifiers import (
    USCC_CHARS,
    id_check_char,
    is_organisation_code,
    make_organisation_code,
    make_resident_id,
    make_uscc,
    org_check_char,
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


PROVINCES = st.sampled_from(sorted(p for _, p, _, _, _ in numdb.get("cn/loc").prefixes))


@given(
    st.tuples(PROVINCES, st.text(alphabet="0123456789", min_size=4, max_size=4)).map("".join),
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
    assert parse_uscc(make_uscc("92439901ABCDEFGH5")) == make_uscc("92439901ABCDEFGH5")


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


# -- structure, cross-checked against python-stdnum ------------------------------------------------

# Real GB/T 2260 codes as python-stdnum lists them (province + 4 digits), and the provinces.
_LOC = numdb.get("cn/loc").prefixes
REAL_AREAS = sorted({p + low for _, p, _, _, children in _LOC for _, low, _, _, _ in children})
STDNUM_PROVINCES = frozenset(p for _, p, _, _, _ in _LOC)
PROVINCE_LIST = sorted(STDNUM_PROVINCES)


def test_province_codes_are_the_ones_python_stdnum_knows():
    from geoapp.domain.identifiers import PROVINCE_CODES

    assert frozenset(PROVINCE_CODES) == STDNUM_PROVINCES


@pytest.mark.parametrize("area", ["000000", "999999", "990101", "100101", "200101", "720101"])
def test_resident_ids_from_no_province_are_refused(area):
    number = make_resident_id(area, date(1980, 5, 17), 123)  # a right check character
    with pytest.raises(InvalidInput, match="province") as err:
        parse_resident_id(number, today=TODAY)
    assert err.value.field == "id_number" and area in str(err.value)


def test_synthetic_counties_of_real_provinces_pass():
    """The demo town's county 439901 is not a real county; its province (43) is."""
    assert (
        parse_resident_id(make_resident_id("439901", date(1980, 5, 17), 123), today=TODAY).area_code
        == "439901"
    )


def generated_resident_id(rnd: random.Random) -> str:
    """18 characters: a real, synthetic (real province) or random area, a real birth date,
    the right check character half of the time."""
    kind = rnd.randrange(3)
    if kind == 0:
        area = rnd.choice(REAL_AREAS)
    elif kind == 1:
        area = rnd.choice(PROVINCE_LIST) + f"{rnd.randrange(10_000):04d}"
    else:
        area = f"{rnd.randrange(1_000_000):06d}"
    birth = date(1900, 1, 1) + timedelta(days=rnd.randrange((TODAY - date(1900, 1, 1)).days + 1))
    first17 = f"{area}{birth:%Y%m%d}{rnd.randrange(1000):03d}"
    return first17 + (id_check_char(first17) if rnd.random() < 0.5 else rnd.choice("0123456789X"))


def check_resident_id_against_stdnum(number: str) -> None:
    """Whatever stdnum accepts, we accept; we accept exactly the numbers with stdnum's check
    character and a real province. (stdnum also requires a county that existed at the birth
    year; we do not: the demo's synthetic counties must pass.)"""
    try:
        parse_resident_id(number, today=TODAY)
        ours = True
    except InvalidInput as err:
        ours = False
        assert "should be" not in str(err) and set(err.params) <= {"field", "area"}
    check_ok = ric.calc_check_digit(number) == number[-1]
    assert ours == (check_ok and number[:2] in STDNUM_PROVINCES), number
    if check_ok and _stdnum_knows_the_place(number):  # then stdnum accepts it: so do we
        assert ric.is_valid(number) and ours, number


@settings(max_examples=300)
@given(st.randoms(use_true_random=False))
def test_resident_ids_agree_with_python_stdnum(rnd):
    check_resident_id_against_stdnum(generated_resident_id(rnd))


@pytest.mark.parametrize(
    "number",
    [
        make_resident_id("000000", date(1980, 5, 17), 123),  # the issue's: stdnum's check, no province
        make_resident_id("999999", date(1980, 5, 17), 123),
        make_resident_id("439901", date(1980, 5, 17), 123),  # the demo's synthetic county
        "11010519491231002X",
        "360426199101010071",  # stdnum's own example
    ],
)
def test_known_resident_ids_agree_with_python_stdnum(number):
    check_resident_id_against_stdnum(number)


def test_20000_generated_resident_ids_agree_with_python_stdnum():
    rnd = random.Random(2016)  # fixed: the same 20,000 numbers on every run
    for _ in range(20_000):
        check_resident_id_against_stdnum(generated_resident_id(rnd))


def _stdnum_knows_the_place(number: str) -> bool:
    """stdnum's county check; 2.2 raises KeyError (not InvalidComponent) for an unknown county
    of a known province, such as the demo's 439901."""
    try:
        ric.get_birth_place(number)
    except (InvalidComponent, KeyError):
        return False
    return True


# GB 32100-2015 table 1 and the authorities assigned since, written out independently of the code.
AUTHORITY_TYPES = {
    "1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129",
    "7": "129", "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}  # fmt: skip
GOOD_PREFIXES = sorted(a + t for a, types in AUTHORITY_TYPES.items() for t in types)
BAD_PREFIXES = sorted(a + t for a in USCC_CHARS for t in USCC_CHARS if a + t not in GOOD_PREFIXES)


def generated_credit_code(rnd: random.Random) -> tuple[str, bool]:
    """(code, whether its structure is right): each part right or wrong, the right check
    character half of the time."""
    good = {part: rnd.random() < 0.7 for part in ("prefix", "region", "org")}
    prefix = rnd.choice(GOOD_PREFIXES if good["prefix"] else BAD_PREFIXES)
    if good["region"]:
        region = rnd.choice(
            [
                rnd.choice(REAL_AREAS),
                "100000",
                rnd.choice(PROVINCE_LIST) + f"{rnd.randrange(10_000):04d}",
            ]
        )
    else:
        region = "100000"
        while region[:2] in STDNUM_PROVINCES or region == "100000":
            alphabet = "0123456789" if rnd.random() < 0.7 else USCC_CHARS
            region = "".join(rnd.choice(alphabet) for _ in range(6))
    body8 = "".join(rnd.choice(USCC_CHARS) for _ in range(8))
    right = org_check_char(body8)
    org = body8 + (right if good["org"] else rnd.choice([c for c in "0123456789X" if c != right]))
    first17 = prefix + region + org
    check = make_uscc(first17)[-1] if rnd.random() < 0.5 else rnd.choice(USCC_CHARS)
    return first17 + check, all(good.values())


def check_credit_code_against_stdnum(code: str, structure_ok: bool) -> None:
    """We accept exactly what has stdnum's check character and the GB 32100 structure; what we
    accept, stdnum accepts too, except authorities written with a letter (A, N, Y), which
    stdnum 2.2 refuses although GB 32100 assigns them."""
    try:
        assert parse_uscc(code) == code
        ours = True
    except InvalidInput as err:
        ours = False
        assert "should be" not in str(err)
    check_ok = uscc.calc_check_digit(code[:17]) == code[17]
    assert ours == (check_ok and structure_ok), code
    if ours:
        assert uscc.is_valid(code) or code[0] in "ANY", code


@settings(max_examples=300)
@given(st.randoms(use_true_random=False))
def test_credit_codes_agree_with_python_stdnum(rnd):
    check_credit_code_against_stdnum(*generated_credit_code(rnd))


@pytest.mark.parametrize(
    "body, structure_ok",
    [
        ("W1350100M000100Y4", False),  # the issue's: no registration authority W
        ("91350100M000100Y5", False),  # the organisation code's own check character is wrong
        ("91000000M000100Y4", False),  # no province 00
        ("N2430100M000100Y4", True),  # a village collective: stdnum 2.2 refuses the N
        ("91350100M000100Y4", True),
        ("91110000600037341", True),  # stdnum's own example
    ],
)
def test_known_credit_codes_agree_with_python_stdnum(body, structure_ok):
    check_credit_code_against_stdnum(make_uscc(body), structure_ok)


def test_20000_generated_credit_codes_agree_with_python_stdnum():
    rnd = random.Random(2016)  # fixed: the same 20,000 codes on every run
    for _ in range(20_000):
        check_credit_code_against_stdnum(*generated_credit_code(rnd))


def test_organisation_codes_gb_11714():
    assert is_organisation_code("M000100Y4") and is_organisation_code("600037341")
    assert make_organisation_code("MA4L0000") == "MA4L00003"
    assert org_check_char("D2143569") == "X"  # 11 - 1 = 10 is written X
    assert not is_organisation_code("M000100Y5") and not is_organisation_code("m000100Y4")


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("W1350100M000100Y4", "registration authority"),
        ("96350100M000100Y4", "organisation type"),
        ("Y2350100M000100Y4", "organisation type"),
        ("91000000M000100Y4", "division code"),
        ("9199A100M000100Y4", "division code"),
        ("91350100M000100Y5", "organisation code"),
    ],
)
def test_credit_codes_with_a_right_check_character_but_no_structure_are_refused(code, fragment):
    with pytest.raises(InvalidInput, match=fragment) as err:
        parse_uscc(make_uscc(code), field="统一社会信用代码")
    assert err.value.field == "统一社会信用代码"


@pytest.mark.parametrize(
    "parse, good",
    [(parse_resident_id, "11010519491231002X"), (parse_uscc, "91350100M000100Y43")],
)
def test_a_wrong_check_character_is_not_given_away(parse, good):
    """The message says the number fails its check (read it again), not which last character
    would pass: that would invite fixing the check character instead of the mistyped digit."""
    for last in "0123456789X":
        if last == good[-1]:
            continue
        with pytest.raises(InvalidInput) as err:
            parse(good[:-1] + last)
        assert set(err.value.params) == {"field"}, err.value.params
        assert "check character" in str(err.value) and "again" in str(err.value)
