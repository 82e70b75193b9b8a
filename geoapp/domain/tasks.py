"""Task numbers from the work plan's table (余政发[2016]28号, 附件)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_


@dataclass(frozen=True)
class TaskRow:
    unit: str
    kind: str  # "village" | "station"
    people: int
    houses: int
    units: int


@dataclass(frozen=True)
class TaskTable:
    villages: tuple[TaskRow, ...]
    station: TaskRow

    @property
    def total_people(self) -> int:
        return sum(v.people for v in self.villages)

    @property
    def total_houses(self) -> int:
        return sum(v.houses for v in self.villages)


def _int(text: str) -> int:
    text = (text or "").strip()
    return int(text) if text else 0


def read_task_table(path: Path) -> TaskTable:
    """Read the table and check that the station's totals are the villages' sums."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [
            TaskRow(
                r["unit"].strip(),
                r["kind"].strip(),
                _int(r["people"]),
                _int(r["houses"]),
                _int(r["units"]),
            )
            for r in csv.DictReader(fh)
        ]
    villages = tuple(r for r in rows if r.kind == "village")
    stations = [r for r in rows if r.kind == "station"]
    if len(stations) != 1:
        raise InvalidInput(N_("%(field)s must have exactly one station row."), field=str(path))
    table = TaskTable(villages, stations[0])
    if (table.total_people, table.total_houses) != (table.station.people, table.station.houses):
        raise InvalidInput(
            N_("%(field)s does not reconcile: villages sum to %(people)d people and %(houses)d houses."),
            field=str(path),
            people=table.total_people,
            houses=table.total_houses,
        )
    return table
