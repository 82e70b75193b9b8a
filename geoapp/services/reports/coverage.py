"""Coverage by village against the work plan, as it stood at the end of a day.

The leaders' page, the assessment workbook and ``GET /api/coverage`` all call this
module; the rates' definitions live in ``geoapp.domain.metrics``.

Interface
---------
``coverage(session, scope, campaign, *, kind, as_of, today=None) -> Coverage``
    ``kind``: "houses", "people", "units" or "households"; ``as_of``: a ``date``
    (capped to the campaign's end; ``Coverage.as_of`` is the day used); ``today``
    only for tests (default: today in Beijing). ``campaign``: from
    ``services.campaign.settings.load_campaign(session)``. A reporter's scope is
    refused (Forbidden), an unknown kind is an InvalidInput naming "kind".
    ``Coverage`` (frozen): ``kind``, ``as_of``, ``definitions`` (msgids keyed by
    figure, plus "deadline_rule": translate them for display), ``villages:
    list[Row]`` (by village code), ``station: Row``, ``total: Row``; ``to_dict()``.
    ``Row`` (frozen): ``code, name, task, collected, verified, returned, flagged,
    collection_rate, timeliness_rate, accuracy_rate, stage1, stage2, households,
    funding_yuan, penalty_points, village_id``; rates are fractions 0..1 or None
    where undefined; ``stage1``/``stage2`` are "met", "missed", "open", or None
    where there is no task to judge; ``funding_yuan``/``penalty_points`` are None
    before the stage 2 deadline (undecided) and for the station. The station's
    row has ``code`` "station" and the campaign's ``station_name``; the total's
    ``code`` is "total" and its ``name`` the msgid "Total" (translate it).
``coverage_kinds(session, scope, campaign, *, kinds=KINDS, as_of, today=None)
-> dict[kind, Coverage]``
    Several kinds computed together (the workbook shows people, houses and units).
``progress_series(session, scope, campaign, kind, village_id=None, *, until=None)
-> list[tuple[date, int]]``
    Collected records at the end of each day from the first day of collection to
    ``until`` (default today in Beijing, capped to the campaign's end), for the
    caller's villages or one village (NotFound outside a collector's own); the
    same counts ``coverage(...).total`` (or the village's row) gives as
    ``collected`` for each day, from one query over the status events (below).

Rows
----
One row per village, in the caller's scope: town roles see every village; a
collector only their own, and then the station and total rows are computed over
that village alone (the API does not send them to collectors). The station
(派出所) enters every village's records, so its row has the total's counts; its
task is the villages' task for people, houses and households, and for units its
own collection task (``campaign.station_task_units``, the task table's 400) plus
any village unit tasks. The total row is the sum of the village rows, its rates
recomputed from the summed counts (timeliness: the villages' on-time records over
their due records; funding and penalty: the villages' sums). Funding and the
penalty judge a village on its two tasks, people and houses
(``metrics.judge``); the station gets neither.

"As it stood at the end of day D"
---------------------------------
D is a Beijing day; stored times are naive UTC, so "by D" means "before
``metrics.day_end_utc(D)``".
- If D is today or later, nothing has happened after its end yet: the houses'
  current columns are exact (``status``, ``visit_flag``), and so are the people,
  households and units there now. This is the fast path.
- If D is in the past, a house's status is that of its latest status event before
  the end of D:
  - a submission makes it "collected": each row of the ``visit`` table (except a
    unit reporter's in a house nobody collected, which leaves it uncollected), a
    ``building.update`` audit event that changed its status (the station edited a
    verified house), and ``Building.collected_at`` (its latest submission; it also
    covers houses collected without visit rows: imported or demo data);
  - ``house.verify`` audit events and ``Building.verified_at`` make it "verified";
  - ``house.return`` audit events make it "returned"; a house returned now without
    such an event (demo data) was returned at ``Building.updated_at``.
  At equal times a return wins over a verification, which wins over a submission.
From that status:
- houses: collected = collected or verified; verified; returned; flagged = collected
  (not verified) whose latest submission by then was a flagged visit (or, without
  visit rows, ``Building.visit_flag``);
- accuracy: checked = houses whose first check (``Building.first_checked_at``, set by
  the first verification or return; for older rows ``verified_at`` or the return)
  came by then; passed = those whose first check verified them
  (``Building.first_check_passed``). A re-visit that found the house wrong
  (``Building.revisit_failed_at``) is a failed check from then on: the house counts
  as checked and not passed, whatever its first check said (``domain/reviewing.py``);
- timeliness and stages: "collected by a deadline" = records counted as collected
  as of D whose house's first submission (``Building.first_collected_at``; for older
  rows ``collected_at``) came before the end of the deadline's day;
- people and households: those of a house with that status. As of today, the house's
  own count (``Building.people_count``/``households_count``, kept by the database on
  every insert, delete and move: ``store/house_counts.py``); as of a past day, those
  registered (``created_at``: the submission that registered them) by then. They are
  collected with their house, so they count towards a deadline when their house was
  first submitted by then. They keep no other history: someone deleted or moved since
  counts where they are now, or not at all;
- units: a unit keeps no status history of its own; it counts with its current
  status from the moment it was registered (``Unit.created_at``); accuracy for units
  is verified / (verified + returned), flagged units are those in flagged houses.

Speed: one SQL statement groups the houses by village and by their state at the end
of as_of (a few rows per village), counting houses and summing their people,
households and units; the kinds' figures, rates, stages and funding are computed
from those rows in Python. As of today the database keeps those groups up to date
itself (``store/village_tally.py``: triggers on every write of a house), so a county
reads a few thousand rows (``tally.py``); as of a past
day each house's state comes from sub-selects the database evaluates once per house
first submitted by then. Units take one more statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from geoapp.domain.calendar import Campaign
from geoapp.domain.errors import Forbidden, InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import (
    DEADLINE_RULE_DEFINITIONS,
    DEFINITIONS,
    JUDGED_KINDS,
    KINDS,
    Deadline,
    KindRates,
    accuracy_rate,
    beijing_today,
    collection_rate,
    day_end_utc,
    judge,
    stage_status,
    timeliness,
)
from geoapp.domain.roles import Role, Scope
from geoapp.services.reports import tally
from geoapp.store.models import AuditEvent, Building, Household, Person, Unit, Village, Visit

TOTAL_NAME = N_("Total")
STATION_CODE, TOTAL_CODE = "station", "total"
_S, _V, _R = "S", "V", "R"  # a submission, a verification, a return
# A unit reporter's submission in a house nobody collected leaves it uncollected (its answer says so).
_LEFT_UNCOLLECTED = '%"status":"uncollected"%'
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


# -- SQL --------------------------------------------------------------------------------------


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


def _common_flags(b, t0: datetime) -> dict[str, object]:
    """What the house's own columns tell about as_of's end: ``fc`` its first submission,
    ``chk``/``pas`` (1/0) checked by then / passed its first check."""
    returned_at = func.coalesce(b.c.updated_at, b.c.collected_at)
    checked_at = func.coalesce(
        b.c.first_checked_at, b.c.verified_at, case((b.c.status == "returned", returned_at))
    )
    passed = func.coalesce(b.c.first_check_passed, b.c.verified_at.is_not(None), type_=Boolean)
    failed_revisit = b.c.revisit_failed_at < t0  # a failed check from the re-visit on (domain/reviewing.py)
    return {
        "fc": func.coalesce(b.c.first_collected_at, b.c.collected_at),
        "chk": case((or_(checked_at < t0, failed_revisit), 1), else_=0),
        "pas": case(
            (and_(checked_at < t0, passed, or_(b.c.revisit_failed_at.is_(None), ~failed_revisit)), 1), else_=0
        ),
    }


def _current_flags(b, t0: datetime) -> dict[str, object]:
    """The status flags (1/0) when nothing has happened after as_of's end yet: the columns."""
    return {
        "in0": case((b.c.status.in_(("collected", "verified")), 1), else_=0),
        "ver": case((b.c.status == "verified", 1), else_=0),
        "ret": case((b.c.status == "returned", 1), else_=0),
        "flag": case((and_(b.c.status == "collected", b.c.visit_flag.is_not(None)), 1), else_=0),
        **_common_flags(b, t0),
    }


