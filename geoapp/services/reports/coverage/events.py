"""SQL pieces: the status events kept in the history tables, each house's latest of them
before a moment, rows per house created before moments, and the caller's houses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import DateTime, Integer, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from geoapp.domain.roles import Role, Scope
from geoapp.store.models import AuditEvent, Building, Visit

_S, _V, _R = "S", "V", "R"  # a submission, a verification, a return
# A unit reporter's submission in a house nobody collected leaves it uncollected (its answer says so).
_LEFT_UNCOLLECTED = '%"status":"uncollected"%'


class _Later(FunctionElement):
    """The later of two times, either of which may be NULL (then the other)."""

    type = DateTime()
    inherit_cache = True


@compiles(_Later)
def _later_sql(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} >= {b} THEN {a} ELSE {b} END"


@compiles(_Later, "postgresql")
def _later_pg(element, compiler, **kw):
    return f"greatest({compiler.process(element.clauses, **kw)})"  # NULLs are ignored


@compiles(_Later, "sqlite")
def _later_sqlite(element, compiler, **kw):
    # Times are ISO text on SQLite: '' sorts before every time; each argument is read once.
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"nullif(max(coalesce({a}, ''), coalesce({b}, '')), '')"


def _later(a, b):
    return _Later(a, b)


def _events(before: datetime | None = None):
    """Status events kept in the history tables: (house id, time, S/V/R, flagged visit),
    all of them or those before a moment."""
    visits = select(
        Visit.building_id.label("bid"),
        Visit.submitted_at.label("at"),
        literal(_S).label("k"),
        case((Visit.flag.is_not(None), 1), else_=0).label("f"),
    ).where(Visit.response.not_like(_LEFT_UNCOLLECTED))
    a = AuditEvent
    if before is not None:
        visits = visits.where(Visit.submitted_at < before)
    audits = select(
        cast(a.object_id, Integer).label("bid"),
        a.at.label("at"),
        case((a.action == "house.verify", _V), (a.action == "house.return", _R), else_=_S).label("k"),
        literal(0).label("f"),
    ).where(
        a.object_type == "building",
        or_(
            a.action.in_(("house.verify", "house.return")),
            and_(a.action == "building.update", a.changes.like('%"status":%')),
        ),
    )
    if before is not None:
        audits = audits.where(a.at < before)
    return union_all(visits, audits).subquery("ev")


def _history(t0: datetime):
    """Per house with history rows before ``t0``: its latest submission, verification and
    return, its latest flagged submission, and whether a return is recorded (then the
    history, not the house's columns, says when it was returned)."""
    ev = _events(t0)
    cols = [ev.c.bid]
    for k in (_S, _V, _R):
        cols.append(func.max(case((ev.c.k == k, ev.c.at))).label(k))
    cols += [
        func.max(case((and_(ev.c.k == _S, ev.c.f == 1), ev.c.at))).label("f"),
        func.max(case((ev.c.k == _R, 1), else_=0)).label("anyr"),
    ]
    return select(*cols).group_by(ev.c.bid).subquery("h")


def _per_building(model, moments: Sequence[datetime], name: str, units: bool = False):
    """Rows of ``model`` per house created before each moment (units: collected or verified
    now; plus, for the first moment, verified and returned now)."""
    cols = [model.building_id.label("bid")]
    live = model.status.in_(("collected", "verified")) if units else None
    for i, t in enumerate(moments):
        cond = model.created_at < t if live is None else and_(model.created_at < t, live)
        cols.append(func.sum(case((cond, 1), else_=0)).label(f"n{i}"))
    if units:
        for status in ("verified", "returned"):
            cond = and_(model.created_at < moments[0], model.status == status)
            cols.append(func.sum(case((cond, 1), else_=0)).label(status))
    return select(*cols).group_by(model.building_id).subquery(name)


def _house_filter(scope: Scope, village_id: int | None):
    clauses = []
    if scope.role == Role.COLLECTOR:
        clauses.append(Building.village_id == scope.village_id)
    if village_id is not None:
        clauses.append(Building.village_id == village_id)
    return clauses
