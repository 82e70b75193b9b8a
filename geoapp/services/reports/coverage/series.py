"""Progress over time: collected records at the end of each day (``progress_series``),
from one query over the status events."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from geoapp.domain.calendar import Campaign
from geoapp.domain.errors import NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import beijing_today
from geoapp.domain.roles import Role, Scope
from geoapp.services.reports.coverage.events import _R, _S, _V, _events, _house_filter, _later
from geoapp.services.reports.coverage.rows import _check_args
from geoapp.store.models import AuditEvent, Building, Household, Person, Unit


def _beijing_day(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, "+8 hours")
    return cast(column + timedelta(hours=8), Date)


def _transitions(scope: Scope, village_id: int | None):
    """(house, time, +1/−1) each time a house became collected/verified or stopped being so."""
    b = Building.__table__
    ev = _events()
    a = AuditEvent
    returned_in_audit = select(cast(a.object_id, Integer)).where(
        a.object_type == "building", a.action == "house.return"
    )
    returned_fallback = func.coalesce(b.c.updated_at, b.c.collected_at)
    events = union_all(
        select(b.c.id.label("bid"), b.c.collected_at.label("at"), literal(_S).label("k")).where(
            b.c.collected_at.is_not(None)
        ),
        select(b.c.id, b.c.verified_at, literal(_V)).where(b.c.verified_at.is_not(None)),
        select(b.c.id, returned_fallback, literal(_R)).where(
            b.c.status == "returned", returned_fallback.is_not(None), b.c.id.not_in(returned_in_audit)
        ),
        select(ev.c.bid, ev.c.at, ev.c.k),
    ).subquery("all_ev")
    houses = select(b.c.id).where(*_house_filter(scope, village_id)).subquery("hs")
    e = events.c
    inside = case((e.k == _R, 0), else_=1)
    order = case((e.k == _S, 0), (e.k == _V, 1), else_=2)
    ordered = (
        select(
            e.bid,
            e.at,
            inside.label("inside"),
            func.lag(inside).over(partition_by=e.bid, order_by=(e.at, order)).label("before"),
            order.label("ord"),
        )
        .join(houses, houses.c.id == e.bid)
        .subquery("ord")
    )
    o = ordered.c
    delta = case(
        (and_(o.inside == 1, func.coalesce(o.before, 0) == 0), 1),
        (and_(o.inside == 0, func.coalesce(o.before, 0) == 1), -1),
        else_=0,
    )
    steps = select(o.bid, o.at, o.ord, delta.label("delta")).subquery("steps")
    return select(steps).where(steps.c.delta != 0).subquery("tr")


def progress_series(
    session: Session,
    scope: Scope,
    campaign: Campaign,
    kind: str,
    village_id: int | None = None,
    *,
    until: date | None = None,
) -> list[tuple[date, int]]:
    """Collected records at the end of each day, first day of collection .. ``until``."""
    _check_args(scope, [kind])
    if village_id is not None and scope.role == Role.COLLECTOR and village_id != scope.village_id:
        raise NotFound(N_("Village %(id)s does not exist."), id=village_id)
    start = campaign.collection_start
    until = campaign.cap(until or beijing_today())
    if until < start:
        return []
    if kind == "units":
        u = Unit.__table__
        b = Building.__table__
        day = _beijing_day(session, u.c.created_at)
        stmt = (
            select(day, func.count())
            .select_from(u.join(b, b.c.id == u.c.building_id))
            .where(u.c.status.in_(("collected", "verified")), *_house_filter(scope, village_id))
            .group_by(day)
        )
    else:
        tr = _transitions(scope, village_id)
        if kind == "houses":
            day = _beijing_day(session, tr.c.at)
            stmt = select(day, func.sum(tr.c.delta)).group_by(day)
        else:
            stmt = _weighted_steps(session, tr, Person if kind == "people" else Household)
    deltas: dict[date, int] = {}
    for day, value in session.execute(stmt):
        if day is not None:
            d = day if isinstance(day, date) else date.fromisoformat(str(day))
            deltas[d] = deltas.get(d, 0) + int(value or 0)
    running = sum(v for d, v in deltas.items() if d < start)
    series = []
    day = start
    while day <= until:
        running += deltas.get(day, 0)
        series.append((day, running))
        day += timedelta(days=1)
    return series


def _weighted_steps(session: Session, tr, model):
    """People (or households) entering and leaving the count: a row counts while its house is
    collected, from its own creation on."""
    nxt = func.lead(tr.c.at).over(partition_by=tr.c.bid, order_by=(tr.c.at, tr.c.ord))
    spans = select(tr.c.bid, tr.c.at.label("start"), nxt.label("end"), tr.c.delta).subquery("spans")
    s = spans.c
    m = model.__table__
    joined = m.join(spans, s.bid == m.c.building_id)
    enter = _later(s.start, m.c.created_at)
    enters = (
        select(enter.label("at"), literal(1).label("d"))
        .select_from(joined)
        .where(s.delta == 1, or_(s.end.is_(None), m.c.created_at < s.end))
    )
    leaves = (
        select(s.end.label("at"), literal(-1).label("d"))
        .select_from(joined)
        .where(s.delta == 1, s.end.is_not(None), m.c.created_at < s.end)
    )
    moves = union_all(enters, leaves).subquery("moves")
    day = _beijing_day(session, moves.c.at)
    return select(day, func.sum(moves.c.d)).group_by(day)
