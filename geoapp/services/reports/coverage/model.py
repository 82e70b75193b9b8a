"""Coverage's results (``Row``, ``Coverage``), one row's summable counts and the moments a
query measures."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime

from geoapp.domain.calendar import Campaign
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import day_end_utc

TOTAL_NAME = N_("Total")
STATION_CODE, TOTAL_CODE = "station", "total"
_COUNTS = ("verified", "returned", "flagged", "checked", "passed")


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    task: int
    collected: int
    verified: int
    returned: int
    flagged: int
    collection_rate: float | None
    timeliness_rate: float | None
    accuracy_rate: float | None
    stage1: str | None
    stage2: str | None
    households: int
    funding_yuan: int | None
    penalty_points: int | None
    village_id: int | None = None

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in _ROW_FIELDS}  # flat: quicker than asdict()


_ROW_FIELDS = tuple(f.name for f in fields(Row))


@dataclass(frozen=True)
class Coverage:
    kind: str
    as_of: date
    definitions: dict[str, str]
    villages: list[Row]
    station: Row
    total: Row

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
            "definitions": dict(self.definitions),
            "villages": [r.to_dict() for r in self.villages],
            "station": self.station.to_dict(),
            "total": self.total.to_dict(),
        }


@dataclass(frozen=True)
class _Counts:
    """One kind's counts for one row, before the rates (summable)."""

    task: int = 0
    collected: int = 0
    verified: int = 0
    returned: int = 0
    flagged: int = 0
    checked: int = 0
    passed: int = 0
    at_deadlines: tuple[int, ...] = (0, 0)  # collected at the end of each stage's deadline day
    on_time: int = 0
    due: int = 0
    households: int = 0

    def __add__(self, other: _Counts) -> _Counts:
        return _Counts(
            *(getattr(self, f) + getattr(other, f) for f in _SUMMED),
            at_deadlines=tuple(a + b for a, b in zip(self.at_deadlines, other.at_deadlines, strict=True)),
            on_time=self.on_time + other.on_time,
            due=self.due + other.due,
            households=self.households + other.households,
        )


_SUMMED = ("task", "collected", "verified", "returned", "flagged", "checked", "passed")


@dataclass
class _Cutoffs:
    """The moments a query measures: the end of as_of first, then each passed deadline's end."""

    as_of: date
    current: bool  # as_of is today or later: the state at its end is the current state
    moments: list[datetime] = field(default_factory=list)
    deadline_index: list[int | None] = field(default_factory=list)  # per stage: index in moments

    @classmethod
    def of(cls, campaign: Campaign, as_of: date, today: date) -> _Cutoffs:
        cut = cls(as_of, as_of >= today, [day_end_utc(as_of)])
        for stage in campaign.collection_stages:
            if stage.end > as_of:
                cut.deadline_index.append(None)
            elif stage.end == as_of:
                cut.deadline_index.append(0)
            else:
                cut.moments.append(day_end_utc(stage.end))
                cut.deadline_index.append(len(cut.moments) - 1)
        return cut
