"""Codes shown to people in their language (the API keeps the codes, adds the labels)."""

from __future__ import annotations

from geoapp.domain.uses import USE_LABELS, BuildingUse
from geoapp.i18n import translate


def use_label(code: str | None) -> str | None:
    """``dwelling`` → 住宅 (in the page's language); an unknown code is shown as it is."""
    try:
        return translate(USE_LABELS[BuildingUse(code)])
    except (KeyError, ValueError):
        return code