def _past_rows(cut: _Cutoffs, weights: dict[str, object], scope: Scope):
    """Per house, for a day in the past: its status flags at the day's end from its latest
    status event before it (module docstring), with the weights' counts per moment."""
    b = Building.__table__
    t0 = cut.moments[0]
    h = _history(t0)
    joined = b.outerjoin(h, h.c.bid == b.c.id)
    extra = []
    for name, sub in weights.items():
        joined = joined.outerjoin(sub, sub.c.bid == b.c.id)
        extra += [
            func.coalesce(sub.c[col.name], 0).label(f"{name}_{col.name}")
            for col in sub.c
            if col.name != "bid"
        ]
    returned_at = func.coalesce(b.c.updated_at, b.c.collected_at)
    last = [
        _later(h.c[_S], case((b.c.collected_at < t0, b.c.collected_at))).label("s"),
        _later(h.c[_V], case((b.c.verified_at < t0, b.c.verified_at))).label("v"),
        case(
            (h.c.anyr == 1, h.c[_R]),
            else_=case((and_(b.c.status == "returned", returned_at < t0), returned_at)),
        ).label("r"),
        _later(
            h.c.f, case((and_(b.c.visit_flag.is_not(None), b.c.collected_at < t0), b.c.collected_at))
        ).label("f"),
    ]
    common = [expr.label(name) for name, expr in _common_flags(b, t0).items()]
    # Only a house first submitted before t0 can have been anything but uncollected then.
    first = func.coalesce(b.c.first_collected_at, b.c.collected_at)
    stmt = (
        select(b.c.village_id, *common, *last, *extra)
        .select_from(joined)
        .where(first < t0, *_house_filter(scope, None))
    )
    one = stmt.offset(0).subquery("one")  # OFFSET: evaluated once per house, not inlined below
    c = one.c
    sv = _later(c.s, c.v)
    inside = and_(sv.is_not(None), or_(c.r.is_(None), sv > c.r))
    flags = [
        case((inside, 1), else_=0).label("in0"),
        case((and_(inside, c.v.is_not(None), or_(c.s.is_(None), c.v >= c.s)), 1), else_=0).label("ver"),
        case((and_(c.r.is_not(None), or_(sv.is_(None), c.r >= sv)), 1), else_=0).label("ret"),
        case(
            (
                and_(
                    c.f.is_not(None),
                    c.s.is_not(None),
                    c.f >= c.s,
                    or_(c.v.is_(None), c.s > c.v),
                    or_(c.r.is_(None), c.s > c.r),
                ),
                1,
            ),
            else_=0,
        ).label("flag"),
    ]
    passthrough = [c.village_id, c.fc, c.chk, c.pas, *(c[col.name] for col in extra)]
    return select(*passthrough, *flags).offset(0).subquery("two")


