"""Coverage by village as it stood at the end of a day, on both backends.

A tiny town is built by hand with the rows the app itself writes (visits, audit events,
the house's own columns) and known answers; then the demo town's figures must reconcile.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import count, pairwise

import orjson
import pytest
import shapely
from sqlalchemy import func, select

from geoapp.domain.calendar import Campaign, DeadlineRule
from geoapp.domain.errors import Forbidden, InvalidInput, NotFound
from geoapp.domain.metrics import KINDS
from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign.settings import change_settings, load_campaign
from geoapp.services.reports import tally
from geoapp.services.reports.coverage import coverage, coverage_kinds, progress_series
from geoapp.store.models import AuditEvent, Building, Household, Person, Unit, Village, Visit

PLAN = Campaign()
LEADER = Scope(1, "leader", Role.LEADER)
PAST = date(2030, 1, 1)  # as "today": every as_of of 2016 is read from the history
_serial = count(1)


def bj(day: str, hour: int = 10) -> datetime:
    """A Beijing time as stored: naive UTC."""
    return datetime.fromisoformat(day) + timedelta(hours=hour - 8)


class TinyTown:
    """Villages and houses with a given history, written as the app writes them."""

    def __init__(self, session):
        self.s = session
        self.ids: dict[str, int] = {}
        self._history: list = []

    def village(self, name: str, *, houses: int, people: int, units: int = 0) -> int:
        v = Village(code=f"4399011012{len(self.ids) + 1:02d}", name=name)
        v.task_houses, v.task_people, v.task_units = houses, people, units
        x = 113 + len(self.ids) * 0.01
        v.set_geometry(shapely.box(x, 27.0, x + 0.01, 27.01))
        self.s.add(v)
        self.s.flush()
        self.ids[name] = v.id
        return v.id

    def house(self, village: str, name: str, events=(), *, people=(), audited: bool = True) -> int:
        """``events``: ("submit", time[, flag]), ("verify", time), ("return", time), ("edit", time);
        ``people``: the registration time of each person (one household, from the first)."""
        b = Building(village_id=self.ids[village], address=f"{village}{name}")
        b.set_geometry(shapely.Point(113.001, 27.001))
        status, flag = "uncollected", None
        for event in events:
            kind, at = event[0], event[1]
            before = status
            if kind == "submit":
                status, flag = "collected", event[2] if len(event) > 2 else None
                b.collected_at, b.verified_at = at, None
                b.first_collected_at = b.first_collected_at or at
            elif kind == "verify":
                status, flag, b.verified_at = "verified", None, at
            elif kind == "return":
                status, b.verified_at = "returned", None
            elif kind == "edit":  # the station changes a verified house: collected again
                status, b.verified_at = "collected", None
            if kind in ("verify", "return") and b.first_checked_at is None:
                b.first_checked_at, b.first_check_passed = at, kind == "verify"
            b.updated_at = at
            self._history.append((kind, at, before, status, flag))
        b.status, b.visit_flag = status, flag
        self.s.add(b)
        self.s.flush()
        if audited:
            for kind, at, before, after, flag in self._history:
                self._record(b.id, kind, at, before, after, flag)
        self._history.clear()
        if people:
            household = Household(building_id=b.id, created_at=people[0])
            self.s.add(household)
            self.s.flush()
        for at in people:
            self.s.add(Person(building_id=b.id, household_id=household.id, name="测试", created_at=at))
        self.s.flush()
        return b.id

    def _record(self, building_id, kind, at, before, after, flag):
        if kind == "submit":
            answer = {"status": after, "visit_flag": flag}
            self.s.add(Visit(client_id=f"c{next(_serial)}", building_id=building_id, submitted_at=at,
                             flag=flag, response=orjson.dumps(answer).decode()))  # fmt: skip
        action = {"submit": "house.submit", "verify": "house.verify", "return": "house.return"}.get(kind, "building.update")  # fmt: skip
        changes = {"status": [before, after], **({"visit_flag": flag} if kind == "submit" else {})}
        self.s.add(AuditEvent(at=at, actor="t", action=action, object_type="building",
                              object_id=str(building_id), changes=orjson.dumps(changes).decode()))  # fmt: skip

    def unit(self, building_id: int, status: str, at: datetime) -> None:
        self.s.add(Unit(building_id=building_id, name=f"单位{next(_serial)}", status=status, created_at=at))
        self.s.flush()


@pytest.fixture
def town(db):
    """Four villages with known answers (tasks: houses / people).

    A (5/10): a1 collected 05-10, verified 05-12; a2 collected 05-20, returned 05-22,
       resubmitted 06-05; a3 collected 06-10 far from the house, not checked; a4 collected
       07-05 (late); a5 never. B (2/4): both collected 05-01/05-02 and verified: on time,
       with quality. C (0/0): a task of 0, one house collected anyway. D (5/5): three houses
       collected 05-15 (meets stage 1), nothing after (misses stage 2); one was collected
       before the audit trail existed (columns only) and is verified.
    """
    with db.write() as s:
        t = TinyTown(s)
        t.village("A村", houses=5, people=10)
        t.village("B村", houses=2, people=4)
        t.village("C村", houses=0, people=0)
        t.village("D村", houses=5, people=5)
        t.house("A村", "1", [("submit", bj("2016-05-10")), ("verify", bj("2016-05-12"))], people=[bj("2016-05-10")] * 2)  # fmt: skip
        t.house("A村", "2", [("submit", bj("2016-05-20")), ("return", bj("2016-05-22")), ("submit", bj("2016-06-05"))],
                people=[bj("2016-05-20"), bj("2016-05-20"), bj("2016-06-05")])  # fmt: skip
        a3 = t.house("A村", "3", [("submit", bj("2016-06-10"), "far")], people=[bj("2016-06-10")] * 2)
        t.house("A村", "4", [("submit", bj("2016-07-05"))], people=[bj("2016-07-05")])
        a5 = t.house("A村", "5")
        b1 = t.house("B村", "1", [("submit", bj("2016-05-01")), ("verify", bj("2016-05-03"))], people=[bj("2016-05-01")] * 2)  # fmt: skip
        t.house("B村", "2", [("submit", bj("2016-05-02")), ("verify", bj("2016-05-04"))], people=[bj("2016-05-02")] * 2)  # fmt: skip
        t.house("C村", "1", [("submit", bj("2016-05-05"))], people=[bj("2016-05-05")])
        for n in "12":
            t.house("D村", n, [("submit", bj("2016-05-15"))], people=[bj("2016-05-15")])
        t.house("D村", "3", [("submit", bj("2016-05-15")), ("verify", bj("2016-05-16"))], people=[bj("2016-05-15")], audited=False)  # fmt: skip
        t.unit(b1, "verified", bj("2016-05-01"))  # collected with its house
        t.unit(a5, "collected", bj("2016-06-01"))  # a unit reporter's, in a house nobody collected
        t.unit(a3, "uncollected", bj("2016-04-01"))  # registered in advance, not collected
        ids = dict(t.ids)
    return ids


def rows(cov):
    return {r.name: r for r in cov.villages}


def figures(row, *names):
    return tuple(getattr(row, n) for n in names)


def test_houses_as_they_stood(db, town):
    with db.session() as s:
        may21 = rows(coverage(s, LEADER, PLAN, kind="houses", as_of=date(2016, 5, 21), today=PAST))
        may25 = rows(coverage(s, LEADER, PLAN, kind="houses", as_of=date(2016, 5, 25), today=PAST))
        jun30 = coverage(s, LEADER, PLAN, kind="houses", as_of=date(2016, 6, 30), today=PAST)
        jul10 = coverage(s, LEADER, PLAN, kind="houses", as_of=date(2016, 7, 10), today=PAST)
    assert figures(may21["A村"], "collected", "verified", "returned") == (2, 1, 0)
    # a2 was returned on 05-22: it does not count until submitted again.
    a = may25["A村"]
    assert figures(a, "collected", "verified", "returned", "flagged") == (1, 1, 1, 0)
    assert (a.stage1, a.stage2, a.collection_rate) == ("missed", "open", 0.2)
    assert a.accuracy_rate == 0.5  # a1 passed its first check, a2 did not
    assert a.timeliness_rate == 1 / 3  # of the 3 due by 05-25, only a1 stood collected then
    a = rows(jun30)["A村"]
    assert figures(a, "collected", "returned", "flagged") == (3, 0, 1)  # resubmitted once; a3 flagged
    assert (a.stage1, a.stage2) == ("missed", "missed")
    assert (a.funding_yuan, a.penalty_points) == (0, 50)  # late with low quality
    b = rows(jun30)["B村"]
    assert figures(b, "collected", "verified", "timeliness_rate", "accuracy_rate") == (2, 2, 1.0, 1.0)
    assert (b.stage1, b.stage2, b.households, b.funding_yuan, b.penalty_points) == ("met", "met", 2, 4, 0)
    c = rows(jun30)["C村"]  # a task of 0: rates and stages undefined, the house still counts
    assert (c.collected, c.collection_rate, c.timeliness_rate, c.stage1, c.stage2) == (
        1,
        None,
        None,
        None,
        None,
    )
    assert (c.funding_yuan, c.penalty_points) == (0, 0)  # on time (nothing due) but nothing checked
    d = rows(jun30)["D村"]  # meets stage 1, misses stage 2
    assert figures(d, "collected", "verified", "stage1", "stage2") == (3, 1, "met", "missed")
    assert d.timeliness_rate == 3 / 5
    a = rows(jul10)["A村"]  # a4, collected after the deadline: collected but late
    assert figures(a, "collected", "timeliness_rate", "collection_rate") == (4, 2 / 5, 0.8)
    # The total is the sum of the village rows, its rates from the summed counts.
    total = jul10.total
    assert (total.task, total.collected, total.verified, total.flagged) == (12, 10, 4, 1)
    assert total.accuracy_rate == 4 / 5  # a1, b1, b2, d3 passed their first check; a2 did not
    assert total.timeliness_rate == (2 + 2 + 3) / (5 + 2 + 5)
    assert (total.funding_yuan, total.penalty_points) == (4, 50)
    assert jul10.station.task == total.task and jul10.station.collected == total.collected
    assert (jul10.station.funding_yuan, jul10.station.penalty_points) == (None, None)
    assert jul10.station.name == "余坪派出所" and (jul10.station.code, total.code) == ("station", "total")


def test_people_households_and_units(db, town):
    with db.session() as s:
        cov = coverage_kinds(s, LEADER, PLAN, as_of=date(2016, 5, 25), today=PAST)
        later = coverage_kinds(s, LEADER, PLAN, as_of=date(2016, 6, 30), today=PAST)
    a = rows(cov["people"])["A村"]
    assert figures(a, "task", "collected", "verified", "returned") == (10, 2, 2, 2)  # a2's people are out
    a = rows(later["people"])["A村"]
    assert (a.collected, a.flagged) == (2 + 3 + 2, 2)  # a2's three (one added 06-05); a3's two flagged
    assert rows(later["households"])["A村"].collected == 3
    assert rows(later["households"])["A村"].collection_rate is None  # the plan sets no household task
    units = later["units"]
    assert (units.total.task, units.total.collected, units.total.verified) == (0, 2, 1)
    assert (units.station.task, units.station.collected) == (400, 2)  # the station's own 400
    assert units.station.collection_rate == 2 / 400 and units.total.collection_rate is None
    assert cov["units"].total.collected == 1  # the reporter's unit was registered on 06-01


def test_before_the_campaign_everything_is_zero(db, town):
    with db.session() as s:
        for kind in KINDS:
            cov = coverage(s, LEADER, PLAN, kind=kind, as_of=date(2016, 4, 1), today=PAST)
            for row in [*cov.villages, cov.station, cov.total]:
                assert figures(row, "collected", "verified", "returned", "flagged", "households") == (0,) * 5
                assert row.timeliness_rate is None and row.accuracy_rate is None
                assert row.funding_yuan is None and row.penalty_points is None


def test_the_current_state_and_the_history_agree(db, town):
    """As of the last day with data, the houses' columns (fast path for today) and the
    history (any past day) give the same figures."""
    day = date(2016, 7, 10)
    with db.session() as s:
        now = coverage_kinds(s, LEADER, PLAN, as_of=day, today=day)
        past = coverage_kinds(s, LEADER, PLAN, as_of=day, today=PAST)
    assert now == past


def test_progress_series_matches_coverage(db, town):
    with db.session() as s:
        series = dict(progress_series(s, LEADER, PLAN, "houses", until=date(2016, 7, 10)))
        people = dict(progress_series(s, LEADER, PLAN, "people", until=date(2016, 7, 10)))
        a_only = dict(progress_series(s, LEADER, PLAN, "houses", town["A村"], until=date(2016, 7, 10)))
        for day in (
            date(2016, 4, 27),
            date(2016, 5, 21),
            date(2016, 5, 22),
            date(2016, 6, 5),
            date(2016, 7, 10),
        ):
            cov = coverage_kinds(s, LEADER, PLAN, kinds=("houses", "people"), as_of=day, today=PAST)
            assert series[day] == cov["houses"].total.collected, day
            assert people[day] == cov["people"].total.collected, day
            assert a_only[day] == rows(cov["houses"])["A村"].collected, day
    assert min(series) == PLAN.collection_start and max(series) == date(2016, 7, 10)
    assert (a_only[date(2016, 5, 21)], a_only[date(2016, 5, 22)]) == (2, 1)  # a2 returned on 05-22


def test_a_collector_sees_their_village_only(db, town):
    collector = Scope(2, "c", Role.COLLECTOR, village_id=town["B村"])
    with db.session() as s:
        cov = coverage(s, collector, PLAN, kind="houses", as_of=date(2016, 7, 10), today=PAST)
        series = progress_series(s, collector, PLAN, "houses", until=date(2016, 5, 10))
        with pytest.raises(NotFound):
            progress_series(s, collector, PLAN, "houses", town["A村"])
    assert [r.name for r in cov.villages] == ["B村"]
    assert cov.total.collected == cov.villages[0].collected == 2  # nothing of the other villages
    assert series[-1] == (date(2016, 5, 10), 2)


def test_refusals(db, town):
    with db.session() as s:
        with pytest.raises(Forbidden):
            coverage(s, Scope(3, "r", Role.REPORTER, unit_id=1), PLAN, kind="houses", as_of=date(2016, 6, 1))
        with pytest.raises(InvalidInput) as caught:
            coverage(s, LEADER, PLAN, kind="rooms", as_of=date(2016, 6, 1))
    assert caught.value.field == "kind"


def test_the_settings_change_the_figures(db, town):
    """The deadline rule and the thresholds are the campaign's, not constants."""
    final = replace(PLAN, deadline_rule=DeadlineRule.FINAL)
    lenient = replace(PLAN, on_time_threshold=0.4, quality_threshold=0.4)
    with db.session() as s:
        staged = rows(coverage(s, LEADER, PLAN, kind="houses", as_of=date(2016, 7, 10), today=PAST))
        at_end = rows(coverage(s, LEADER, final, kind="houses", as_of=date(2016, 7, 10), today=PAST))
        judged = rows(coverage(s, LEADER, lenient, kind="houses", as_of=date(2016, 7, 10), today=PAST))
    assert staged["D村"].timeliness_rate == 3 / 5 and at_end["D村"].timeliness_rate == 3 / 5
    assert staged["A村"].timeliness_rate == 2 / 5 and at_end["A村"].timeliness_rate == 3 / 5
    # A: houses on time 2/5, people 6/10; first checks passed: houses 1/2, people 2/5.
    assert (judged["A村"].funding_yuan, judged["A村"].penalty_points) == (2 * 4, 0)
    assert judged["D村"].funding_yuan == 2 * 3 and staged["D村"].funding_yuan == 0


