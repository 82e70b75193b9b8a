"""Typed errors. Each carries an English message template (a gettext msgid) and
its parameters; the web layer maps the type to an HTTP status once, and both the
web layer and the CLI translate the message for the user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class GeoappError(Exception):
    """Base of every error the user may see."""

    http_status = 400

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(self.render())

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        text = translate(self.template) if translate else self.template
        params = self.params
        if translate and params.get("field"):
            from geoapp.domain.fields import FIELD_LABELS

            label = FIELD_LABELS.get(params["field"])
            params = {**params, "field": translate(label)} if label else params
        if translate and isinstance(params.get("label"), str):  # a record's kind, e.g. "house" → 房屋
            params = {**params, "label": translate(params["label"])}
        if translate:
            from geoapp.domain.i18n import Phrase

            params = {k: v.translated(translate) if isinstance(v, Phrase) else v for k, v in params.items()}
        try:
            return text % params if params else text
        except (KeyError, ValueError, TypeError):
            return text


class InvalidInput(GeoappError):
    """A value, form or file that breaks a rule; names the field/file, rule and fix."""

    http_status = 400

    def __init__(self, template: str, /, field: str | None = None, **params: Any) -> None:
        self.field = field
        super().__init__(template, field=field or "", **params)


class ImportRefused(InvalidInput):
    """A GIS/CSV file that cannot be imported; nothing was stored."""

    http_status = 422


class NotFound(GeoappError):
    http_status = 404


class Forbidden(GeoappError):
    http_status = 403


class Conflict(GeoappError):
    http_status = 409


class Unauthenticated(GeoappError):
    """No valid login or token."""

    http_status = 401


class TooManyRequests(GeoappError):
    http_status = 429

    def __init__(self, template: str, /, retry_after_s: int = 60, **params) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(template, **params)