_FLAGS = ("ver", "ret", "flag", "chk", "pas")  # in _COUNTS' order
_WEIGHTED = {"people": Person, "households": Household}


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
    today the database keeps those groups itself (``tally``, ``store/village_tally.py``)
    and they are read instead, unless they were grouped by other deadlines; as of a past
    day the state is rebuilt from the history and the people and households registered by
    then are counted per house."""
    kinds = list(kinds)
    result = None
    if cut.current:
        result = tally.current_figures(session, scope, cut.moments, cut.deadline_index, _COUNTS)
    if result is not None:  # the database keeps today's groups: a few rows per village
        if "units" in kinds:  # the units in flagged houses
            flagged = tally.flagged_units(session, scope, cut.moments[0])
            for village_id, per_kind in result.items():
                per_kind["units"] = {"flagged": flagged.pop(village_id, 0)}
            for village_id, count in flagged.items():
                result.setdefault(village_id, {})["units"] = {"flagged": count}
    else:
        stmt, names = _grouping(scope, kinds, cut)
        result = _fold(session.connection().execute(stmt), names, cut)
    if "units" in kinds:
        for village_id, figures in _units(session, scope, cut.moments).items():
            result.setdefault(village_id, {}).setdefault("units", {}).update(figures)
    return result


def _fold(rows, names: list[str], cut: _Cutoffs) -> dict[int, dict[str, dict]]:
    """The grouping statement's rows (houses, then the weights ``names``) folded into every
    kind's figures per village."""
    n = len(cut.moments)
    width = n + len(_FLAGS)  # in0, submitted before each passed deadline, the flags
    result: dict[int, dict[str, dict]] = {}
    for row in rows:
        per_kind = result.setdefault(row[0], {})
        state = [int(v or 0) for v in row[1 : 1 + width]]
        inside, by_deadline, flags = state[0], state[1:n], dict(zip(_FLAGS, state[n:], strict=True))
        counted = dict(zip(["houses", *names], (int(v or 0) for v in row[1 + width :]), strict=True))
        for kind, weight in counted.items():
            if kind == "units":  # only the units in flagged houses, from here
                per_kind.setdefault("units", {}).setdefault("flagged", 0)
                per_kind["units"]["flagged"] += flags["flag"] * weight
                continue
            figures = per_kind.setdefault(kind, {"collected": [0] * n, **dict.fromkeys(_COUNTS, 0)})
            if inside:
                figures["collected"][0] += weight
                for i, by in enumerate(by_deadline, start=1):
                    figures["collected"][i] += by * weight
            for key, flag in zip(_COUNTS, _FLAGS, strict=True):
                figures[key] += flags[flag] * weight
    return result


