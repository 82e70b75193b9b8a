"""Cells that spreadsheet programs (Excel, WPS) must not run as formulas.

Every file a person may open in a spreadsheet — web exports, the command-line
Excel export, the one-time passwords of a bulk import — passes its text cells
through ``neutralise``: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe, so it is shown as text and never
evaluated (CSV injection).
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Keep spreadsheet programs from running text as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
