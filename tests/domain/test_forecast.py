"""The leaders' forecast on hand-made counts with known answers (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from geoapp.domain.calendar import Campaign
from geoapp.domain.forecast import HORIZON_DAYS, OUTLOOK_LABELS, Outlook, forecast, pace_window

PLAN = Campaign()
JUN30 = date(2016, 6, 30)


def plan_forecast(as_of: date, task: int, collected: int, collected_before: int, window_days: int = 7):
    return forecast(
        task=task,
        target=PLAN.stage2_target,
        deadline=PLAN.stage2_end,
        as_of=as_of,
        collected=collected,
        collected_before=collected_before,
        window_days=window_days,
    )


def test_no_pace_gives_no_date():
    f = plan_forecast(date(2016, 6, 8), task=100, collected=40, collected_before=40)
    assert (f.outlook, f.reach_date, f.pace_per_day, f.missing) == (Outlook.STALLED, None, 0.0, 60)
    assert f.on_time is False
    # Before collection starts there is no window at all.
    _, days = pace_window(date(2016, 4, 20), PLAN.collection_start)
    assert days == 0
    f = plan_forecast(date(2016, 4, 20), task=100, collected=0, collected_before=0, window_days=days)
    assert (f.outlook, f.reach_date, f.pace_per_day) == (Outlook.STALLED, None, None)


def test_already_at_the_target():
    f = plan_forecast(date(2016, 6, 8), task=100, collected=100, collected_before=90)
    assert (f.outlook, f.reach_date, f.missing, f.need) == (Outlook.REACHED, None, 0, 100)
    assert f.on_time is True and f.pace_per_day == pytest.approx(10 / 7)
    over = plan_forecast(date(2016, 6, 8), task=100, collected=130, collected_before=130)
    assert over.outlook == Outlook.REACHED  # more than the task, and no pace: still reached


def test_pace_reaching_the_target_before_the_deadline():
    # 70 of 100 on 06-08, 14 in the last 7 days: 2 a day, 30 missing → 15 days → 06-23.
    f = plan_forecast(date(2016, 6, 8), task=100, collected=70, collected_before=56)
    assert f.pace_per_day == pytest.approx(2.0)
    assert (f.outlook, f.reach_date, f.on_time) == (Outlook.ON_TIME, date(2016, 6, 23), True)


def test_reaching_the_target_on_the_deadline_day_is_on_time():
    # 22 days before 06-30, 2 a day, 44 missing: exactly 06-30.
    f = plan_forecast(date(2016, 6, 8), task=100, collected=56, collected_before=42)
    assert (f.reach_date, f.outlook) == (JUN30, Outlook.ON_TIME)


def test_pace_reaching_the_target_after_the_deadline():
    # 1 a day, 45 missing → 07-23, after 06-30.
    f = plan_forecast(date(2016, 6, 8), task=100, collected=55, collected_before=48)
    assert (f.outlook, f.reach_date, f.on_time) == (Outlook.LATE, date(2016, 7, 23), False)
    # A part-day left over counts as a whole day: 45 missing at 10/7 a day is 31.5 → 32 days.
    f = plan_forecast(date(2016, 6, 8), task=100, collected=55, collected_before=45)
    assert f.reach_date == date(2016, 7, 10)


def test_after_the_deadline_a_village_still_short_is_late():
    f = plan_forecast(date(2016, 7, 5), task=100, collected=99, collected_before=92)
    assert (f.outlook, f.reach_date) == (Outlook.LATE, date(2016, 7, 6))


def test_the_target_share_and_rounding_come_from_the_plan():
    # A 60 % target of 637 is 383 records (382.2 rounded up, as the timeliness rule counts them).
    f = forecast(
        task=637,
        target=0.6,
        deadline=date(2016, 5, 25),
        as_of=date(2016, 5, 20),
        collected=373,
        collected_before=359,
        window_days=7,
    )
    assert (f.need, f.missing, f.reach_date, f.outlook) == (383, 10, date(2016, 5, 25), Outlook.ON_TIME)


def test_no_task_is_no_forecast():
    f = plan_forecast(date(2016, 6, 8), task=0, collected=12, collected_before=3)
    assert f.outlook is None and f.on_time is None and f.reach_date is None
    assert f.to_dict()["outlook"] is None


def test_a_very_slow_pace_gives_late_without_a_date():
    f = plan_forecast(date(2016, 6, 8), task=10_000_000, collected=1, collected_before=0)
    assert (f.outlook, f.reach_date) == (Outlook.LATE, None)
    assert HORIZON_DAYS < 10_000_000 * 7


@pytest.mark.parametrize(
    "as_of, first, days",
    [
        (date(2016, 6, 8), date(2016, 6, 1), 7),  # a full week
        (date(2016, 4, 29), date(2016, 4, 26), 3),  # collection started on 04-27: three days so far
        (date(2016, 4, 27), date(2016, 4, 26), 1),
        (date(2016, 4, 26), date(2016, 4, 26), 0),  # the day before it started
    ],
)
def test_the_pace_window_is_cut_to_the_days_of_collection(as_of, first, days):
    assert pace_window(as_of, PLAN.collection_start) == (first, days)


def test_to_dict_and_labels():
    d = plan_forecast(date(2016, 6, 8), task=100, collected=70, collected_before=56).to_dict()
    assert d == {
        "outlook": "on_time",
        "need": 100,
        "missing": 30,
        "pace_per_day": 2.0,
        "reach_date": "2016-06-23",
        "deadline": "2016-06-30",
        "on_time": True,
    }
    assert set(OUTLOOK_LABELS) == set(Outlook)
