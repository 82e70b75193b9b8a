"""Codes in exported tables shown in Chinese: status, use, kind, visit flag.

Exports carry Chinese headers whatever the page's language, so their labels are Chinese
too, read from the project's catalogue (``translations/zh``: the same text the pages
show). Each labelled column keeps its codes in a second column right after it, for
programs (``采集状态代码``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from babel.messages.pofile import read_po

from geoapp.domain.status import STATUS_LABELS
from geoapp.domain.uses import UNIT_KIND_LABELS, USE_LABELS
from geoapp.domain.visits import FLAG_LABELS

CATALOGUE = Path(__file__).resolve().parents[2] / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
# column → code → English msgid
CODE_LABELS: dict[str, dict[str, str]] = {
    "status": {s.value: label for s, label in STATUS_LABELS.items()},
    "use": {u.value: label for u, label in USE_LABELS.items()},
    "kind": {k.value: label for k, label in UNIT_KIND_LABELS.items()},
    "visit_flag": {f.value: label for f, label in FLAG_LABELS.items()},
}
CODE_SUFFIX = "代码"


@cache
def _chinese() -> dict[str, str]:
    if not CATALOGUE.exists():
        return {}
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id and m.string and not m.fuzzy}


def chinese(msgid: str) -> str:
    return _chinese().get(msgid, msgid)


def label_codes(table: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """``table`` (columns still named by field) with each code column in Chinese and its
    codes in a new column after it, named ``<header>代码``; other values stay as they are."""
    out = table.copy()
    for column, labels in CODE_LABELS.items():
        if column not in out.columns:
            continue
        codes = out[column]
        names = {code: chinese(label) for code, label in labels.items()}
        position = out.columns.get_loc(column) + 1
        out.insert(position, headers.get(column, column) + CODE_SUFFIX, codes.astype(object))
        out[column] = pd.Series([names.get(v, v) for v in codes], index=out.index, dtype=object)
    return out
