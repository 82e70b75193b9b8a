"""The review services on both backends: what changed since the last check, bulk
verification (all or nothing), the re-visit sample (reproducible, scoped) and how
re-visit results feed the accuracy rate."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import orjson
import pytest
from sqlalchemy import func, select

from geoapp.domain.calendar import Campaign
from geoapp.domain.errors import Conflict, Forbidden, InvalidInput
from geoapp.domain.identifiers import make_resident_id
from geoapp.domain.metrics import beijing_today
from geoapp.domain.requests import BulkItem, BulkVerifyIn, ReviewIn, RevisitResultIn, SampleIn
from geoapp.domain.reviewing import RETURN_REASONS
from geoapp.domain.roles import Role, Scope
from geoapp.domain.schema import parse
from geoapp.domain.submission import SubmissionIn
from geoapp.services.campaign import revisits
from geoapp.services.campaign.collect import submit_house
from geoapp.services.campaign.review import bulk_verify, changes_since_check, people_named, review_house
from geoapp.services.reports.coverage import coverage
from geoapp.store.models import AuditEvent, Building, Revisit, RevisitSample
from tests.conftest import add_user, make_settings
from tests.web.test_collect import _payload

SETTINGS = make_settings("sqlite://")
LEADER = Scope(None, "leader", Role.LEADER)
# The demo campaign ended in 2016; for figures "as of today" the campaign must still run.
OPEN = replace(Campaign(), assessment_end=date(2100, 1, 1))


@pytest.fixture
def people(demo_db):
    """A village with uncollected houses, its collector, another collector and two officers."""
    with demo_db.session() as s:
        village = s.scalar(
            select(Building.village_id)
            .where(Building.status == "uncollected", Building.street_id.is_not(None))
            .group_by(Building.village_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    ids = {
        "collector": add_user(demo_db, "collector_a", "collector", village_id=village),
        "other": add_user(demo_db, "collector_b", "collector", village_id=village),
        "officer": add_user(demo_db, "officer", "officer"),
        "officer2": add_user(demo_db, "officer2", "officer"),
    }
    scopes = {
        "collector": Scope(ids["collector"], "collector_a", Role.COLLECTOR, village),
        "other": Scope(ids["other"], "collector_b", Role.COLLECTOR, village),
        "officer": Scope(ids["officer"], "officer", Role.OFFICER),
        "officer2": Scope(ids["officer2"], "officer2", Role.OFFICER),
    }
    return village, scopes


def _member(n: int, relation="子女", **extra) -> dict:
    """Person ``n`` of these tests (王n), with an ID number of their own."""
    number = make_resident_id("430101", date(1980, 1, 1) + timedelta(days=n), 30 + 2 * n)
    return {
        "name": f"王{n}",
        "id_number": number,
        "relation": relation,
        "residence_type": "registered",
        **extra,
    }


def _uncollected(db, village, n=1) -> list[int]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Building.id)
                .where(
                    Building.village_id == village,
                    Building.status == "uncollected",
                    Building.street_id.is_not(None),
                )
                .order_by(Building.id)
                .limit(n)
            )
        )


def submit(db, scope, building_id, members, *, far=False, **attributes) -> dict:
    with db.session() as s:
        house = s.get(Building, building_id)
    payload = _payload(house, members)
    payload["building"].update(attributes)
    if far:
        payload["visit"]["lat"] += 0.01  # about 1.1 km away: flagged
    with db.write() as s:
        return submit_house(s, scope, SETTINGS, building_id, parse(SubmissionIn, payload))


def review(db, scope, building_id, action, **extra) -> dict:
    with db.session() as s:
        version = s.get(Building, building_id).version
    with db.write() as s:
        return review_house(s, scope, building_id, ReviewIn(action=action, version=version, **extra))


def changes(db, scope, building_id) -> dict:
    with db.session() as s:
        return changes_since_check(s, scope, building_id)


def _events(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


def _state(db, ids):
    with db.session() as s:
        return [(b.status, b.version, b.first_checked_at) for b in (s.get(Building, i) for i in ids)]


# -- what changed since the last check ----------------------------------------------------------


def test_what_changed_since_the_last_check(demo_db, people):
    village, who = people
    collector, officer = who["collector"], who["officer"]
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, collector, house, [_member(0, "户主", phone="13800001111"), _member(1)], floors=2)
    first = changes(demo_db, officer, house)
    assert first["last_check"] is None  # never checked: everything is new
    assert [p["name"] for p in first["added"]] == ["王0", "王1"]
    assert all("*" in p["id_number"] for p in first["added"])  # masked as recorded
    assert first["house"]["floors"][1] == 2 and first["submissions"] == 1

    review(demo_db, officer, house, "verify")
    checked = changes(demo_db, officer, house)
    assert checked["last_check"]["action"] == "house.verify" and checked["last_check"]["actor"] == "officer"
    assert checked["nothing"] and checked["since"] == []

    review(demo_db, officer, house, "return", reason_code="door_number", reason="应为12号")
    returned = changes(demo_db, officer, house)
    reason = RETURN_REASONS["door_number"] + "：应为12号"  # the label (untranslated here) and the words typed
    assert returned["last_check"]["action"] == "house.return" and returned["last_check"]["reason"] == reason

    # The collector corrects: 王0's phone, 王1 leaves, 王2 arrives, one more floor.
    submit(demo_db, collector, house, [_member(0, "户主", phone="13900002222"), _member(2)], floors=3)
    now = changes(demo_db, officer, house)
    assert now["last_check"]["action"] == "house.return"
    assert now["house"] == {"floors": [2, 3]}
    assert [p["name"] for p in now["added"]] == ["王2"]
    assert [p["name"] for p in now["removed"]] == ["王1"]
    assert now["changed"] == [{"id": now["changed"][0]["id"], "name": "王0",
                               "fields": {"phone": ["138****1111", "139****2222"]}}]  # fmt: skip
    assert now["people_count"] == [2, 2] and [e["action"] for e in now["since"]] == ["house.submit"]
    assert people_named(now) == 3
    assert now["since"][0]["at"].endswith("Z")  # UTC for programs; pages show Beijing time


def test_the_house_edits_of_the_station_count_as_changes(demo_db, people):
    from geoapp.domain.requests import BuildingPatchIn
    from geoapp.services.campaign.buildings import update_building

    village, who = people
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, who["collector"], house, [_member(3, "户主")], floors=2)
    review(demo_db, who["officer"], house, "verify")
    with demo_db.session() as s:
        version = s.get(Building, house).version
    with demo_db.write() as s:  # the station corrects a verified house: it awaits verification again
        update_building(s, who["officer2"], house, BuildingPatchIn(version=version, door_no="9988号"))
    now = changes(demo_db, who["officer"], house)
    assert now["house"]["door_no"][1] == "9988号" and now["edits"] == 1 and "status" not in now["house"]


# -- bulk verification ---------------------------------------------------------------------------


def test_bulk_verify_is_all_or_nothing(demo_db, people):
    village, who = people
    collector, officer = who["collector"], who["officer"]
    houses = _uncollected(demo_db, village, 3)
    answers = [
        submit(demo_db, collector, h, [_member(10 + i, "户主")], far=(i == 2)) for i, h in enumerate(houses)
    ]
    assert [a["visit_flag"] for a in answers] == [None, None, "far"]
    items = [BulkItem(id=a["building_id"], version=a["version"]) for a in answers]

    def bulk(scope, name, chosen):
        with demo_db.write() as s:
            return bulk_verify(s, scope, BulkVerifyIn(collector=name, items=chosen))

    before, events = _state(demo_db, houses), _events(demo_db)
    refusals = [
        (officer, "collector_a", items, Conflict),  # one flagged: verified on its own, after checking the visit
        (officer, "collector_a", [*items[:1], BulkItem(id=houses[1], version=answers[1]["version"] - 1)], Conflict),
        (officer, "collector_b", items[:2], Conflict),  # not that collector's houses
        (officer, "nobody", items[:2], InvalidInput),
        (officer, "collector_a", [items[0], items[0]], InvalidInput),
        (who["collector"], "collector_a", items[:2], Forbidden),  # collectors do not verify
    ]  # fmt: skip
    for scope, name, chosen, error in refusals:
        with pytest.raises(error):
            bulk(scope, name, chosen)
        assert _state(demo_db, houses) == before and _events(demo_db) == events  # nothing changed

    answer = bulk(officer, "collector_a", items[:2])
    assert answer["verified"] == 2 and [i["status"] for i in answer["items"]] == ["verified", "verified"]
    with demo_db.session() as s:
        assert [s.get(Building, h).status for h in houses] == ["verified", "verified", "collected"]
        assert all(s.get(Building, h).first_check_passed for h in houses[:2])
        audited = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "house.verify", AuditEvent.id > events)
        ).all()
    assert sorted(int(e.object_id) for e in audited) == houses[:2]  # each house audited
    assert all(orjson.loads(e.changes)["bulk"] is True and e.actor == "officer" for e in audited)


def test_nobody_bulk_verifies_their_own_submissions(demo_db, people):
    village, who = people
    officer = who["officer"]
    houses = _uncollected(demo_db, village, 2)
    answers = [submit(demo_db, officer, h, [_member(20 + i, "户主")]) for i, h in enumerate(houses)]
    items = [BulkItem(id=a["building_id"], version=a["version"]) for a in answers]
    with pytest.raises(Forbidden), demo_db.write() as s:
        bulk_verify(s, officer, BulkVerifyIn(collector="officer", items=items))
    with demo_db.write() as s:  # another officer may
        assert (
            bulk_verify(s, who["officer2"], BulkVerifyIn(collector="officer", items=items))["verified"] == 2
        )


# -- the re-visit sample ----------------------------------------------------------------------------


def draw(db, scope, **body) -> dict:
    with db.write() as s:
        return revisits.draw(s, scope, SampleIn(**body))


def test_a_sample_is_reproducible_and_stays_in_its_village(demo_db, people):
    village, who = people
    officer = who["officer"]
    one = draw(demo_db, officer, village=village, size=8, seed=42)
    two = draw(demo_db, officer, village=village, size=8, seed=42)
    assert one["houses"] == two["houses"] and len(one["houses"]) == 8 and one["id"] != two["id"]
    other = draw(demo_db, officer, village=village, size=8, seed=43)
    assert other["houses"] != one["houses"]
    with demo_db.session() as s:
        houses = s.scalars(select(Building).where(Building.id.in_(one["houses"]))).all()
        population = s.scalar(
            select(func.count())
            .select_from(Building)
            .where(Building.village_id == village, Building.status.in_(("collected", "verified")))
        )
        tasks = s.scalars(select(Revisit).where(Revisit.sample_id == one["id"])).all()
        sample = s.get(RevisitSample, one["id"])
    assert {h.village_id for h in houses} == {village}
    assert {h.status for h in houses} <= {"collected", "verified"}
    assert one["population"] == population == sample.population and sample.seed == 42
    assert sorted(t.building_id for t in tasks) == one["houses"] and {t.status for t in tasks} == {"pending"}
    fresh = draw(demo_db, officer, village=village, size=3)  # no seed: a random one, stored and returned
    assert 0 <= fresh["seed"] < 2**31
    assert draw(demo_db, officer, village=village, size=3, seed=fresh["seed"])["houses"] == fresh["houses"]


def test_a_sample_of_a_collector_holds_their_houses_only(demo_db, people):
    village, who = people
    houses = _uncollected(demo_db, village, 4)
    for i, h in enumerate(houses[:3]):
        submit(demo_db, who["collector"], h, [_member(30 + i, "户主")])
    submit(demo_db, who["other"], houses[3], [_member(40, "户主")])
    sample = draw(demo_db, who["officer"], collector="collector_a", size=10, seed=1)
    assert sample["houses"] == houses[:3] and sample["population"] == 3  # all three, nobody else's
    for bad in ({"size": 2}, {"size": 2, "village": village, "collector": "collector_a"}):
        with pytest.raises(InvalidInput):
            draw(demo_db, who["officer"], **bad)
    with pytest.raises(InvalidInput) as nobody:
        draw(demo_db, who["officer"], collector="collector_zz", size=2)
    assert nobody.value.field == "collector"
    with pytest.raises(Forbidden):
        draw(demo_db, who["collector"], village=village, size=2)
    with demo_db.session() as s:
        event = s.scalar(
            select(AuditEvent).where(AuditEvent.action == "revisit.sample").order_by(AuditEvent.id)
        )
    assert orjson.loads(event.changes)["houses"] == houses[:3] and orjson.loads(event.changes)["seed"] == 1


# -- re-visits feed the accuracy rate ---------------------------------------------------------------


def _counts(db, village, as_of=None):
    """The village's accuracy rate for houses as of a day (default today)."""
    with db.session() as s:
        cov = coverage(s, LEADER, OPEN, kind="houses", as_of=as_of or beijing_today())
    return next(r for r in cov.villages if r.village_id == village).accuracy_rate