def _grouping(scope: Scope, kinds: list[str], cut: _Cutoffs):
    """The statement grouping the houses by village and state at as_of's end (``_aggregate``),
    and the names of the weights it sums after the houses."""
    moments = cut.moments
    b = Building.__table__
    t0 = moments[0]
    unit_sub = _per_building(Unit, moments[:1], "un", units=True) if "units" in kinds else None
    if cut.current:
        f = _current_flags(b, t0)
        source = b if unit_sub is None else b.outerjoin(unit_sub, unit_sub.c.bid == b.c.id)
        weights = {"people": b.c.people_count, "households": b.c.households_count}
        if unit_sub is not None:
            weights["units"] = func.coalesce(unit_sub.c.n0, 0)
        where = [b.c.status != "uncollected", *_house_filter(scope, None)]  # the others count for nothing
        village = b.c.village_id
    else:
        subs = {
            name: _per_building(model, moments[:1], name)
            for name, model in _WEIGHTED.items()
            if name in kinds or (name == "households")
        }
        if unit_sub is not None:
            subs["units"] = unit_sub
        two = _past_rows(cut, subs, scope)
        f = {name: two.c[name] for name in ("in0", *_FLAGS, "fc")}
        weights = {name: two.c[f"{name}_n0"] for name in subs}
        source, where, village = two, [], two.c.village_id
    keys = [f["in0"], *(case((f["fc"] < m, 1), else_=0) for m in moments[1:]), *(f[k] for k in _FLAGS)]
    keys = [key.label(f"k{i}") for i, key in enumerate(keys)]
    names = [name for name in ("people", "households", "units") if name in weights]
    values = [func.count(), *(func.sum(weights[name]) for name in names)]
    stmt = select(village, *keys, *values).select_from(source).where(*where).group_by(village, *keys)
    return stmt, names


# -- rows ---------------------------------------------------------------------------------------


def _check_args(scope: Scope, kinds: Iterable[str]) -> None:
    if scope.role == Role.REPORTER:
        raise Forbidden(N_("Coverage is for the villages and the town; a unit reporter has no village."))
    for kind in kinds:
        if kind not in KINDS:
            raise InvalidInput(
                N_("%(field)s must be one of houses, people, units, households; got %(value)s."),
                field="kind",
                value=str(kind)[:40],
            )


def _villages(session: Session, scope: Scope):
    stmt = select(
        Village.id, Village.code, Village.name, Village.task_people, Village.task_houses, Village.task_units
    ).order_by(Village.code)
    if scope.role == Role.COLLECTOR:
        stmt = stmt.where(Village.id == scope.village_id)
    return session.execute(stmt).all()


def _task(village, kind: str) -> int:
    return {"houses": village.task_houses, "people": village.task_people, "units": village.task_units}.get(
        kind, 0
    )


def _deadlines(campaign: Campaign, at_deadlines: Sequence[int]) -> list[Deadline]:
    return [
        Deadline(stage.end, stage.target, at_deadlines[k])
        for k, stage in enumerate(campaign.collection_stages)
    ]


def _counts(campaign: Campaign, cut: _Cutoffs, task: int, raw: dict | None, households: int) -> _Counts:
    raw = raw or {}
    collected = raw.get("collected") or [0] * len(cut.moments)
    at_deadlines = tuple(0 if i is None else collected[i] for i in cut.deadline_index)
    tl = timeliness(task, _deadlines(campaign, at_deadlines), cut.as_of, campaign.deadline_rule)
    return _Counts(
        task,
        collected[0],
        *(raw.get(key, 0) for key in _COUNTS),
        at_deadlines=at_deadlines,
        on_time=tl.on_time,
        due=tl.due,
        households=households,
    )