# -- the demo town ----------------------------------------------------------------------------------

SUMMED = ("task", "collected", "verified", "returned", "flagged", "households")


@pytest.mark.parametrize("as_of", [date(2016, 5, 25), date(2016, 9, 25)])
def test_demo_town_totals_are_the_sums_of_the_villages(demo_db, as_of):
    with demo_db.session() as s:
        covs = coverage_kinds(s, LEADER, PLAN, as_of=as_of)
        tasks = s.execute(select(func.sum(Village.task_houses), func.sum(Village.task_people))).one()
    for kind, cov in covs.items():
        assert len(cov.villages) == 28
        for name in SUMMED:
            assert getattr(cov.total, name) == sum(getattr(r, name) for r in cov.villages), (kind, name)
        if cov.total.funding_yuan is not None:
            assert cov.total.funding_yuan == sum(r.funding_yuan for r in cov.villages)
        assert cov.station.collected == cov.total.collected
    # The station's entry task is the villages' task; its own collection task is the 400 units.
    assert covs["houses"].station.task == tasks[0] == 10831
    assert covs["people"].station.task == tasks[1] == 41115
    assert covs["units"].station.task == 400
    assert 0 < covs["houses"].total.collected < 10831


def test_demo_town_before_the_campaign_is_zero(demo_db):
    with demo_db.session() as s:
        covs = coverage_kinds(s, LEADER, PLAN, as_of=date(2016, 4, 26))
    for cov in covs.values():
        for row in [*cov.villages, cov.station, cov.total]:
            assert figures(row, *SUMMED[1:]) == (0,) * 5


