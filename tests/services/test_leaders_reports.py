"""The leaders' page figures beyond the coverage table, on both backends: the heatmap's
uncollected houses as of a day, the forecast at the last 7 days' pace, and progress over time.

The tiny town of ``tests/services/test_coverage.py`` gives known answers (its docstring
tells each house's history); then the demo town's figures must agree with ``coverage``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from geoapp.domain.errors import Forbidden, NotFound
from geoapp.domain.forecast import Outlook, pace_window
from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign.settings import load_campaign
from geoapp.services.reports.coverage import coverage
from geoapp.services.reports.heat import uncollected_points
from geoapp.services.reports.progress import forecasts, progress
from geoapp.store.models import Building
from tests.services.test_coverage import LEADER, PAST, PLAN, town  # noqa: F401  (the fixture)


def heat_count(s, scope, day, today=PAST):
    return uncollected_points(s, scope, PLAN, as_of=day, today=today).to_dict()["count"]


def test_the_heatmap_shows_the_houses_not_collected_as_of_a_day(db, town):  # noqa: F811
    with db.session() as s:
        # 05-21: a1, a2 (A), both of B, C's and D's houses collected; a3, a4, a5 not yet.
        assert heat_count(s, LEADER, date(2016, 5, 21)) == 3
        # 05-25: a2 was returned on 05-22, and a returned house is a gap until submitted again.
        assert heat_count(s, LEADER, date(2016, 5, 25)) == 4
        assert heat_count(s, LEADER, date(2016, 6, 6)) == 3  # a2 resubmitted on 06-05
        assert heat_count(s, LEADER, date(2016, 7, 10)) == 1  # a5, never collected
        assert heat_count(s, LEADER, date(2016, 4, 20)) == 11  # before anything: every house
        # As of today: the houses' current status.
        now = uncollected_points(s, LEADER, PLAN, as_of=date(2030, 1, 1), today=date(2016, 9, 1))
        assert (now.current, len(now.points), now.as_of) == (True, 1, PLAN.end)
        assert now.points == [(27.001, 113.001)]  # [lat, lon] for Leaflet.heat
        collector_b = Scope(2, "b", Role.COLLECTOR, village_id=town["B村"])
        assert (
            heat_count(s, collector_b, date(2016, 4, 30)) == 2
            and heat_count(s, collector_b, date(2016, 5, 25)) == 0
        )
        with pytest.raises(Forbidden):
            uncollected_points(s, Scope(3, "r", Role.REPORTER, unit_id=1), PLAN, as_of=date(2016, 5, 25))


def test_the_forecast_at_the_last_7_days_pace(db, town):  # noqa: F811
    with db.session() as s:
        may25 = forecasts(s, LEADER, PLAN, kind="houses", as_of=date(2016, 5, 25), today=PAST)
        jun06 = forecasts(s, LEADER, PLAN, kind="houses", as_of=date(2016, 6, 6), today=PAST)
        early = forecasts(s, LEADER, PLAN, kind="houses", as_of=date(2016, 5, 2), today=PAST)
    by_village = {r.village_id: r for r in may25.villages}
    assert (may25.window_start, may25.window_days) == (date(2016, 5, 18), 7)
    a, b, c, d = (by_village[town[n]] for n in ("A村", "B村", "C村", "D村"))
    # A: a1 only on 05-18 and on 05-25 (a2 collected on 05-20 but returned on 05-22): no pace.
    assert (a.collected_before, a.collected, a.forecast.outlook, a.forecast.reach_date) == (
        1,
        1,
        Outlook.STALLED,
        None,
    )
    assert b.forecast.outlook == Outlook.REACHED and b.forecast.on_time is True
    assert c.forecast.outlook is None  # a task of 0
    assert (d.collected, d.forecast.outlook) == (3, Outlook.STALLED)  # three on 05-15, nothing since
    # 06-06: a2 resubmitted on 06-05, so 1 house in 7 days; 3 missing → 21 days → 06-27.
    a = next(r for r in jun06.villages if r.village_id == town["A村"])
    assert (a.collected_before, a.collected) == (1, 2)
    assert a.forecast.pace_per_day == pytest.approx(1 / 7)
    assert (a.forecast.reach_date, a.forecast.outlook) == (date(2016, 6, 27), Outlook.ON_TIME)
    # The total: 7 of 12 on 05-30 (a2 returned), 8 on 06-06: 4 missing at 1/7 a day → 28 days → 07-04.
    assert (jun06.total.collected_before, jun06.total.collected) == (7, 8)
    assert (jun06.total.forecast.reach_date, jun06.total.forecast.outlook) == (date(2016, 7, 4), Outlook.LATE)
    assert jun06.station.forecast.reach_date == date(2016, 7, 4)  # the station's task is the villages'
    # Near the start of collection the window is the days since it began (04-27..05-02: 6 days):
    # B's two houses on 05-01 and 05-02 are its task → reached; C's one house has no task.
    assert (early.window_start, early.window_days) == (date(2016, 4, 26), 6)
    assert (early.total.collected, early.total.forecast.pace_per_day) == (2, pytest.approx(2 / 6))
    assert early.total.forecast.reach_date == date(2016, 6, 1)  # 10 missing at 1/3 a day: 30 days


def test_progress_over_time_for_the_town_and_a_village(db, town):  # noqa: F811
    with db.session() as s:
        p = progress(s, LEADER, PLAN, kind="houses", village_id=town["A村"], as_of=date(2016, 6, 6))
        units = progress(s, LEADER, PLAN, kind="units", as_of=date(2016, 6, 6))
        later_plan = replace(PLAN, stage1_end=date(2016, 6, 1), stage1_target=0.5)
        moved = progress(s, LEADER, later_plan, kind="houses", as_of=date(2016, 6, 6))
        collector = Scope(2, "a", Role.COLLECTOR, village_id=town["A村"])
        own = progress(s, collector, PLAN, kind="houses", as_of=date(2016, 6, 6))
        with pytest.raises(NotFound):
            progress(s, collector, PLAN, kind="houses", village_id=town["B村"], as_of=date(2016, 6, 6))
        with pytest.raises(NotFound):
            progress(s, LEADER, PLAN, kind="houses", village_id=999_999, as_of=date(2016, 6, 6))
    assert p.days[0] == PLAN.collection_start and p.days[-1] == date(2016, 6, 6)
    village = dict(zip(p.days, p.village.collected, strict=True))
    assert [village[date(2016, 5, d)] for d in (9, 10, 20, 22)] == [0, 1, 2, 1]
    assert village[date(2016, 6, 5)] == 2 and p.village.task == 5 and p.village.name == "A村"
    town_series = dict(zip(p.days, p.town.collected, strict=True))
    assert town_series[date(2016, 5, 2)] == 2 and town_series[date(2016, 5, 15)] == 7
    assert p.town.task == 12
    assert units.town.task == 0 + PLAN.station_task_units  # the station's own units task
    # The plan's line comes from the campaign's stages, not from fixed dates.
    assert p.to_dict()["stages"] == [
        {"end": "2016-05-25", "target": 0.6},
        {"end": "2016-06-30", "target": 1.0},
    ]
    assert moved.to_dict()["stages"][0] == {"end": "2016-06-01", "target": 0.5}
    # A collector: their village only, no town series.
    assert own.town is None and own.village.village_id == town["A村"]
    assert own.village.collected == p.village.collected


def test_on_the_demo_town_the_forecast_and_the_heat_agree_with_coverage(demo_db):
    with demo_db.session() as s:
        campaign = load_campaign(s)
        houses = s.scalar(select(func.count()).select_from(Building))
        for day in (date(2016, 5, 1), date(2016, 5, 25), date(2016, 6, 8)):
            cov = coverage(s, LEADER, campaign, kind="houses", as_of=day)
            before = coverage(
                s, LEADER, campaign, kind="houses", as_of=pace_window(day, campaign.collection_start)[0]
            )
            f = forecasts(s, LEADER, campaign, kind="houses", as_of=day)
            assert [r.collected for r in f.villages] == [r.collected for r in cov.villages]
            assert [r.collected_before for r in f.villages] == [r.collected for r in before.villages]
            assert f.total.collected == cov.total.collected
            assert heat_count(s, LEADER, day, today=None) == houses - cov.total.collected
            p = progress(s, LEADER, campaign, kind="people", village_id=cov.villages[0].village_id, as_of=day)
            people = coverage(s, LEADER, campaign, kind="people", as_of=day)
            assert p.town.collected[-1] == people.total.collected
            assert p.village.collected[-1] == people.villages[0].collected
            assert p.town.task == people.station.task