def _row(campaign, cut, counts: _Counts, *, code, name, village_id=None, funding=None, penalty=None) -> Row:
    deadlines = _deadlines(campaign, counts.at_deadlines)
    stages = [stage_status(counts.task, d, cut.as_of, counts.collected) for d in deadlines]
    return Row(
        code=code,
        name=name,
        task=counts.task,
        collected=counts.collected,
        verified=counts.verified,
        returned=counts.returned,
        flagged=counts.flagged,
        collection_rate=collection_rate(counts.collected, counts.task),
        timeliness_rate=counts.on_time / counts.due if counts.due else None,
        accuracy_rate=accuracy_rate(counts.passed, counts.checked),
        stage1=stages[0].value if stages[0] else None,
        stage2=stages[1].value if stages[1] else None,
        households=counts.households,
        funding_yuan=funding,
        penalty_points=penalty,
        village_id=village_id,
    )


def _sum_optional(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) or not values else sum(values)


def definitions(campaign: Campaign) -> dict[str, str]:
    """The figures' definitions (msgids), with the campaign's deadline rule."""
    return {**DEFINITIONS, "deadline_rule": DEADLINE_RULE_DEFINITIONS[campaign.deadline_rule]}


def coverage_kinds(
    session: Session,
    scope: Scope,
    campaign: Campaign,
    *,
    kinds: Sequence[str] = KINDS,
    as_of: date,
    today: date | None = None,
) -> dict[str, Coverage]:
    """``coverage`` for several kinds at once (one query). ``today`` (default: today in
    Beijing) decides whether as_of's end is still ahead, when the current state is exact."""
    _check_args(scope, kinds)
    as_of = campaign.cap(as_of)
    cut = _Cutoffs.of(campaign, as_of, today or beijing_today())
    decided = as_of >= campaign.stage2_end  # funding and the penalty judge people and houses
    needed = list(dict.fromkeys([*kinds, *(JUDGED_KINDS if decided else ())]))
    raw = _aggregate(session, scope, needed, cut)
    villages = _villages(session, scope)
    per_village: dict[int, dict[str, _Counts]] = {}
    judged: dict[int, tuple[int | None, int | None]] = {}
    for v in villages:
        got = raw.get(v.id, {})
        households = got.get("households", {}).get("collected", [0])[0]  # always counted
        per_village[v.id] = {k: _counts(campaign, cut, _task(v, k), got.get(k), households) for k in needed}
        rates = [
            KindRates(
                per_village[v.id][k].on_time / per_village[v.id][k].due if per_village[v.id][k].due else None,
                accuracy_rate(per_village[v.id][k].passed, per_village[v.id][k].checked),
            )
            for k in (JUDGED_KINDS if decided else ())
        ]
        j = judge(campaign, as_of, rates, households)
        judged[v.id] = (j.funding_yuan, j.penalty_points)
    defs = definitions(campaign)
    out = {}
    for kind in kinds:
        rows = [
            _row(
                campaign,
                cut,
                per_village[v.id][kind],
                code=v.code,
                name=v.name,
                village_id=v.id,
                funding=judged[v.id][0],
                penalty=judged[v.id][1],
            )
            for v in villages
        ]
        total_counts = sum((per_village[v.id][kind] for v in villages), _Counts())
        total = _row(
            campaign,
            cut,
            total_counts,
            code=TOTAL_CODE,
            name=TOTAL_NAME,
            funding=_sum_optional([judged[v.id][0] for v in villages]),
            penalty=_sum_optional([judged[v.id][1] for v in villages]),
        )
        station_counts = _station_counts(campaign, cut, kind, total_counts)
        station = _row(campaign, cut, station_counts, code=STATION_CODE, name=campaign.station_name)
        out[kind] = Coverage(kind, as_of, defs, rows, station, total)
    return out


def _station_counts(campaign: Campaign, cut: _Cutoffs, kind: str, total: _Counts) -> _Counts:
    """The station: the total's counts; for units its own task besides the villages'."""
    if kind != "units" or campaign.station_task_units == 0:
        return total
    task = total.task + campaign.station_task_units
    tl = timeliness(task, _deadlines(campaign, total.at_deadlines), cut.as_of, campaign.deadline_rule)
    return replace(total, task=task, on_time=tl.on_time, due=tl.due)


def coverage(
    session: Session, scope: Scope, campaign: Campaign, *, kind: str, as_of: date, today: date | None = None
) -> Coverage:
    """Coverage of one kind by village, for the station and in total, as of the end of a day."""
    return coverage_kinds(session, scope, campaign, kinds=(kind,), as_of=as_of, today=today)[kind]


# -- progress over time ----------------------------------------------------------------------


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