def test_demo_town_progresses_over_the_collection_days(demo_db):
    """The demo spreads its submissions over 04-27..06-08: a rising curve, flat afterwards."""
    with demo_db.session() as s:
        series = progress_series(s, LEADER, PLAN, "houses")
        may25 = coverage(s, LEADER, PLAN, kind="houses", as_of=date(2016, 5, 25)).total.collected
        now = coverage(s, LEADER, PLAN, kind="houses", as_of=date(2016, 9, 25)).total.collected
    values = dict(series)
    assert values[date(2016, 4, 27)] > 0 and values[date(2016, 5, 25)] == may25
    assert values[date(2016, 6, 8)] == values[date(2016, 9, 25)] == now
    assert all(a <= b for (_, a), (_, b) in pairwise(series))


# -- today from the villages' tallies ---------------------------------------------------------------


COUNTED = ("verified", "returned", "flagged", "checked", "passed")


def _by_grouping(monkeypatch, s, campaign, **kw):
    """Coverage with the tally left aside: the houses grouped by the statement."""
    with monkeypatch.context() as m:
        m.setattr(tally, "current_figures", lambda *a, **k: None)
        return coverage_kinds(s, LEADER, campaign, **kw)


@pytest.mark.parametrize("as_of", [date(2016, 6, 8), date(2016, 6, 30), date(2016, 9, 25)])
def test_today_from_the_tally_equals_grouping_the_houses(demo_db, monkeypatch, as_of):
    """As of today (here: as_of, on or after the mid-campaign demo's last day: nothing
    happened after it yet) the kept groups give every figure the houses give."""
    with demo_db.session() as s:
        used = tally.current_figures(s, LEADER, *_moments(as_of), COUNTED)
        kept = coverage_kinds(s, LEADER, PLAN, as_of=as_of, today=as_of)
        grouped = _by_grouping(monkeypatch, s, PLAN, as_of=as_of, today=as_of)
    assert used, "the tally was not read"
    assert kept == grouped
    assert kept["houses"].total.collected > 0


