"""Raw form values: whole numbers in ASCII digits, ids that fit a column, plain one-line text."""

from __future__ import annotations

import pytest

from geoapp.domain.errors import InvalidInput
from geoapp.domain.inputs import MAX_ID, check_text, id_fits, parse_flag, parse_whole_number, printable
from geoapp.domain.spreadsheet import neutralise


@pytest.mark.parametrize(
    ("value", "expected"), [("", None), ("  ", None), (None, None), ("12", 12), (" 7 ", 7), (5, 5)]
)
def test_whole_numbers(value, expected):
    assert parse_whole_number(value, field="unit") == expected


@pytest.mark.parametrize("value", ["²", "١٢", "１", "-1", "1e3", "0x1F", "1.5", "1\x00", "9" * 13, "abc"])
def test_what_is_not_a_whole_number_names_the_field(value):
    with pytest.raises(InvalidInput) as exc:
        parse_whole_number(value, field="unit")
    assert exc.value.field == "unit" and "\x00" not in str(exc.value)


def test_ids_that_fit_an_integer_column():
    assert id_fits(1) and id_fits(MAX_ID)
    assert not any(id_fits(n) for n in (None, 0, -1, MAX_ID + 1, 2**63 + 1))


def test_plain_text():
    assert check_text("  张三 ", field="name", max_len=100) == "张三"
    for bad in ("a\x00b", "a\x1b[31mb", "a\nb", "a\u202eb", "a\u2028b", "x" * 101):
        with pytest.raises(InvalidInput) as exc:
            check_text(bad, field="name", max_len=100)
        assert exc.value.field == "name"


def test_flags_and_printable_values():
    assert parse_flag("1", field="disabled") is True and parse_flag("0", field="disabled") is False
    for bad in ("", "yes", "2", None, "1\x00"):
        with pytest.raises(InvalidInput):
            parse_flag(bad, field="disabled")
    assert printable("a\x00\x1bb") == "a\ufffd\ufffdb" and len(printable("x" * 500)) == 60


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(1)", "\t=1", "\r=1"])
def test_formula_cells_become_text(text):
    assert neutralise(text) == "'" + text and neutralise("张三") == "张三" and neutralise(3) == 3
