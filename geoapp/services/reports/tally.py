"""Coverage as of today from the villages' tallies (``store/village_tally.py``).

``coverage._aggregate`` groups the houses by village and state in one statement; as
of today the database keeps those groups itself, so this module sums them instead: a
few rows per village, whatever the number of houses, summed by the database into one
row of figures per village. ``None`` when the tally was grouped by other deadlines than
the ones asked for: the caller then groups the houses themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from geoapp.domain.roles import Role, Scope
from geoapp.domain.status import Status
from geoapp.store import village_tally
from geoapp.store.models import Building, Unit, VillageTally

_INSIDE = (Status.COLLECTED.value, Status.VERIFIED.value)


def _buckets(stored: list[datetime], moments: Sequence[datetime], deadline_index: Sequence[int | None]):
    """For each deadline moment (``moments[1:]``), the largest bucket submitted before it;
    None when the stored deadlines are not the ones the moments were taken from."""
    if len(stored) != len(deadline_index) or stored != sorted(stored):
        return None
    limit: dict[int, int] = {}
    for stage, index in enumerate(deadline_index):
        if index is not None and index >= 1:
            if stored[stage] != moments[index]:
                return None
            limit[index] = stage
    if sorted(limit) != list(range(1, len(moments))):
        return None
    return [limit[i] for i in range(1, len(moments))]


def current_figures(
    session: Session,
    scope: Scope,
    moments: Sequence[datetime],
    deadline_index: Sequence[int | None],
    counts: Sequence[str],
) -> dict[int, dict[str, dict]] | None:
    """Per village, the houses', people's and households' figures as they are now, in
    ``coverage._aggregate``'s shape: ``{village: {kind: {"collected": [per moment], key: n
    for key in counts}}}`` (``counts``: verified, returned, flagged, checked, passed).
    Summed by the database over the kept groups, one row per village; None when the tally
    was grouped by other deadlines than these."""
    connection = session.connection()
    limits = _buckets(village_tally.stored_deadlines(connection), moments, deadline_index)
    if limits is None:
        return None
    t = VillageTally
    inside = t.status.in_(_INSIDE)
    conditions = {
        "collected": [inside, *(and_(inside, t.bucket <= limit) for limit in limits)],
        "verified": t.status == Status.VERIFIED.value,
        "returned": t.status == Status.RETURNED.value,
        "flagged": t.flagged == 1,
        "checked": t.checked == 1,
        "passed": t.passed == 1,
    }
    columns = []
    for weight in (t.houses, t.people, t.households):
        for key in ("collected", *counts):
            for condition in conditions[key] if key == "collected" else [conditions[key]]:
                columns.append(func.coalesce(func.sum(case((condition, weight), else_=0)), 0))
    stmt = select(t.village_id, *columns).group_by(t.village_id)
    if scope.role == Role.COLLECTOR:
        stmt = stmt.where(t.village_id == scope.village_id)
    n = len(moments)
    out: dict[int, dict[str, dict]] = {}
    for row in connection.execute(stmt):
        values = iter(row[1:])
        per_kind = out[row[0]] = {}
        for kind in ("houses", "people", "households"):
            figures = per_kind[kind] = {"collected": [int(next(values)) for _ in range(n)]}
            for key in counts:
                figures[key] = int(next(values))
    return out


def flagged_units(session: Session, scope: Scope, t0: datetime) -> dict[int, int]:
    """Per village, the units registered before ``t0`` and counted (collected or verified)
    in houses whose visit is flagged and not yet checked."""
    b = Building
    stmt = (
        select(b.village_id, func.count())
        .select_from(Unit)
        .join(b, b.id == Unit.building_id)
        .where(
            b.status == Status.COLLECTED.value,
            b.visit_flag.is_not(None),
            Unit.status.in_(_INSIDE),
            Unit.created_at < t0,
        )
        .group_by(b.village_id)
    )
    if scope.role == Role.COLLECTOR:
        stmt = stmt.where(b.village_id == scope.village_id)
    return {village_id: n for village_id, n in session.execute(stmt)}