def record(db, scope, revisit_id, result, **extra) -> dict:
    with db.session() as s:
        version = s.get(Revisit, revisit_id).version
    with db.write() as s:
        return revisits.record_result(
            s, scope, revisit_id, RevisitResultIn(result=result, version=version, **extra)
        )


def _checked_passed(db, village) -> tuple[int, int]:
    with db.session() as s:
        houses = s.scalars(select(Building).where(Building.village_id == village)).all()
    checked = [h for h in houses if h.first_checked_at is not None or h.revisit_failed_at is not None]
    passed = [h for h in checked if h.first_check_passed and h.revisit_failed_at is None]
    return len(checked), len(passed)


def test_a_failed_revisit_counts_as_a_failed_check(demo_db, people):
    village, who = people
    officer = who["officer"]
    sample = draw(demo_db, officer, village=village, size=40, seed=7)
    with demo_db.session() as s:
        tasks = {
            t.building_id: t.id for t in s.scalars(select(Revisit).where(Revisit.sample_id == sample["id"]))
        }
        houses = {b.id: b for b in s.scalars(select(Building).where(Building.id.in_(tasks)))}
    passed = [i for i, b in houses.items() if b.status == "verified" and b.first_check_passed]
    unchecked = [i for i, b in houses.items() if b.status == "collected" and b.first_checked_at is None]
    assert len(passed) >= 2 and unchecked, "the demo village has verified and unchecked houses"
    checked0, passed0 = _checked_passed(demo_db, village)
    rate0 = _counts(demo_db, village)
    assert rate0 == pytest.approx(passed0 / checked0)
    past = _counts(demo_db, village, date(2016, 6, 8))

    # Confirmed: nothing changes.
    answer = record(demo_db, officer, tasks[passed[0]], "confirmed")
    assert answer["status"] == "confirmed" and answer["house_status"] == "verified"
    assert _counts(demo_db, village) == rate0

    # Found wrong: returned with the reason, checked and no longer passed.
    answer = record(
        demo_db, officer, tasks[passed[1]], "wrong", reason_code="people_missing", reason="少登一人"
    )
    assert answer["house_status"] == "returned" and answer["reason"].endswith("：少登一人")
    assert _counts(demo_db, village) == pytest.approx((passed0 - 1) / checked0)
    # A wrong record never checked before: its first check, failed.
    record(demo_db, officer, tasks[unchecked[0]], "wrong", reason="门牌不符")
    assert _counts(demo_db, village) == pytest.approx((passed0 - 1) / (checked0 + 1))
    assert _checked_passed(demo_db, village) == (checked0 + 1, passed0 - 1)
    # As it stood before the re-visits, nothing changed.
    assert _counts(demo_db, village, date(2016, 6, 8)) == past

    # The house resubmitted and verified again still counts as failed: the check missed the error.
    with demo_db.session() as s:
        b = s.get(Building, passed[1])
        assert (
            b.status == "returned"
            and b.revisit_failed_at is not None
            and b.return_reason.endswith("少登一人")
        )
        events = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id.in_([str(passed[1]), str(tasks[passed[1]])]))
        ).all()
    assert "house.return" in events and "revisit.result" in events