def _moments(as_of: date, campaign: Campaign = PLAN):
    from geoapp.services.reports.coverage import _Cutoffs

    cut = _Cutoffs.of(campaign, as_of, as_of)
    return cut.moments, cut.deadline_index


def test_a_moved_deadline_regroups_the_tally(db, town, monkeypatch):
    """An administrator moves stage 1's deadline: the tally is regrouped in the same
    transaction; read with the old deadlines it is not used, and the figures stay right."""
    day = date(2016, 7, 10)
    admin = Scope(9, "admin", Role.ADMIN)
    with db.write() as s:
        change_settings(s, {"stage1_end": "2016-05-12"}, admin)
    with db.session() as s:
        moved = load_campaign(s)
        assert tally.current_figures(s, LEADER, *_moments(day, moved), COUNTED)
        assert (
            tally.current_figures(s, LEADER, *_moments(day, PLAN), COUNTED) is None
        )  # grouped by other deadlines
        now = coverage_kinds(s, LEADER, moved, as_of=day, today=day)
        assert now == _by_grouping(monkeypatch, s, moved, as_of=day, today=day)
        assert now == coverage_kinds(s, LEADER, moved, as_of=day, today=PAST)  # and the history agrees
        old = coverage_kinds(s, LEADER, PLAN, as_of=day, today=day)
        assert old == coverage_kinds(s, LEADER, PLAN, as_of=day, today=PAST)
    # B's houses were submitted 05-01/02 (on time either way); A's first, 05-10, only for 05-12.
    assert (
        rows(now["houses"])["D村"].timeliness_rate == 0
        and rows(old["houses"])["D村"].timeliness_rate == 3 / 5
    )
