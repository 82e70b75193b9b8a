"""Request bodies declared once as pydantic models, errors told in our words.

Each endpoint that takes a JSON body declares one model (``RequestModel``); the
web layer parses the body with :func:`parse`, which turns every pydantic error
into an :class:`~geoapp.domain.validators.FormErrors` entry naming the field by
its path (``households[0].members[1].id_number``) with a translatable message.
Domain validators called from a model (``Checked``) keep their own messages.
The same models can later feed the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.inputs import MAX_ID  # the largest id an INTEGER column holds
from geoapp.domain.validators import FormErrors

M = TypeVar("M", bound=BaseModel)


class RequestModel(BaseModel):
    """Strict types (a number is not text, text is not a number), no NaN or infinity,
    unknown keys ignored (they are never assigned: services read declared fields only)."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore")


class _Carried(ValueError):
    """Carries a domain InvalidInput through pydantic unchanged."""

    def __init__(self, error: InvalidInput) -> None:
        self.error = error
        super().__init__(str(error))


def checked(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap a domain check so its InvalidInput survives pydantic's error handling."""

    def run(value: Any) -> Any:
        try:
            return fn(value)
        except InvalidInput as exc:
            raise _Carried(exc) from None

    return run


_DIGITS = re.compile(r"[0-9]{1,18}")


def _whole_number(value: Any) -> Any:
    """Form fields arrive as text: accept "12" as 12, but only ASCII digits ("²" is not a number)."""
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        if _DIGITS.fullmatch(text):
            return int(text)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_ID)]


def form_int(low: int = 0, high: int = MAX_ID) -> Any:
    """A whole number typed in a form (an int, or ASCII digits as text), ``low`` … ``high``, or empty."""
    return Annotated[Annotated[int, Field(ge=low, le=high)] | None, BeforeValidator(_whole_number)]


FormInt = form_int()


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def _field(loc: tuple) -> str:
    names = [p for p in loc if isinstance(p, str) and not p.startswith(("function-", "int", "str", "list"))]
    return names[-1] if names else "body"


_MESSAGES: dict[str, str] = {
    "missing": N_("%(field)s is required."),
    "int_type": N_("%(field)s must be a whole number."),
    "int_parsing": N_("%(field)s must be a whole number."),
    "int_from_float": N_("%(field)s must be a whole number."),
    "float_type": N_("%(field)s must be a number."),
    "float_parsing": N_("%(field)s must be a number."),
    "finite_number": N_("%(field)s must be a finite number."),
    "string_type": N_("%(field)s must be text."),
    "bool_type": N_("%(field)s must be true or false."),
    "list_type": N_("%(field)s must be a list."),
    "dict_type": N_("%(field)s: send an object."),
    "model_type": N_("%(field)s: send an object."),
    "model_attributes_type": N_("%(field)s: send an object."),
    "literal_error": N_("%(field)s must be one of %(choices)s."),
    "enum": N_("%(field)s must be one of %(choices)s."),
    "greater_than_equal": N_("%(field)s must be at least %(limit)s."),
    "greater_than": N_("%(field)s must be more than %(limit)s."),
    "less_than_equal": N_("%(field)s must be at most %(limit)s."),
    "less_than": N_("%(field)s must be less than %(limit)s."),
    "too_long": N_("%(field)s: send at most %(limit)s items."),
    "too_short": N_("%(field)s: send at least %(limit)s items."),
    "string_too_long": N_("%(field)s has too many characters: at most %(limit)s."),
    "string_too_short": N_("%(field)s is required."),
    "string_pattern_mismatch": N_("%(field)s has characters that are not allowed."),
}
_FALLBACK = N_("%(field)s is not valid.")


def _as_input_error(error: dict) -> InvalidInput:
    ctx = error.get("ctx") or {}
    carried = ctx.get("error")
    if isinstance(carried, _Carried):
        return carried.error
    kind = error["type"]
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt", "max_length", "min_length") if k in ctx), "")
    choices = ctx.get("expected", "")
    if kind in ("too_long", "too_short") and "max_length" not in ctx and "min_length" not in ctx:
        limit = ctx.get("max_length", ctx.get("min_length", ""))
    return InvalidInput(
        _MESSAGES.get(kind, _FALLBACK), field=_field(error["loc"]), limit=str(limit), choices=str(choices)
    )


def form_errors(exc: ValidationError) -> FormErrors:
    """Every problem of a body, each under its path."""
    return FormErrors([(_path(e["loc"]), _as_input_error(e)) for e in exc.errors()])


def parse(model: type[M], data: Any) -> M:
    """Validate a decoded JSON body against its model; all problems reported together."""
    if not isinstance(data, dict):
        raise InvalidInput(N_("%(field)s: send a JSON object."), field="body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise form_errors(exc) from None
