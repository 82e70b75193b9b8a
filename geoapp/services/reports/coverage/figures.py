"""Every kind's raw figures per village as of the end of a day: the houses grouped by
their state (as of today from ``today``, else from ``history``), and the units."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.roles import Scope
from geoapp.services.reports.coverage.events import _house_filter, _per_building
from geoapp.services.reports.coverage.history import _fold, _grouping
from geoapp.services.reports.coverage.model import _Cutoffs
from geoapp.services.reports.coverage.today import _from_tally
from geoapp.store.models import Building, Unit


def _units(session: Session, scope: Scope, moments: Sequence[datetime]) -> dict[int, dict]:
    """Units per village: registered by each moment and collected or verified now; verified
    and returned now (units keep no history of their own)."""
    u = _per_building(Unit, moments, "uu", units=True)
    b = Building.__table__
    cols = [func.sum(u.c[f"n{i}"]) for i in range(len(moments))] + [
        func.sum(u.c.verified),
        func.sum(u.c.returned),
    ]
    stmt = (
        select(b.c.village_id, *cols)
        .select_from(u.join(b, b.c.id == u.c.bid))
        .where(*_house_filter(scope, None))
    )
    out = {}
    for row in session.connection().execute(stmt.group_by(b.c.village_id)):
        values = [int(v or 0) for v in row[1:]]
        verified, returned = values[-2:]
        out[row[0]] = {
            "collected": values[:-2],
            "verified": verified,
            "returned": returned,
            "checked": verified + returned,
            "passed": verified,
        }
    return out


def _aggregate(session: Session, scope: Scope, kinds: Iterable[str], cut: _Cutoffs):
    """{village_id: {kind: {"collected": [per moment], "verified": n, ...}}}.

    ``collected`` at moment 0 is as of the end of as_of; at a deadline's moment it is the
    records counted as of as_of whose house was first submitted before it.

    One statement groups the houses by village and by their state at as_of's end (counted,
    counted and first submitted before each deadline, verified, returned, flagged,
    checked, passed), counting houses and summing their people, households and units in
    each group: a few rows per village, folded here into every kind's figures. As of
    today the database keeps those groups itself (``today``, ``store/village_tally.py``)
    and they are read instead, unless they were grouped by other deadlines; as of a past
    day the state is rebuilt from the history and the people and households registered by
    then are counted per house."""
    kinds = list(kinds)
    result = _from_tally(session, scope, kinds, cut) if cut.current else None
    if result is None:
        stmt, names = _grouping(scope, kinds, cut)
        result = _fold(session.connection().execute(stmt), names, cut)
    if "units" in kinds:
        for village_id, figures in _units(session, scope, cut.moments).items():
            result.setdefault(village_id, {}).setdefault("units", {}).update(figures)
    return result
