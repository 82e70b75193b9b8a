"""Codes shown to people in their language (the API keeps the codes, adds the labels)."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext

from geoapp.domain.reviewing import RETURN_REASONS
from geoapp.domain.uses import USE_LABELS, BuildingUse
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
