"""Entering old records on both backends: rows sorted before anything is stored, the dry run
stores nothing, confirming stores the matched rows audited in households, entering the same
file twice stores nothing new, invalid rows name the field and the rule."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from geoapp.config import Settings
from geoapp.domain import entry
from geoapp.domain.errors import Conflict, Forbidden, ImportRefused, InvalidInput
from geoapp.domain.identifiers import make_resident_id
from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign import review
from geoapp.services.gis_io.importer import people
from geoapp.store.models import AuditEvent, Building, Household, Person, Village

OFFICER = Scope(1, "officer", Role.OFFICER)
SETTINGS = Settings()
TODAY = date(2016, 6, 1)
HEADERS = "姓名,身份证号,地址,电话,与户主关系,民族"


def ids(n: int) -> list[str]:
    return [make_resident_id("430101", date(1980, 1, 1 + i), 21) for i in range(n)]


def town(database) -> dict:
    """An uncollected house, two houses made to share 测试街5号 in two villages, and a
    registered person."""
    with database.write() as s:
        free = s.scalar(
            select(Building).where(Building.status == "uncollected").order_by(Building.id).limit(1)
        )
        villages = s.scalars(select(Village).order_by(Village.id).limit(2)).all()
        twins = []
        for village in villages:
            house = s.scalar(
                select(Building)
                .where(Building.village_id == village.id, Building.id != free.id)
                .order_by(Building.id.desc())
                .limit(1)
            )
            house.door_no, house.address = "5号", f"余坪镇{village.name}测试街5号"
            twins.append(house.id)
        registered = s.scalar(select(Person).order_by(Person.id).limit(1))
        return {
            "free": free.id,
            "address": free.address,
            "twins": twins,
            "registered": registered.id_number,
            "registered_at": s.get(Building, registered.building_id).address,
        }


def register(t: dict) -> bytes:
    a, b, c, d = ids(4)
    wide = t["address"].translate(str.maketrans("0123456789", "０１２３４５６７８９")).replace("余坪镇", "")
    lines = [
        HEADERS,
        f"张一,{a},{t['address']},13812345678,户主,汉族",  # row 2: exact
        f"李二,{b},{wide},,配偶,汉",  # row 3: normalised, the same household
        f"王三,{c},测试街5号,,户主,",  # row 4: ambiguous
        f"赵四,{d},余坪镇余坪村不存在路99号,,户主,",  # row 5: unmatched
        f"钱五,430101198001019999,{t['address']},12345,子女,",  # row 6: bad check digit and phone
        f"孙六,{t['registered']},{t['address']},,子女,",  # row 7: already registered
        f"周七,{a},{t['address']},,子女,",  # row 8: row 2 again
        ",,,,,",  # blank: left out
    ]
    return "\n".join(lines).encode()


def counts(database) -> tuple[int, int]:
    with database.session() as s:
        return s.scalar(select(func.count(Person.id))), s.scalar(select(func.count(AuditEvent.id)))


def test_plan_sorts_rows_and_stores_nothing(demo_db):
    t = town(demo_db)
    before = counts(demo_db)
    with demo_db.write() as s:
        plan = people.plan_entry(s, OFFICER, SETTINGS, register(t), "旧档案.csv", today=TODAY)
    assert [r.row for r in plan.rows] == [2, 3, 4, 5, 6, 7, 8]
    assert [r.outcome for r in plan.rows] == [
        entry.MATCHED, entry.MATCHED, entry.AMBIGUOUS, entry.UNMATCHED, entry.INVALID, entry.REGISTERED, entry.REPEATED,
    ]  # fmt: skip
    assert (plan.rows[0].how, plan.rows[1].how) == (entry.EXACT, entry.NORMALISED)
    assert plan.rows[0].building_id == plan.rows[1].building_id == t["free"]
    assert sorted(b for b, _ in plan.rows[2].candidates) == sorted(t["twins"])
    assert {f for f, _ in plan.rows[4].errors} == {"id_number", "phone"}
    assert "check" in plan.rows[4].errors[0][1].render().lower() or plan.rows[4].errors[0][1].render()
    assert plan.rows[5].registered_at == t["registered_at"] and plan.rows[6].repeats == 2
    assert "*" in plan.rows[0].id_number and "*" in plan.rows[0].phone  # masked on the review screen
    assert counts(demo_db)[0] == before[0]
    with demo_db.session() as s:
        assert s.get(Building, t["free"]).status == "uncollected"


def test_confirm_stores_matched_rows_audited_and_twice_stores_nothing(demo_db):
    t = town(demo_db)
    data = register(t)
    people_before, _ = counts(demo_db)
    with demo_db.write() as s:
        plan = people.confirm_entry(
            s, OFFICER, SETTINGS, data, "旧档案.csv", choices={4: t["twins"][1]}, today=TODAY
        )
    assert (plan.stored, plan.houses, plan.households) == (3, 2, 2)
    with demo_db.session() as s:
        assert s.scalar(select(func.count(Person.id))) == people_before + 3
        free = s.get(Building, t["free"])
        assert (free.status, free.submitted_by) == ("collected", OFFICER.user_id)
        stored = s.scalars(
            select(Person).where(Person.building_id == t["free"], Person.name.in_(["张一", "李二"]))
        ).all()
        assert len(stored) == 2 and stored[0].household_id == stored[1].household_id
        assert {p.relation for p in stored} == {"户主", "配偶"} and {p.ethnicity for p in stored} == {
            "汉族",
            "汉",
        }
        assert s.get(Household, stored[0].household_id).number is None
        wang = s.scalar(select(Person).where(Person.name == "王三"))
        assert wang.building_id == t["twins"][1]
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%.import"))).all()
        assert sorted(actions) == ["house.import"] * 2 + ["people.import"] + ["person.import"] * 3
    with demo_db.session() as s:  # the officer verifying the house sees who was entered
        since = review.changes_since_check(s, OFFICER, t["free"])
    assert sorted(p["name"] for p in since["added"]) == ["张一", "李二"] and since["submissions"] == 1
    assert all("*" in p["id_number"] for p in since["added"])
    again_people, _ = counts(demo_db)
    with demo_db.write() as s:
        again = people.confirm_entry(s, OFFICER, SETTINGS, data, "旧档案.csv", choices={}, today=TODAY)
    assert again.stored == 0
    assert again.counts()[entry.REGISTERED] == 5  # the three stored, row 2 again, the one registered before
    assert counts(demo_db)[0] == again_people


def test_households_by_number_join_the_house(demo_db):
    t = town(demo_db)
    a, b = ids(2)
    data = f"姓名,证件号码,标准地址,户号,与户主关系\n甲,{a},{t['address']},H01,户主\n乙,{b},{t['address']},H01,子女\n"
    with demo_db.write() as s:
        plan = people.confirm_entry(s, OFFICER, SETTINGS, data.encode("gb18030"), "gb.csv", today=TODAY)
    assert (plan.stored, plan.households) == (2, 1)
    with demo_db.session() as s:
        household = s.scalar(
            select(Household).where(Household.building_id == t["free"], Household.number == "H01")
        )
        assert {p.name for p in s.scalars(select(Person).where(Person.household_id == household.id))} == {
            "甲",
            "乙",
        }


def test_excel_with_english_headers(demo_db):
    t = town(demo_db)
    (a,) = ids(1)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "ID number", "Address", "Phone", "Relation", "Birth date"])
    sheet.append(["Zhang", a, t["address"], 13812345678, "户主", date(1980, 1, 1)])
    wrong = "1" if a[17] == "0" else "0"  # the last digit lost
    sheet.append(["Li", int(a[:17] + wrong), t["address"], None, "配偶", None])  # an ID typed as a number
    out = io.BytesIO()
    book.save(out)
    with demo_db.write() as s:
        plan = people.plan_entry(s, OFFICER, SETTINGS, out.getvalue(), "old.xlsx", today=TODAY)
    assert [(r.row, r.outcome, r.errors) for r in plan.rows[:1]] == [(2, entry.MATCHED, [])]
    assert plan.rows[1].outcome == entry.INVALID
    assert [f for f, _ in plan.rows[1].errors] == ["id_number"] and "15" in plan.rows[1].errors[0][1].render()


def test_refusals(demo_db):
    with pytest.raises(ImportRefused) as err, demo_db.write() as s:
        people.plan_entry(s, OFFICER, SETTINGS, b"name,phone\nx,1\n", "a.csv")
    assert "id_number" in err.value.render() and "address" in err.value.render()
    with pytest.raises(ImportRefused), demo_db.write() as s:
        people.plan_entry(s, OFFICER, SETTINGS, b"x", "a.pdf")
    with pytest.raises(ImportRefused), demo_db.write() as s:
        people.plan_entry(s, OFFICER, SETTINGS, b"not a zip", "a.xlsx")
    small = Settings(import_max_mb=0.00001)
    with pytest.raises(ImportRefused), demo_db.write() as s:
        people.plan_entry(s, OFFICER, small, (HEADERS + "\n" + "a," * 40).encode(), "a.csv")
    few = Settings(import_max_features=1)
    with pytest.raises(ImportRefused), demo_db.write() as s:
        people.plan_entry(s, OFFICER, few, (HEADERS + "\na,b,c\nd,e,f\n").encode(), "a.csv")
    with pytest.raises(Forbidden), demo_db.write() as s:
        people.plan_entry(s, Scope(2, "c", Role.COLLECTOR, 1), SETTINGS, (HEADERS + "\n").encode(), "a.csv")
    t = town(demo_db)
    with pytest.raises(InvalidInput), demo_db.write() as s:  # a house the address does not fit
        people.confirm_entry(s, OFFICER, SETTINGS, register(t), "a.csv", choices={4: t["free"]}, today=TODAY)


def test_review_is_charged_to_the_people_budget(demo_db):
    t = town(demo_db)
    tight = Settings(person_read_limit=5, person_read_daily_limit=5, person_read_village_margin=0)
    from geoapp.domain.errors import TooManyRequests

    with pytest.raises(TooManyRequests), demo_db.write() as s:
        people.plan_entry(s, OFFICER, tight, register(t), "a.csv", today=TODAY)


def test_staged_uploads_belong_to_their_uploader(tmp_path):
    token = people.stage_upload(7, "../旧档案.csv", b"abc", tmp_path)
    assert people.staged_upload(7, token, tmp_path) == ("旧档案.csv", b"abc")
    with pytest.raises(InvalidInput):
        people.staged_upload(8, token, tmp_path)
    with pytest.raises(InvalidInput):
        people.staged_upload(7, "../../etc/passwd", tmp_path)
    people.drop_upload(7, token, tmp_path)
    with pytest.raises(InvalidInput):
        people.staged_upload(7, token, tmp_path)


def test_registered_meanwhile_stores_nothing(demo_db, monkeypatch):
    """Two officers storing the same people at once: the second meets the unique document."""
    t = town(demo_db)
    monkeypatch.setattr(people, "_registered", lambda session, numbers: {})  # as if sorted before the first
    before = counts(demo_db)[0]
    with pytest.raises(Conflict), demo_db.write() as s:
        people.confirm_entry(s, OFFICER, SETTINGS, register(t), "a.csv", today=TODAY)
    assert counts(demo_db)[0] == before
