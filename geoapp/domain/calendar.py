"""The campaign calendar (work plan §五): defaults, configurable per campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Stage:
    name: str
    start: date
    end: date
    target: float  # share of the task due by ``end`` (0..1); 0 when nothing is due


@dataclass(frozen=True)
class Campaign:
    year: int = 2016
    stages: tuple[Stage, ...] = (
        Stage("mobilisation", date(2016, 4, 10), date(2016, 4, 27), 0.0),
        Stage("collection-1", date(2016, 4, 27), date(2016, 5, 25), 0.6),
        Stage("collection-2", date(2016, 5, 26), date(2016, 6, 30), 1.0),
        Stage("assessment", date(2016, 6, 30), date(2016, 9, 25), 1.0),
    )
    funding_yuan_per_household: int = 2
    penalty_points: int = 50

    def stage_on(self, day: date) -> Stage | None:
        for stage in self.stages:
            if stage.start <= day <= stage.end:
                return stage
        return None
