"""Reading submitted forms: one value per field.

A field sent twice (``unit=1&unit=2``) is refused with a message naming it, never
silently read as its first value: what the user saw and what is stored must agree.
"""

from __future__ import annotations

from flask import request

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_


def form_value(name: str, default: str = "") -> str:
    values = request.form.getlist(name)
    if len(values) > 1:
        raise InvalidInput(
            N_("%(field)s was sent more than once: send the form again from the page."), field=name
        )
    return values[0] if values else default
