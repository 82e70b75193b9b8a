"""The coverage table as the assessment meeting reads it, laid out once for the workbook
(:mod:`geoapp.services.reports.workbook`) and the printable page (``templates/coverage_print.html``).

The input is duck-typed on the coverage function's ``Coverage`` and ``Row`` (``kind``, ``as_of``,
``definitions``, ``villages``, ``station``, ``total``; each row's counts, rates 0..1 or ``None``,
stage statuses ``met``/``missed``/``open``, households, funding and penalty). Every label is an
English msgid translated by the ``gettext`` the caller passes (the UI's locale: Chinese first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from geoapp.domain.i18n import N_

Gettext = Callable[[str], str]

# The work plan's order: 实有人口、实有房屋、实有单位, then households (户) for the funding.
KINDS = ("people", "houses", "units", "households")
KIND_LABELS = {
    "people": N_("Real people"),
    "houses": N_("Real houses"),
    "units": N_("Real units"),
    "households": N_("Households"),
}
# What one record of each kind is counted in (人 / 栋 / 家 / 户).
COUNT_UNITS = {
    "people": N_("persons"),
    "houses": N_("buildings"),
    "units": N_("organisations"),
    "households": N_("households"),
}
STAGE_LABELS = {"met": N_("Met"), "missed": N_("Missed"), "open": N_("In progress")}

NUMBER_HEADER = N_("No.")
NAME_HEADER = N_("Village (community)")
TOTAL_LABEL = N_("Total")
# TRANSLATORS: &P is the page number and &N the page count (Excel footer codes): keep both.
PAGE_NUMBERS = N_("Page &P of &N")


@dataclass(frozen=True)
class Column:
    key: str  # the row's attribute
    header: str  # msgid of the lower header row
    group: str  # msgid of the upper header row, merged over the group's columns
    kind: str  # count | rate | stage | money | points


COLUMNS: tuple[Column, ...] = (
    Column("task", N_("Task number"), N_("Collection"), "count"),
    Column("collected", N_("Collected"), N_("Collection"), "count"),
    Column("collection_rate", N_("Collection rate"), N_("Collection"), "rate"),
    Column("verified", N_("Verified"), N_("Verification results"), "count"),
    Column("returned", N_("Returned"), N_("Verification results"), "count"),
    Column("flagged", N_("Flagged"), N_("Verification results"), "count"),
    Column("timeliness_rate", N_("Timeliness rate"), N_("Assessment rates"), "rate"),
    Column("accuracy_rate", N_("Accuracy rate"), N_("Assessment rates"), "rate"),
    Column("stage1", N_("Stage 1"), N_("Stage targets"), "stage"),
    Column("stage2", N_("Stage 2"), N_("Stage targets"), "stage"),
    Column("households", N_("Number of households"), N_("Funding and assessment"), "count"),
    Column("funding_yuan", N_("Funding (yuan)"), N_("Funding and assessment"), "money"),
    Column("penalty_points", N_("Points deducted"), N_("Funding and assessment"), "points"),
)
LEADING = 2  # 序号 and 村（社区）, each merged over both header rows
WIDTH = LEADING + len(COLUMNS)


@dataclass(frozen=True)
class Cell:
    value: int | float | str | None  # what the spreadsheet stores (rates as fractions)
    text: str  # what the printed page shows
    kind: str  # a Column.kind
    status: str | None = None  # met | missed | open, for stage cells


@dataclass(frozen=True)
class Line:
    number: int | None  # 序号: villages 1..n; the station and the total have none
    label: str
    role: str  # village | station | total
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Sheet:
    kind: str
    name: str  # the workbook's tab
    title: str  # town + 三实 progress + kind + date
    units: str  # 单位：人、户、%
    groups: tuple[tuple[str, int], ...]  # upper header: (label, columns spanned), after LEADING
    headers: tuple[str, ...]  # LEADING labels, then one per column
    lines: tuple[Line, ...]
    notes: tuple[str, ...]  # rate definitions, then how to read the table
    prepared_by: str  # 制表：余坪派出所
    prepared_on: str  # 制表日期：…
    page_numbers: str  # the workbook footer's "第 &P 页，共 &N 页" (Excel codes)


def day_text(day: date, gettext: Gettext) -> str:
    return gettext(N_("%(year)d-%(month)02d-%(day)02d")) % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def cell(column: Column, value: Any, gettext: Gettext) -> Cell:
    """One figure for the sheet and the page; None (a rate without a task, funding not yet
    decided before the stage-2 deadline, a stage with nothing to judge) is an empty cell."""
    if value is None and column.kind != "stage":
        return Cell(None, "", column.kind)
    if column.kind == "rate":
        return Cell(value, "" if value is None else f"{value:.1%}", "rate")
    if column.kind == "stage":
        label = STAGE_LABELS.get(value)
        text = gettext(label) if label else ("" if value is None else str(value))
        return Cell(text, text, "stage", value if label else None)
    if column.kind == "money":
        return Cell(value, f"{value:,.2f}", "money")
    return Cell(value, f"{value}", column.kind)


def line(number: int | None, label: str, role: str, row: Any, gettext: Gettext) -> Line:
    cells = tuple(cell(c, getattr(row, c.key), gettext) for c in COLUMNS)
    return Line(number, label, role, cells)


def header_groups(gettext: Gettext) -> tuple[tuple[str, int], ...]:
    groups: list[tuple[str, int]] = []
    for column in COLUMNS:
        if groups and groups[-1][0] == column.group:
            groups[-1] = (column.group, groups[-1][1] + 1)
        else:
            groups.append((column.group, 1))
    return tuple((gettext(g), n) for g, n in groups)


def sheet(table: Any, *, town: str, gettext: Gettext, made_on: date) -> Sheet:
    kind = table.kind
    station = gettext(table.station.name)  # a proper noun; translated only if it is a msgid
    lines = [line(i, row.name, "village", row, gettext) for i, row in enumerate(table.villages, 1)]
    lines.append(line(None, station, "station", table.station, gettext))
    lines.append(line(None, gettext(TOTAL_LABEL), "total", table.total, gettext))
    count = gettext(COUNT_UNITS[kind])
    units = (
        gettext(N_("Units of measure: households, percent"))
        if kind == "households"
        else gettext(N_("Units of measure: %(count)s, households, percent")) % {"count": count}
    )
    notes = [gettext(text) for text in table.definitions.values()]
    notes += [
        gettext(N_("Stage status: met = the stage's target was reached by its deadline; missed = it was not; in progress = the stage has not ended and its target is not reached yet.")),
        gettext(N_("An empty rate cell means the rate is undefined: there is nothing to divide by (for example a task number of 0).")),
    ]  # fmt: skip
    return Sheet(
        kind=kind,
        name=gettext(KIND_LABELS[kind]),
        title=gettext(N_("%(town)s 三实 information collection progress: %(kind)s (as of %(date)s)"))
        % {"town": town, "kind": gettext(KIND_LABELS[kind]), "date": day_text(table.as_of, gettext)},
        units=units,
        groups=header_groups(gettext),
        headers=(gettext(NUMBER_HEADER), gettext(NAME_HEADER), *(gettext(c.header) for c in COLUMNS)),
        lines=tuple(lines),
        notes=tuple(notes),
        prepared_by=gettext(N_("Prepared by: %(maker)s")) % {"maker": station},
        prepared_on=gettext(N_("Date prepared: %(date)s")) % {"date": day_text(made_on, gettext)},
        page_numbers=gettext(PAGE_NUMBERS),
    )


def ordered(tables: Iterable[Any]) -> list[Any]:
    """The tables in the work plan's order (人口、房屋、单位、户); one per kind."""
    tables = list(tables)
    if not tables:
        raise ValueError("no coverage tables to lay out")
    kinds = [t.kind for t in tables]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown coverage kinds {unknown}; expected some of {KINDS}")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"one coverage table per kind, got {kinds}")
    return sorted(tables, key=lambda t: KINDS.index(t.kind))


def sheets(tables: Sequence[Any], *, town: str, gettext: Gettext, made_on: date) -> list[Sheet]:
    return [sheet(t, town=town, gettext=gettext, made_on=made_on) for t in ordered(tables)]


def report_title(tables: Sequence[Any], *, town: str, gettext: Gettext) -> str:
    """The whole report's title (every kind), dated by the first table's ``as_of``."""
    return gettext(N_("%(town)s 三实 information collection progress (as of %(date)s)")) % {
        "town": town,
        "date": day_text(ordered(tables)[0].as_of, gettext),
    }
