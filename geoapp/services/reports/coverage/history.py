"""The statement grouping the houses by village and by their state at the end of as_of:
from the houses' columns when nothing has happened since, else rebuilt from the history
(the package docstring says how); and its rows folded into every kind's figures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, and_, case, func, or_, select

from geoapp.domain.roles import Scope
from geoapp.services.reports.coverage.events import _R, _S, _V, _history, _house_filter, _later, _per_building
from geoapp.services.reports.coverage.model import _COUNTS, _Cutoffs
from geoapp.store.models import Building, Household, Person, Unit


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
    status event before it (package docstring), with the weights' counts per moment."""
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
