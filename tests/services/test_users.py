"""The account service: bulk import edge cases (all or nothing), roles, disabling, resets."""

from __future__ import annotations

from datetime import timedelta

import pytest
import shapely
from sqlalchemy import func, select

from geoapp.config import Settings
from geoapp.domain.errors import Conflict, InvalidInput, NotFound
from geoapp.domain.roles import Role, Scope
from geoapp.services.accounts import sessions, throttle
from geoapp.services.accounts import users as svc
from geoapp.services.accounts.passwords import make_hasher, verify
from geoapp.store.models import AuditEvent, Building, Unit, User, UserSession, Village

HASHER = make_hasher(1, 8192)
V1 = ("上新村", "431021101001", shapely.box(114.00, 27.10, 114.01, 27.11))
V2 = ("下新村", "431021101002", shapely.box(114.01, 27.10, 114.02, 27.11))
ADMIN = Scope(None, "tester", Role.ADMIN)


def add_villages(db) -> dict[str, int]:
    """Two villages (name → id), enough for collectors."""
    with db.write() as s:
        rows = []
        for name, code, geom in (V1, V2):
            village = Village(name=name, code=code)
            village.set_geometry(geom)
            rows.append(village)
        s.add_all(rows)
        s.flush()
        return {v.name: v.id for v in rows}


def add_unit(db, village_id: int) -> int:
    with db.write() as s:
        building = Building(village_id=village_id, address="上新村1号")
        building.set_geometry(shapely.Point(114.005, 27.105))
        s.add(building)
        s.flush()
        unit = Unit(building_id=building.id, name="上新商店")
        s.add(unit)
        s.flush()
        return unit.id


def counts(db) -> tuple[int, int]:
    with db.session() as s:
        return s.scalar(select(func.count(User.id))), s.scalar(select(func.count(AuditEvent.id)))


def audit_changes(db) -> str:
    with db.session() as s:
        return " ".join(c for c in s.scalars(select(AuditEvent.changes)) if c)


def new_user(db, username: str, role: str = "officer", **kwargs) -> svc.NewUser:
    with db.write() as s:
        return svc.create_user(s, HASHER, username=username, role=role, actor=ADMIN, **kwargs)


def import_csv(db, data: bytes | str, source: str = "采集员.csv") -> list[svc.NewUser]:
    with db.write() as s:
        return svc.import_users_csv(s, HASHER, data, source=source, actor=ADMIN)


def refused(db, data: bytes | str, error=svc.RowsRefused) -> InvalidInput:
    before = counts(db)
    with pytest.raises(error) as info:
        import_csv(db, data)
    assert counts(db) == before  # nothing created, nothing audited
    return info.value


@pytest.fixture
def villages(db):
    return add_villages(db)


# -- import: what works ---------------------------------------------------------------------------


def test_import_with_chinese_headers_aliases_and_messy_phones(db, villages):
    data = (
        "\ufeff姓名,电话,角色,村\n"
        "张三,138 1234 5678,村采集员,上新村\n"
        "李四,+86 139-0000-1111,collector,431021101002\n"
        "王五,１３７００００２２２２,民警,\n"  # full-width digits; an officer needs no village
    ).encode()
    created = import_csv(db, data)
    assert [n.user.username for n in created] == ["13812345678", "13900001111", "13700002222"]
    with db.session() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert users["13812345678"].village_id == villages["上新村"]
    assert users["13900001111"].village_id == villages["下新村"]
    assert users["13700002222"].role == "officer" and users["13700002222"].village_id is None
    assert users["13812345678"].name == "张三" and users["13812345678"].phone == "13812345678"
    for new in created:
        assert users[new.user.username].must_change_password
        assert verify(HASHER, users[new.user.username].password_hash, new.password)
    assert len({n.password for n in created}) == 3
    assert actions == ["user.create"] * 3 + ["user.import"]
    changes = audit_changes(db)
    assert all(n.password not in changes for n in created)


def test_import_reads_gb18030_and_english_headers_in_any_case(db, villages):
    data = "Name,PHONE,Role,Village\n赵六,13811112222,采集员,下新村\n".encode("gb18030")
    (created,) = import_csv(db, data)
    assert created.user.name == "赵六" and created.user.village_id == villages["下新村"]


def test_import_accepts_text_and_skips_blank_lines_and_empty_excel_rows(db, villages):
    data = "\ufeffname,phone,role,village\n\n张三,13812345678,collector,上新村\n,,,\n \n"
    created = import_csv(db, data)
    assert [n.user.username for n in created] == ["13812345678"]


