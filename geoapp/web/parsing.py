"""Reading a request: path ids, query parameters and JSON bodies, each checked once.

Bad values become a 400 that names the field (never a 500 from a database that
cannot hold an integer above 2^63, nor from JSON nested 50,000 levels deep).
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from flask import Flask, request
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.schema import MAX_ID, parse
from geoapp.store.spatial_index import BBox

MAX_JSON_BYTES = 2 * 1024 * 1024  # a house with 30 households of 40 people is far below this
MIN_YEAR, MAX_YEAR = 2000, 2100  # dates outside are typing mistakes
M = TypeVar("M", bound=BaseModel)


class InvalidPath(BadRequest):
    """A path part that cannot be right: raised while routing, answered as the InvalidInput it carries."""

    def __init__(self, error: InvalidInput) -> None:
        self.error = error
        super().__init__(description=str(error))


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a record id, at most what an INTEGER column holds (2^31 − 1)."""

    def to_python(self, value: str) -> int:
        if len(value) > 18 or int(value) > MAX_ID:  # int() of thousands of digits refuses by itself
            raise InvalidPath(
                InvalidInput(N_("%(field)s in the address is not a record number (at most %(max)s)."), field="id", max=MAX_ID)
            )  # fmt: skip
        return int(value)


def init_parsing(app: Flask) -> None:
    """Before any blueprint is registered: every ``<int:…>`` is a bounded id."""
    app.url_map.converters["int"] = IdConverter


def parse_int(name: str, default: int | None = None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    text = value.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise InvalidInput(N_("%(field)s must be a whole number."), field=name)
    number = int(text) if len(text) <= 20 else None  # int() of thousands of digits refuses by itself
    if number is None or not low <= number <= high:
        raise InvalidInput(
            N_("%(field)s must be between %(low)s and %(high)s."), field=name, low=low, high=high
        )
    return number


def parse_float(name: str, *, low: float, high: float) -> float | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(N_("%(field)s must be a number."), field=name) from None
    if not low <= number <= high:  # also refuses NaN
        raise InvalidInput(
            N_("%(field)s must be between %(low)s and %(high)s."), field=name, low=low, high=high
        )
    return number


def parse_date(name: str) -> date | None:
    """A day written YYYY-MM-DD (None when absent)."""
    value = request.args.get(name)
    if value in (None, ""):
        return None
    text = value.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidInput(
            N_("%(field)s must be a date written YYYY-MM-DD, e.g. 2016-05-25; got %(value)s."),
            field=name,
            value=text[:40],
        )
    return day


def parse_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices`` (``default`` when absent)."""
    value = request.args.get(name)
    if value in (None, ""):
        return default
    if value not in choices:
        raise InvalidInput(
            N_("%(field)s must be one of %(choices)s; got %(value)s."),
            field=name,
            choices=", ".join(choices),
            value=value[:40],
        )
    return value


def parse_bbox(value: str | None) -> BBox | None:
    if not value:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidInput(
            N_("%(field)s must be four numbers minx,miny,maxx,maxy in longitude/latitude."), field="bbox"
        ) from None
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):  # NaN fails too
        raise InvalidInput(N_("%(field)s must have minx ≤ maxx and miny ≤ maxy."), field="bbox")
    return minx, miny, maxx, maxy


def json_body() -> dict:
    """The request's JSON object: bounded in size and depth."""
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise InvalidInput(N_("%(field)s is too large: send at most %(max)d bytes."), field="body", max=MAX_JSON_BYTES)  # fmt: skip
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise InvalidInput(N_("%(field)s is nested too deeply."), field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput(N_("%(field)s: send a JSON object."), field="body")
    return data


def body(model: type[M]) -> M:
    """The request's JSON body validated against the endpoint's declared model."""
    return parse(model, json_body())
