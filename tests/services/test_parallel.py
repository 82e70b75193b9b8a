"""Parallel updates of a house (an offline phone's queued submission, ODK Central's model):
parts nobody else touched apply, the same parts changed by someone else are a conflict."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import func, select

from geoapp.domain import parallel
from geoapp.domain.errors import Conflict
from geoapp.domain.requests import BuildingPatchIn
from geoapp.domain.schema import parse
from geoapp.domain.submission import SubmissionIn
from geoapp.services.campaign.buildings import update_building
from geoapp.services.campaign.collect import submit_house
from geoapp.store.models import AuditEvent, Building, Person, Visit
from tests.services.test_review import SETTINGS, _member, _uncollected, people, review, submit  # noqa: F401  (the fixture)
from tests.web.test_collect import _payload


def _version(db, house) -> int:
    with db.session() as s:
        return s.get(Building, house).version


def _offline(db, scope, house, members, *, base, changed, **attributes) -> dict:
    """A submission queued on a phone at version ``base``, sent later."""
    with db.session() as s:
        payload = _payload(s.get(Building, house), members)
    payload["version"] = base
    payload["keep_mine"] = attributes.pop("keep_mine", False)
    if attributes.pop("empty", False):
        payload.update(empty=True, households=[])
    payload["building"].update(attributes)
    if changed is not None:
        payload["changed"] = changed
    with db.write() as s:
        return submit_house(s, scope, SETTINGS, house, parse(SubmissionIn, payload))


def _officer_sets(db, scope, house, **fields) -> None:
    with db.write() as s:
        update_building(s, scope, house, BuildingPatchIn(version=_version(db, house), **fields))


def _house(db, house):
    with db.session() as s:
        b = s.get(Building, house)
        names = sorted(s.scalars(select(Person.name).where(Person.building_id == house)))
        visits = s.scalar(select(func.count()).select_from(Visit).where(Visit.building_id == house))
        return b.floors, b.structure, names, visits


def test_changes_to_parts_nobody_else_touched_apply_as_a_parallel_update(demo_db, people):  # noqa: F811
    village, who = people
    collector, officer = who["collector"], who["officer"]
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, collector, house, [_member(0, "户主")], floors=2)
    base = _version(demo_db, house)  # the collector opens the form, then loses the signal
    _officer_sets(demo_db, officer, house, structure="砖混")  # meanwhile the station changes the structure
    answer = _offline(
        demo_db,
        collector,
        house,
        [_member(0, "户主"), _member(1)],
        base=base,
        changed=["households"],
        floors=2,
    )
    assert answer["status"] == "collected" and answer["version"] > base + 1
    floors, structure, names, visits = _house(demo_db, house)
    assert (floors, structure, names, visits) == (2, "砖混", ["王0", "王1"], 2)  # both changes kept
    with demo_db.session() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "house.submit").order_by(AuditEvent.id.desc())
        ).first()
    recorded = orjson.loads(event.changes)
    assert recorded["parallel"] == {
        "base_version": base,
        "version": base + 1,
        "mine": ["households"],
        "theirs": ["structure"],
    }
    assert recorded["revision"]["fields"] == ["households"]


def test_a_field_left_unchanged_by_the_phone_keeps_the_stations_value(demo_db, people):  # noqa: F811
    village, who = people
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, who["collector"], house, [_member(2, "户主")], floors=2)
    base = _version(demo_db, house)
    _officer_sets(demo_db, who["officer"], house, floors=5)
    # The phone's form still says 2 floors, but the collector changed the structure only.
    _offline(demo_db, who["collector"], house, [_member(2, "户主")], base=base, changed=["structure"],
             floors=2, structure="木")  # fmt: skip
    floors, structure, names, _visits = _house(demo_db, house)
    assert (floors, structure, names) == (5, "木", ["王2"])


def test_on_the_current_version_the_whole_form_applies(demo_db, people):  # noqa: F811
    """A part the phone failed to mark as changed (a draft put back after a reload fires no
    input event) is not dropped when nobody changed the house meanwhile."""
    village, who = people
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, who["collector"], house, [_member(6, "户主")], floors=2)
    _offline(demo_db, who["collector"], house, [_member(6, "户主")], base=_version(demo_db, house),
             changed=["structure"], floors=7, structure="木")  # fmt: skip
    assert _house(demo_db, house)[:2] == (7, "木")


def test_the_same_part_changed_on_both_sides_is_a_conflict_and_nothing_is_stored(demo_db, people):  # noqa: F811
    village, who = people
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, who["collector"], house, [_member(4, "户主")], floors=2)
    base = _version(demo_db, house)
    _officer_sets(demo_db, who["officer"], house, floors=5)
    before = _house(demo_db, house)
    with pytest.raises(parallel.ParallelConflict) as caught:
        _offline(
            demo_db, who["collector"], house, [_member(4, "户主")], base=base, changed=["floors"], floors=3
        )
    assert caught.value.conflict == {"fields": ["floors"], "version": base + 1, "base_version": base}
    assert _house(demo_db, house) == before
    # "Keep mine": the phone sends its parts again, saying mine wins where both changed.
    _offline(demo_db, who["collector"], house, [_member(4, "户主")], base=base, changed=["floors"], floors=3,
             structure="木", keep_mine=True)  # fmt: skip
    assert _house(demo_db, house)[:2] == (3, before[1])  # my floors; the structure I did not change stays
    # "empty" stands for the use and the households: the station's floors do not clash with it.
    _offline(demo_db, who["collector"], house, [], base=base, changed=["empty"], empty=True)
    with demo_db.session() as s:
        assert (s.get(Building, house).use, s.get(Building, house).floors) == ("empty", 3)
    assert _house(demo_db, house)[2] == []


def test_a_whole_form_on_an_old_version_is_still_refused(demo_db, people):  # noqa: F811
    village, who = people
    (house,) = _uncollected(demo_db, village)
    submit(demo_db, who["collector"], house, [_member(5, "户主")], floors=2)
    base = _version(demo_db, house)
    _officer_sets(demo_db, who["officer"], house, structure="砖混")
    with pytest.raises(Conflict) as caught:
        _offline(demo_db, who["collector"], house, [_member(5, "户主")], base=base, changed=None)
    assert not isinstance(caught.value, parallel.ParallelConflict)


def test_a_review_in_between_does_not_clash_but_an_unrecorded_change_does(demo_db, people):  # noqa: F811
    village, who = people
    house, other = _uncollected(demo_db, village, 2)
    submit(demo_db, who["collector"], house, [_member(6, "户主")], floors=2)
    base = _version(demo_db, house)
    review(demo_db, who["officer"], house, "return", reason_code="door_number", reason="应为12号")
    answer = _offline(demo_db, who["collector"], house, [_member(6, "户主"), _member(7)], base=base,
                      changed=["households"])  # fmt: skip
    assert answer["status"] == "collected"

    submit(demo_db, who["collector"], other, [_member(8, "户主")], floors=2)
    base = _version(demo_db, other)
    with demo_db.write() as s:  # a write that records no revision: what it changed is unknown
        s.get(Building, other).owner_name = "某某"
    with pytest.raises(parallel.ParallelConflict) as caught:
        _offline(
            demo_db, who["collector"], other, [_member(8, "户主")], base=base, changed=["floors"], floors=3
        )
    assert caught.value.conflict["fields"] == ["floors"]


def test_the_history_of_versions_folds_into_the_parts_changed():
    revisions = [parallel.revision(1, 2, ["floors"]), parallel.revision(2, 4, ["households"])]
    assert parallel.changed_since(revisions, 1, 4) == {"floors", "households"}
    assert parallel.changed_since(revisions, 2, 4) == {"households"}
    assert parallel.changed_since(revisions, 1, 5) == {"floors", "households", parallel.UNKNOWN}
    assert parallel.clashes(["use"], {"floors"}) == []
    assert parallel.clashes(["empty"], {"households"}) == ["households"]
    assert parallel.clashes([], {parallel.UNKNOWN}) == [parallel.UNKNOWN]