def test_the_village_column_is_optional_for_town_roles(db):
    created = import_csv(db, "name,phone,role\n钱七,13822223333,领导\n")
    assert created[0].user.role == "leader"


# -- import: all or nothing -----------------------------------------------------------------------


def test_every_bad_line_is_named_and_nothing_is_created(db, villages):
    new_user(db, "13800000000", "officer")
    data = (
        "姓名,电话,角色,村\n"
        "张三,13812345678,collector,上新村\n"  # 2: fine
        "李四,12345,collector,上新村\n"  # 3: not a mobile number
        "\n"  # 4: blank, skipped (line numbers still follow the file)
        "王五,13812345678,collector,上新村\n"  # 5: twice in the file
        "赵六,13800000000,collector,上新村\n"  # 6: already has an account
        "钱七,13811110000,boss,上新村\n"  # 7: no such role
        "孙八,13811110001,collector,没有村\n"  # 8: no such village
        "周九,13811110002,collector,\n"  # 9: a collector without a village
        "吴十,13811110003,单位采集员,\n"  # 10: reporters need a unit: one by one
        ",13811110004,leader,\n"  # 11: no name
    )
    exc = refused(db, data)
    assert [line for line, _ in exc.rows] == [3, 5, 6, 7, 8, 9, 10, 11]
    assert [e.field for _, e in exc.rows] == [
        "phone",
        "phone",
        "phone",
        "role",
        "village",
        "village",
        "role",
        "name",
    ]
    message = str(exc)
    assert exc.field == "采集员.csv" and "采集员.csv" in message and "Nothing was created" in message
    for text in ("line 3: phone 12345", "line 5: phone 13812345678 appears twice", "already has an account",
                 "got boss", "no village 没有村", "line 9: village: a village collector needs a village"):  # fmt: skip
        assert text in message, text


def test_a_problem_with_a_later_line_keeps_the_earlier_good_lines_out(db, villages):
    refused(db, "姓名,电话,角色,村\n张三,13812345678,collector,上新村\n李四,13812345679,collector,外村\n")
    with db.session() as s:
        assert s.scalar(select(User).where(User.username == "13812345678")) is None


def test_long_lists_of_problems_are_cut_in_the_message_but_kept_in_rows(db, villages):
    lines = "".join(f"人{i},1{i:03d},collector,上新村\n" for i in range(30))
    exc = refused(db, "姓名,电话,角色,村\n" + lines)
    assert len(exc.rows) == 30 and "(+10)" in str(exc)


def test_missing_columns_are_named(db):
    exc = refused(db, "姓名,村\n张三,上新村\n", error=InvalidInput)
    assert "missing: phone, role" in str(exc)


def test_empty_files_are_refused(db):
    refused(db, "", error=InvalidInput)
    exc = refused(db, "姓名,电话,角色,村\n\n", error=InvalidInput)
    assert "lists nobody" in str(exc)


def test_binary_files_are_refused(db):
    exc = refused(db, b"\xff\xfe\x00\x80", error=InvalidInput)
    assert "neither UTF-8 nor GB18030" in str(exc)


def test_problems_are_translated_line_by_line(db, villages):
    exc = refused(db, "姓名,电话,角色,村\n张三,123,collector,上新村\n")
    table = {
        "line %(line)d": "第 %(line)d 行",
        "%(field)s %(value)s is not a mobile number (11 digits starting with 1).": "%(field)s %(value)s 不是手机号。",
        "Phone": "电话",  # the field's label, where errors have labels
    }
    (message,) = exc.row_messages(lambda m: table.get(m, m))
    assert message in ("第 2 行: 电话 123 不是手机号。", "第 2 行: phone 123 不是手机号。")


# -- create, roles, disabling ---------------------------------------------------------------------


def test_user_names_are_unique_whatever_their_case(db):
    new_user(db, "Admin", "admin")
    with pytest.raises(Conflict):
        new_user(db, "admin", "admin")


def test_create_checks_phone_length_and_unit(db):
    with pytest.raises(InvalidInput) as info:
        new_user(db, "long_phone", phone="1" * 21)
    assert info.value.field == "phone"
    with pytest.raises(InvalidInput) as info:
        new_user(db, "reporter", "reporter", unit_id=999999)
    assert info.value.field == "unit"


