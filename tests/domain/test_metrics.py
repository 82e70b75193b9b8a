"""The work plan's measures on small hand-built campaigns with known answers (no database)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime

import pytest

from geoapp.domain.calendar import (
    SETTING_KEYS,
    SETTINGS,
    Campaign,
    DeadlineRule,
    campaign_with,
    parse_setting,
    setting_text,
)
from geoapp.domain.errors import InvalidInput
from geoapp.domain.fields import FIELD_LABELS
from geoapp.domain.metrics import (
    DEADLINE_RULE_DEFINITIONS,
    DEFINITIONS,
    Deadline,
    KindRates,
    StageStatus,
    accuracy_rate,
    beijing_date,
    collection_rate,
    day_end_utc,
    due_by,
    judge,
    stage_status,
    timeliness,
)

PLAN = Campaign()
MAY25, JUN30 = date(2016, 5, 25), date(2016, 6, 30)


def deadlines(by_may25: int, by_jun30: int) -> list[Deadline]:
    return [Deadline(MAY25, 0.6, by_may25), Deadline(JUN30, 1.0, by_jun30)]


def test_the_work_plan_is_the_default_campaign():
    assert (PLAN.collection_start, PLAN.stage1_end, PLAN.stage2_end, PLAN.assessment_end) == (
        date(2016, 4, 27),
        MAY25,
        JUN30,
        date(2016, 9, 25),
    )
    assert (PLAN.stage1_target, PLAN.stage2_target) == (0.6, 1.0)
    assert (PLAN.funding_yuan_per_household, PLAN.penalty_points, PLAN.station_task_units) == (2, 50, 400)
    assert PLAN.deadline_rule == DeadlineRule.STAGED
    assert [s.name for s in PLAN.collection_stages] == ["collection-1", "collection-2"]
    assert PLAN.collection_stages[1].start == date(2016, 5, 26)
    assert PLAN.cap(date(2030, 1, 1)) == date(2016, 9, 25) and PLAN.cap(MAY25) == MAY25
    # Every setting is a field of the campaign, named for users, and defined.
    assert set(SETTING_KEYS) == {f.name for f in fields(Campaign)}
    assert all(spec.key in FIELD_LABELS for spec in SETTINGS)
    assert {"collected", "collection_rate", "timeliness_rate", "accuracy_rate", "funding", "penalty"} <= set(
        DEFINITIONS
    )
    assert set(DEADLINE_RULE_DEFINITIONS) == set(DeadlineRule)


def test_collection_rate_with_task_zero_and_more_than_the_task():
    assert collection_rate(5, 0) is None
    assert collection_rate(0, 10) == 0.0
    assert collection_rate(6, 10) == 0.6
    assert collection_rate(12, 10) == 1.0  # a village found more houses than its task: at most 100 %


def test_due_is_rounded_up():
    assert due_by(0.6, 637) == 383  # 382.2
    assert due_by(0.6, 5) == 3 and due_by(0.6, 10) == 6  # exact products stay exact
    assert due_by(1.0, 0) == 0


def test_timeliness_by_stage():
    task = 100
    # Nothing is due before the first deadline.
    assert timeliness(task, deadlines(0, 0), date(2016, 5, 24), DeadlineRule.STAGED).rate is None
    # 50 of the 60 due by 05-25 were collected by then.
    t = timeliness(task, deadlines(50, 0), MAY25, DeadlineRule.STAGED)
    assert (t.on_time, t.due) == (50, 60)
    # After 06-30: stage-1 band 50 on time; stage-2 band: 95 by 06-30, 60 of them in the first band.
    t = timeliness(task, deadlines(50, 95), date(2016, 7, 1), DeadlineRule.STAGED)
    assert (t.on_time, t.due, t.rate) == (85, 100, 0.85)
    # Ahead at stage 1: the records beyond its 60 count for stage 2; more than the task is capped.
    t = timeliness(task, deadlines(70, 120), date(2016, 7, 1), DeadlineRule.STAGED)
    assert (t.on_time, t.due) == (100, 100)
    # Records collected after a deadline are late: 10 by 05-25, 40 by 06-30.
    t = timeliness(task, deadlines(10, 40), date(2016, 8, 1), DeadlineRule.STAGED)
    assert (t.on_time, t.due) == (10, 100)
    assert timeliness(0, deadlines(3, 3), date(2016, 8, 1), DeadlineRule.STAGED).rate is None


def test_timeliness_at_the_end_only():
    rule = DeadlineRule.FINAL
    assert timeliness(100, deadlines(10, 40), date(2016, 6, 1), rule).rate is None  # nothing due yet
    t = timeliness(100, deadlines(10, 40), date(2016, 8, 1), rule)
    assert (t.on_time, t.due) == (40, 100)


def test_accuracy_and_unchecked_records():
    assert accuracy_rate(0, 0) is None  # nothing checked: undefined, never 100 %
    assert accuracy_rate(3, 4) == 0.75


def test_a_village_that_meets_stage_1_and_misses_stage_2():
    task = 5  # 60 %: 3 due by 05-25
    d1, d2 = deadlines(3, 3)
    july = date(2016, 7, 1)
    assert stage_status(task, d1, july, 3) == StageStatus.MET
    assert stage_status(task, d2, july, 3) == StageStatus.MISSED
    # Before its deadline a stage is open, or met as soon as its share is in.
    assert stage_status(task, d2, date(2016, 6, 1), 3) == StageStatus.OPEN
    assert stage_status(task, d2, date(2016, 6, 1), 5) == StageStatus.MET
    # The deadline's day is the last day of the stage: met or missed as of that day.
    assert stage_status(task, Deadline(MAY25, 0.6, 2), MAY25, 2) == StageStatus.MISSED
    assert stage_status(0, d1, july, 0) is None  # no task, nothing to judge


def test_funding_and_penalty():
    good = KindRates(timeliness=1.0, accuracy=0.95)
    late_low = KindRates(timeliness=0.5, accuracy=0.5)
    after = date(2016, 7, 1)
    j = judge(PLAN, after, [good, good], households=120)
    assert (j.decided, j.funding_yuan, j.penalty_points) == (True, 240, 0)
    j = judge(PLAN, after, [KindRates(0.5, 0.95), good], households=120)
    assert (j.funding_yuan, j.penalty_points) == (0, 0)  # late but with quality: not funded, no penalty
    j = judge(PLAN, after, [KindRates(1.0, 0.5), good], households=120)
    assert (j.funding_yuan, j.penalty_points) == (0, 0)  # on time, low quality: not funded, no penalty
    j = judge(PLAN, after, [late_low, late_low], households=120)
    assert (j.funding_yuan, j.penalty_points) == (0, 50)
    # Nothing checked proves no quality; a kind with nothing due does not make a village late.
    j = judge(PLAN, after, [KindRates(1.0, None), KindRates(None, None)], households=10)
    assert (j.on_time, j.with_quality, j.funding_yuan, j.penalty_points) == (True, False, 0, 0)
    # Undecided before the stage 2 deadline.
    j = judge(PLAN, date(2016, 6, 29), [good, good], households=120)
    assert (j.decided, j.funding_yuan, j.penalty_points) == (False, None, None)
    # The thresholds and rates come from the settings.
    lenient = campaign_with(PLAN, {"on_time_threshold": 0.5, "funding_yuan_per_household": 3})
    assert judge(lenient, after, [late_low, KindRates(0.5, 0.9)], households=10).funding_yuan == 0
    assert judge(lenient, after, [KindRates(0.5, 0.9)], households=10).funding_yuan == 30


def test_days_are_beijing_days():
    assert day_end_utc(MAY25) == datetime(2016, 5, 25, 16, 0)  # midnight in Beijing
    assert beijing_date(datetime(2016, 5, 25, 15, 59)) == MAY25
    assert beijing_date(datetime(2016, 5, 25, 16, 0)) == date(2016, 5, 26)


@pytest.mark.parametrize(
    "key, text, value",
    [
        ("stage1_target", "60%", 0.6),
        ("stage1_target", "0.6", 0.6),
        ("stage2_target", "100 %", 1.0),
        ("stage1_end", "2016-05-20", date(2016, 5, 20)),
        ("penalty_points", "40", 40),
        ("deadline_rule", "FINAL", DeadlineRule.FINAL),
        ("station_name", " 余坪派出所 ", "余坪派出所"),
    ],
)
def test_settings_are_read_as_typed(key, text, value):
    assert parse_setting(key, text) == value
    assert parse_setting(key, setting_text(value)) == value  # stored and read back


@pytest.mark.parametrize(
    "key, text",
    [
        ("stage1_target", "160%"),
        ("stage1_target", "60"),
        ("stage1_target", "nan"),
        ("stage1_end", "2016-5-20"),
        ("stage1_end", "next week"),
        ("penalty_points", "-5"),
        ("penalty_points", "5.5"),
        ("deadline_rule", "whenever"),
        ("stage2_end", ""),
        ("no_such_setting", "1"),
    ],
)
def test_bad_settings_name_their_field(key, text):
    with pytest.raises(InvalidInput) as caught:
        parse_setting(key, text)
    assert caught.value.field == key[:60]


def test_the_calendar_must_run_forwards():
    with pytest.raises(InvalidInput) as caught:
        campaign_with(PLAN, {"stage1_end": date(2016, 7, 25)})
    assert caught.value.field == "stage1_end"  # the field just changed
    with pytest.raises(InvalidInput) as caught:
        campaign_with(PLAN, {"stage2_end": MAY25})
    assert caught.value.field == "stage2_end"
    with pytest.raises(InvalidInput) as caught:
        campaign_with(PLAN, {"stage1_target": 0.7, "stage2_target": 0.6})
    assert caught.value.field == "stage1_target"
    moved = campaign_with(PLAN, {"stage1_end": date(2016, 6, 29)})
    assert moved.collection_stages[1].start == JUN30
