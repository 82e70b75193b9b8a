from datetime import date

import pytest

from geoapp.domain.errors import InvalidInput
from geoapp.domain.identifiers import make_resident_id
from geoapp.domain.validators import (
    Collector,
    FormErrors,
    clean_phone,
    clean_text,
    validate_person,
    validate_unit,
)
from geoapp.domain.visits import VisitFlag, assess_visit

TODAY = date(2016, 6, 1)
GOOD_ID = make_resident_id("430101", date(1980, 5, 17), 123)  # male (odd sequence)


def person(**fields):
    base = {"name": "李四", "id_number": GOOD_ID, "relation": "户主", "residence_type": "registered"}
    return {**base, **fields}


def run(data):
    errors = Collector()
    result = validate_person(data, today=TODAY, errors=errors, path="p")
    return result, {path: err for path, err in errors.errors}


def test_sex_and_birth_date_come_from_the_id():
    result, errors = run(person())
    assert errors == {} and result.sex == "male" and result.birth_date == date(1980, 5, 17)


def test_typed_sex_or_birth_date_must_agree_with_the_id():
    _, errors = run(person(sex="female", birth_date="1981-01-01"))
    assert set(errors) == {"p.sex", "p.birth_date"}
    assert "male" in str(errors["p.sex"]) and "1980-05-17" in str(errors["p.birth_date"])


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1"), "check character"),
        ("43010119990230123" + "X", "does not exist"),
        (make_resident_id("430101", date(2017, 1, 1), 11), "not possible"),
        (GOOD_ID[:17], "18 characters"),
    ],
)
def test_bad_id_numbers(bad, fragment):
    _, errors = run(person(id_number=bad))
    assert fragment in str(errors["p.id_number"])


def test_lowercase_x_fullwidth_digits_and_spaces_are_accepted():
    number = make_resident_id("110105", date(1949, 12, 31), 2)
    assert number.endswith("X")
    typed = " ".join(number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))) + "x"
    result, errors = run(person(id_number=typed))
    assert errors == {} and result.id_number == number


def test_names_are_limited_and_cleaned():
    _, errors = run(person(name="x" * 10_000))
    assert "10000" in str(errors["p.name"])
    _, errors = run(person(name="  "))
    assert "required" in str(errors["p.name"])
    _, errors = run(person(name="李\x00四"))
    assert "control" in str(errors["p.name"])
    assert clean_text("ＡＢＣ", field="name") == "ABC"


@pytest.mark.parametrize("phone, ok", [("13812345678", True), ("138 1234 5678", True), ("+8613812345678", True),
                                       ("0731-84567890", True), ("1381234567a", False), ("12345", False)])  # fmt: skip
def test_phones(phone, ok):
    if ok:
        assert clean_phone(phone)
    else:
        with pytest.raises(InvalidInput, match="11-digit"):
            clean_phone(phone)


def test_foreign_residents_may_use_other_documents():
    result, errors = run(person(id_type="passport", id_number="e12345678", residence_type="foreign"))
    assert errors == {} and result.id_number == "E12345678"
    _, errors = run(person(id_type="passport", id_number="E12345678", residence_type="registered"))
    assert "p.residence_type" in errors


def test_units_validate_their_credit_code():
    errors = Collector()
    assert (
        validate_unit({"name": "兴旺超市", "uscc": "91350100M000100Y43"}, errors=errors, path="u") is not None
    )
    validate_unit({"name": "坏代码", "uscc": "91350100I000100Y43"}, errors=errors, path="v")
    assert [p for p, _ in errors.errors] == ["v.uscc"]
    with pytest.raises(FormErrors) as err:
        errors.raise_if_any()
    assert err.value.errors[0][0] == "v.uscc"


def test_visit_assessment():
    assert assess_visit(None, None) is VisitFlag.NO_POSITION
    assert assess_visit(150.0, 10.0) is VisitFlag.FAR
    assert assess_visit(20.0, 500.0) is VisitFlag.VAGUE
    assert assess_visit(20.0, 15.0) is None
    assert assess_visit(150.0, 10.0, max_distance_m=200) is None
