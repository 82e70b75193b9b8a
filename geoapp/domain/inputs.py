"""Raw values from forms, uploads and the command line, checked before they reach a query.

Not every string or number a browser can send fits a column: PostgreSQL refuses NUL
characters, an INTEGER id stops at 2^31 − 1, and "²" passes ``str.isdigit()`` but not
``int()``. These helpers turn such values into an ``InvalidInput`` naming the field (a
400, never a 500), and give a short printable form of any value for messages and the
audit log.
"""

from __future__ import annotations

import re
import unicodedata

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL int4)
_ID_RE = re.compile(r"[0-9]{1,12}")  # ASCII digits only: not "²", "١٢" or "１"
# Control and format characters (NUL, escape sequences, line breaks, direction overrides,
# zero-width marks) never belong in a name, phone number or token name.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def has_hidden_characters(text: str) -> bool:
    return any(unicodedata.category(c) in _HIDDEN for c in text)


def printable(value: object, limit: int = 60) -> str:
    """A short, printable rendering of a raw value (hidden characters become �)."""
    text = "".join("\ufffd" if unicodedata.category(c) in _HIDDEN else c for c in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def refuse_hidden_characters(text: str, *, field: str) -> None:
    if has_hidden_characters(text):
        raise InvalidInput(
            N_(
                "%(field)s holds control characters (line breaks, NUL, escape codes): type it again as plain text."
            ),
            field=field,
        )


def refuse_longer(text: str, *, field: str, max_len: int) -> None:
    if len(text) > max_len:
        raise InvalidInput(
            N_("%(field)s is longer than %(n)d characters: shorten it."), field=field, n=max_len
        )


def check_text(value: str | None, *, field: str, max_len: int) -> str:
    """Plain one-line text: stripped, at most ``max_len`` characters, no hidden characters."""
    text = (value or "").strip()
    refuse_hidden_characters(text, field=field)
    refuse_longer(text, field=field, max_len=max_len)
    return text


def parse_whole_number(value: str | int | None, *, field: str) -> int | None:
    """A whole number picked or typed in a form (a row id, a number of days): None when
    empty, else ASCII digits. Whether a row has that id (or could: ``id_fits``) is the
    caller's question."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    text = str(value).strip()
    if not text:
        return None
    if not _ID_RE.fullmatch(text):
        raise InvalidInput(
            N_("%(field)s must be a whole number; got %(value)s."), field=field, value=printable(value)
        )
    return int(text)


def id_fits(number: int | None) -> bool:
    """Could a row have this id? (Looking up a larger one fails in the database driver.)"""
    return number is not None and 1 <= number <= MAX_ID


def parse_flag(value: str | None, *, field: str) -> bool:
    """A yes/no form field sent as "1" or "0"."""
    if value in ("0", "1"):
        return value == "1"
    raise InvalidInput(N_("%(field)s must be 0 or 1; got %(value)s."), field=field, value=printable(value))