def test_set_role_keeps_the_village_unless_told_and_checks_the_unit(db, villages):
    new_user(db, "collector1", "collector", village="上新村")
    unit_id = add_unit(db, villages["上新村"])
    with db.write() as s:
        svc.set_role(s, "collector1", "collector", actor=ADMIN)  # no --village: keeps 上新村
        assert svc.find_user(s, "collector1").village_id == villages["上新村"]
        svc.set_role(s, "collector1", "collector", village="下新村", actor=ADMIN)
        assert svc.find_user(s, "collector1").village_id == villages["下新村"]
    with pytest.raises(InvalidInput) as info, db.write() as s:
        svc.set_role(s, "collector1", "reporter", unit_id=999999, actor=ADMIN)
    assert info.value.field == "unit"
    with db.write() as s:
        user = svc.set_role(s, "collector1", "reporter", unit_id=unit_id, actor=ADMIN)
        assert (user.role, user.village_id, user.unit_id) == ("reporter", None, unit_id)


def test_the_last_administrator_stays(db):
    new_user(db, "boss", "admin")
    with pytest.raises(Conflict), db.write() as s:
        svc.set_disabled(s, "boss", True, actor=ADMIN)
    with pytest.raises(Conflict), db.write() as s:
        svc.set_role(s, "boss", "officer", actor=ADMIN)
    new_user(db, "boss2", "admin")
    with db.write() as s:
        svc.set_disabled(s, "boss", True, actor=ADMIN)
    with pytest.raises(Conflict), db.write() as s:  # boss2 is now the only enabled one
        svc.set_role(s, "boss2", "leader", actor=ADMIN)


def test_an_administrator_cannot_disable_or_demote_themselves(db):
    me = new_user(db, "myself", "admin").user
    new_user(db, "other", "admin")
    myself = Scope(me.id, "myself", Role.ADMIN)
    with pytest.raises(Conflict), db.write() as s:
        svc.set_disabled(s, "myself", True, actor=myself)
    with pytest.raises(Conflict), db.write() as s:
        svc.set_role(s, "myself", "officer", actor=myself)


def test_disabling_ends_sessions(db):
    user = new_user(db, "officer1").user
    with db.write() as s:
        raw = sessions.start_session(s, s.get(User, user.id), "127.0.0.1")
    settings = Settings(database_url=db.url)
    with db.session() as s:
        assert sessions.resolve_session(s, settings, raw) is not None
    with db.write() as s:
        svc.set_disabled(s, "officer1", True, actor=ADMIN)
    with db.session() as s:
        assert sessions.resolve_session(s, settings, raw) is None
        assert s.scalar(select(UserSession.ended_at)) is not None


def test_reset_password_lifts_the_login_delays_of_that_account(db):
    new_user(db, "officer1")
    new_user(db, "officer2")
    settings = Settings(database_url=db.url, login_free_failures=2)
    with db.write() as s:
        for name in ("officer1", "officer2"):
            for addr in ("10.0.0.1", "10.0.0.2"):
                for _ in range(2):
                    assert sessions.authenticate(s, HASHER, settings, name, "wrong", addr).user is None
    with db.write() as s:
        assert sessions.authenticate(s, HASHER, settings, "officer1", "wrong", "10.0.0.1").locked
        password = svc.reset_password(s, HASHER, "officer1", actor=ADMIN)
        assert throttle.count(s, "login:pair:officer1|10.0.0.1", timedelta(minutes=60)) == 0
        assert throttle.count(s, "login:pair:officer2|10.0.0.1", timedelta(minutes=60)) == 2  # not theirs
    with db.write() as s:
        assert sessions.authenticate(s, HASHER, settings, "officer1", password, "10.0.0.1").user is not None
        assert sessions.authenticate(s, HASHER, settings, "officer2", "wrong", "10.0.0.1").locked
    assert password not in audit_changes(db)


def test_first_admin_only_in_an_empty_database(db):
    first = None
    with db.write() as s:
        first = svc.ensure_first_admin(s, HASHER)
    assert first is not None and first.user.username == "admin" and first.user.role == "admin"
    assert first.user.must_change_password
    with db.write() as s:
        assert svc.ensure_first_admin(s, HASHER) is None


def test_unknown_users_are_not_found(db):
    with pytest.raises(NotFound), db.write() as s:
        svc.reset_password(s, HASHER, "nobody")
    with pytest.raises(NotFound), db.session() as s:
        svc.get_user(s, 12345)