def test_revisit_results_are_recorded_once_and_never_by_the_collector(demo_db, people):
    village, who = people
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, who["officer"], house, [_member(50, "户主")])
    sample = draw(demo_db, who["officer2"], collector="officer", size=1, seed=3)
    task = sample["revisits"][0]["id"]
    with pytest.raises(Forbidden):  # the officer collected it: someone else re-visits it
        record(demo_db, who["officer"], task, "confirmed")
    with pytest.raises(InvalidInput) as no_reason:
        record(demo_db, who["officer2"], task, "wrong", reason="  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(InvalidInput) as bad_code:
        record(demo_db, who["officer2"], task, "wrong", reason_code="no_such_reason")
    assert bad_code.value.field == "reason_code"
    record(demo_db, who["officer2"], task, "confirmed")
    with pytest.raises(Conflict):
        record(demo_db, who["officer2"], task, "wrong", reason="改主意")
    with demo_db.session() as s:
        assert s.get(Building, house).status == "collected"  # a confirmed re-visit is not a verification
        listed = revisits.list_revisits(s, who["officer2"], status="confirmed")
        samples = revisits.list_samples(s, who["officer2"])
    assert [r["building_id"] for r in listed] == [house]
    assert (
        samples[0]["confirmed"] == 1 and samples[0]["pending"] == 0 and samples[0]["collector"] == "officer"
    )
