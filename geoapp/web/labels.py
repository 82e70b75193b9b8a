"""Codes shown to people in their language (the API keeps the codes, adds the labels)."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext

from geoapp.domain.audit_labels import ACTION_LABELS, CHANGE_FIELD_LABELS, OBJECT_LABELS
from geoapp.domain.fields import FIELD_LABELS
from geoapp.domain.reviewing import RETURN_REASONS
from geoapp.domain.status import STATUS_LABELS
from geoapp.domain.uses import UNIT_KIND_LABELS, USE_LABELS, BuildingUse
from geoapp.domain.visits import FLAG_LABELS
from geoapp.i18n import translate


def use_label(code: str | None) -> str | None:
    """``dwelling`` → 住宅 (in the page's language); an unknown code is shown as it is."""
    try:
        return translate(USE_LABELS[BuildingUse(code)])
    except (KeyError, ValueError):
        return code


def reason_labels() -> dict[str, str]:
    """The common return reasons as the collector reads them: in the station's language
    (the default locale), whatever language the officer's page is in."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return {code: gettext(label) for code, label in RETURN_REASONS.items()}


# -- the audit log: actions, object types, changed fields and coded values in words -----------
_VALUE_LABELS = {
    "status": STATUS_LABELS,
    "use": USE_LABELS,
    "kind": UNIT_KIND_LABELS,
    "visit_flag": FLAG_LABELS,
}


def action_label(code: str | None) -> str:
    label = ACTION_LABELS.get(code or "")
    return translate(label) if label else (code or "—")


def object_label(code: str | None) -> str:
    label = OBJECT_LABELS.get(code or "")
    return translate(label) if label else (code or "—")


def field_label(name: str | None) -> str:
    label = FIELD_LABELS.get(name or "") or CHANGE_FIELD_LABELS.get(name or "")
    return translate(label) if label else (name or "")


def value_text(name: str | None, text: str) -> str:
    """A stored value as read in the log: a status, use, kind or flag code in words."""
    labels = _VALUE_LABELS.get(name or "")
    if not labels:
        return text
    for code, label in labels.items():
        if code.value == text:
            return translate(label)
    return text


def audit_labels() -> dict:
    """The helpers audit.html reads."""
    return {
        "action_label": action_label,
        "object_label": object_label,
        "field_label": field_label,
        "value_text": value_text,
    }
