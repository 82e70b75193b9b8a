"""The submission's declared shape and house-level rules, without Flask or a database."""

from __future__ import annotations

from datetime import date

import pytest

from geoapp.domain.requests import BuildingPatchIn, ReviewIn
from geoapp.domain.schema import MAX_ID, parse
from geoapp.domain.submission import SubmissionIn, check_submission, require_content
from geoapp.domain.validators import FormErrors

TODAY = date(2016, 5, 2)
HEAD = {"name": "王五", "id_number": "11010519491231002X", "relation": "户主"}


def _errors(model, data) -> dict[str, str]:
    with pytest.raises(FormErrors) as caught:
        parse(model, data)
    return {path: err.field for path, err in caught.value.errors}


def test_a_valid_submission_parses_and_checks():
    sub = parse(SubmissionIn, {"client_id": "abcdefgh", "building": {"floors": "3"},
                               "households": [{"members": [HEAD]}]})  # fmt: skip
    checked = check_submission(sub, TODAY)
    assert sub.building.floors == 3 and not sub.sends_units
    person = checked.households[0].members[0]
    assert (person.sex, person.birth_date) == ("female", date(1949, 12, 31))
    assert checked.documents == {("resident_id", "11010519491231002X")}


@pytest.mark.parametrize(
    "change, path",
    [
        ({"version": "1"}, "version"),
        ({"version": MAX_ID + 1}, "version"),
        ({"version": True}, "version"),
        ({"households": 5}, "households"),
        ({"households": [{"members": [{**HEAD, "id_number": 110105194912310020}]}]}, "households[0].members[0].id_number"),
        ({"households": [{"members": [{**HEAD, "id": [1]}]}]}, "households[0].members[0].id"),
        ({"building": {"floors": "²"}}, "building.floors"),
        ({"building": {"floors": 201}}, "building.floors"),
        ({"units": [{"staff": "٣"}]}, "units[0].staff"),
        ({"visit": {"accuracy": float("inf")}}, "visit.accuracy"),
        ({"moves": [1]}, "moves[0]"),
        ({"client_id": 12345678}, "client_id"),
    ],
)  # fmt: skip
def test_wrong_types_and_ranges_are_named_by_path(change, path):
    assert path in _errors(SubmissionIn, {"client_id": "abcdefgh", **change})


def test_every_problem_is_reported_at_once():
    errors = _errors(SubmissionIn, {"client_id": "x", "version": "a", "units": 3})
    assert set(errors) == {"client_id", "version", "units"}


def test_house_rules_need_no_database():
    sub = parse(SubmissionIn, {"client_id": "abcdefgh",
                               "households": [{"members": [HEAD, {**HEAD, "relation": "户主"}]}]})  # fmt: skip
    with pytest.raises(FormErrors) as caught:
        check_submission(sub, TODAY)
    paths = [p for p, _ in caught.value.errors]
    assert "households[0].members" in paths  # two heads
    assert "households[0].members[1].id_number" in paths  # entered twice
    empty = check_submission(parse(SubmissionIn, {"client_id": "abcdefgh"}), TODAY)
    with pytest.raises(FormErrors):
        require_content(empty)
    require_content(empty, pending_moves=1)  # someone asked to move in: the household is not empty


def test_the_small_bodies():
    assert parse(ReviewIn, {"action": "verify", "version": 3}).version == 3
    assert set(_errors(ReviewIn, {"action": ["verify"]})) == {"action", "version"}
    assert "status" in _errors(BuildingPatchIn, {"version": 1, "status": "verified"})
    assert parse(BuildingPatchIn, {"version": 1, "floors": ""}).floors is None
