"""Where the gaps are: the houses not counted as collected at the end of a day, as points
for the leaders' heatmap (issue 9, part 4).

``uncollected_points(session, scope, campaign, *, as_of, today=None) -> HeatPoints``
    One point per house in the caller's scope (a collector: their village) that was not
    collected or verified at the end of ``as_of`` (capped to the campaign): uncollected,
    or returned for correction and not submitted again. The point is the centre of the
    house's bounding box, rounded to 5 decimals (about a metre), as ``(lat, lon)``: what
    Leaflet.heat reads. As of today or later the houses' current status says it; as of
    a past day, the same status history as ``coverage.progress_series`` (so the number
    of points is the houses in scope minus ``coverage(...)`` houses ``collected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.calendar import Campaign
from geoapp.domain.metrics import beijing_today, day_end_utc
from geoapp.domain.roles import Scope

# The status history the coverage module reads (module docstring there): one definition of
# "collected at a moment" for the table, the chart and this map.
from geoapp.services.reports.coverage.events import _house_filter
from geoapp.services.reports.coverage.rows import _check_args
from geoapp.services.reports.coverage.series import _transitions
from geoapp.store.models import Building

DIGITS = 5


@dataclass(frozen=True)
class HeatPoints:
    as_of: date
    current: bool  # True: from the houses' current status (as_of is today or later)
    points: list[tuple[float, float]]  # (lat, lon)

    def to_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "current": self.current,
            "count": len(self.points),
            "points": [list(p) for p in self.points],
        }


def uncollected_points(
    session: Session, scope: Scope, campaign: Campaign, *, as_of: date, today: date | None = None
) -> HeatPoints:
    _check_args(scope, ["houses"])  # a reporter has no village
    as_of = campaign.cap(as_of)
    current = as_of >= (today or beijing_today())
    b = Building.__table__
    stmt = select(b.c.miny + b.c.maxy, b.c.minx + b.c.maxx).where(*_house_filter(scope, None))
    if current:
        stmt = stmt.where(b.c.status.not_in(("collected", "verified")))
    else:
        tr = _transitions(scope, None)
        inside = (
            select(tr.c.bid)
            .where(tr.c.at < day_end_utc(as_of))
            .group_by(tr.c.bid)
            .having(func.sum(tr.c.delta) > 0)
        )
        stmt = stmt.where(b.c.id.not_in(inside))
    rows = session.execute(stmt.order_by(b.c.id)).all()
    points = [(round(r[0] / 2, DIGITS), round(r[1] / 2, DIGITS)) for r in rows]
    return HeatPoints(as_of, current, points)
