"""The review's plain rules: Beijing time, common reasons, the sample draw, and what
changed in a house between two checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from geoapp.domain.clock import beijing_text, to_beijing, utc_iso
from geoapp.domain.house_changes import summarise
from geoapp.domain.reviewing import RETURN_REASONS, compose_reason, draw_sample


def test_stored_utc_times_are_shown_eight_hours_later():
    assert beijing_text(datetime(2016, 5, 2, 1, 30)) == "2016-05-02 09:30"
    assert (
        beijing_text(datetime(2016, 5, 2, 16, 5, 9), "%Y-%m-%d %H:%M:%S") == "2016-05-03 00:05:09"
    )  # next day
    assert beijing_text(None) == "—"
    aware = datetime(2016, 5, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert to_beijing(aware) == datetime(2016, 5, 2, 9, 30)
    assert to_beijing(datetime.max) == datetime.max  # no overflow on extreme values
    assert utc_iso(datetime(2016, 5, 2, 1, 30)) == "2016-05-02T01:30:00Z"
    assert utc_iso(datetime(2016, 5, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))) == "2016-05-02T01:30:00Z"
    assert utc_iso(None) is None
    assert to_beijing(datetime(2016, 5, 2, 1, 30, tzinfo=UTC)) == datetime(2016, 5, 2, 9, 30)


def test_common_reasons_and_free_text():
    assert len(RETURN_REASONS) >= 6 and all(RETURN_REASONS.values())
    assert compose_reason("门牌号与实地不符", " 应为12号 ") == "门牌号与实地不符：应为12号"
    assert compose_reason("门牌号与实地不符", "  ") == "门牌号与实地不符"
    assert compose_reason(None, "缺少户主") == "缺少户主"
    assert compose_reason(None, None) == ""


@given(st.sets(st.integers(1, 10_000), max_size=300), st.integers(0, 400), st.integers(0, 2**31 - 1))
def test_a_sample_is_reproducible_and_drawn_from_the_population(population, size, seed):
    ids = sorted(population)
    sample = draw_sample(ids, size, seed)
    assert sample == draw_sample(list(reversed(ids)), size, seed)  # the order given does not matter
    assert sample == sorted(sample) and len(set(sample)) == len(sample)
    assert set(sample) <= population and len(sample) == min(size, len(population))


def test_a_known_sample_stays_the_same():
    """Pinned: a sample drawn today is drawn the same way after an upgrade."""
    assert draw_sample(range(1, 101), 5, 2016) == sorted(draw_sample(range(100, 0, -1), 5, 2016))
    assert draw_sample(range(1, 101), 5, 2016) == [33, 58, 71, 88, 95]
    assert draw_sample(range(1, 101), 5, 2017) != draw_sample(range(1, 101), 5, 2016)


def _submit(**changes):
    return ("house.submit", changes)


def test_changes_fold_into_the_net_difference():
    events = [
        _submit(
            people=[2, 3],
            building={"floors": [2, 3], "use": ["dwelling", "rental"]},
            created=[{"id": 9, "name": "王五", "id_number": "4301**********1234"}],
            changed=[{"id": 1, "name": "张三", "fields": {"phone": ["138****0000", "139****1111"]}}],
            removed=[],
        ),
        ("building.update", {"floors": [3, 4], "status": ["verified", "collected"]}),
        _submit(
            people=[3, 2],
            building={"use": ["rental", "dwelling"]},  # back to what it was: not a change
            created=[{"id": 10, "name": "赵六", "id_number": None}],
            changed=[{"id": 9, "name": "王五", "fields": {"name": ["王五", "王伍"]}}],
            removed=[
                {"id": 10, "name": "赵六", "id_number": None},
                {"id": 2, "name": "李四", "id_number": "x"},
            ],
            moved=[{"person": 7, "from": 3}],
            units={"kept": [1], "removed": [4]},
        ),
    ]
    out = summarise(events)
    assert out.house == {"floors": [2, 4]}
    assert out.people_count == [2, 2]
    assert out.added == [{"id": 9, "name": "王伍", "id_number": "4301**********1234"}]  # with its latest name
    assert out.removed == [{"id": 2, "name": "李四", "id_number": "x"}]  # 赵六 came and went: neither
    assert out.changed == [{"id": 1, "name": "张三", "fields": {"phone": ["138****0000", "139****1111"]}}]
    assert (out.moved_in, out.units_removed, out.submissions, out.edits) == (1, 1, 2, 1)
    assert not out.empty and out.to_dict()["nothing"] is False


def test_no_events_or_a_resubmission_of_the_same_is_nothing():
    assert summarise([]).empty
    same = summarise([_submit(people=[3, 3], building={}, created=[], changed=[], removed=[])])
    assert same.empty and same.people_count is None and same.submissions == 1
