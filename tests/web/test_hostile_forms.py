"""Hostile values in every account form (admin user forms, the CSV upload, the tokens page,
the password change, the login): each is refused with 400 — the form again, its message naming
the field — and changes nothing; none answers 500."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from geoapp.store.models import ApiToken, AuditEvent, User
from tests.conftest import PASSWORD, csrf_token

HUGE = str(2**63 + 1)
# Not a village or unit id: too large for any integer column, not ASCII digits, not a number at all.
BAD_IDS = [HUGE, str(2**31), "-1", "0", "²", "١٢", "１", "1e3", "0x1F", "1.5", "1\x00", "\x1b", "9" * 5000]
# Not a name or phone: far too long, control characters (NUL breaks PostgreSQL), a direction override.
BAD_TEXT = ["x" * 5000, "a\x00b", "a\x1b[31mb", "a\nb", "a\u202eb", "\x00"]
LABELS = {  # how the Chinese page names each field
    "username": "用户名",
    "name": "名称",
    "phone": "电话",
    "role": "角色",
    "village": "村",
    "unit": "单位",
    "disabled": "停用",
    "days": "有效期",
    "old_password": "当前密码",
    "new_password": "新密码",
}
ERROR_RE = re.compile(r'class="error"[^>]*>(.*?)</(?:p|div)>', re.S)


def snapshot(db) -> tuple:
    """Every account and token as stored (but last-seen times), and how many audit events."""
    with db.session() as s:
        users = [
            tuple(getattr(u, c.key) for c in User.__table__.columns if c.key != "last_login_at")
            for u in s.scalars(select(User).order_by(User.id))
        ]
        tokens = [
            tuple(getattr(t, c.key) for c in ApiToken.__table__.columns if c.key != "last_used_at")
            for t in s.scalars(select(ApiToken).order_by(ApiToken.id))
        ]
        return users, tokens, s.scalar(select(func.count(AuditEvent.id)))


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "…"


def check_refusals(client, db, url: str, base: dict, field: str, values: list, headers: dict) -> list[str]:
    """Post ``base`` with ``field`` replaced by each value; every one must be a 400 naming the field
    and leave the database as it was."""
    failures = []
    before = snapshot(db)
    for value in values:
        r = client.post(url, data={**base, field: value}, headers=headers)
        html = r.get_data(as_text=True)
        errors = " ".join(ERROR_RE.findall(html))
        if r.status_code != 400:
            failures.append(f"{url} {field}={_shown(value)}: {r.status_code} {errors[:120]}")
        elif LABELS[field] not in errors:
            failures.append(
                f"{url} {field}={_shown(value)}: the message does not name the field: {errors[:200]}"
            )
        if snapshot(db) != before:
            failures.append(f"{url} {field}={_shown(value)}: the database changed")
            before = snapshot(db)
    return failures


@pytest.fixture
def admin(clients):
    return clients("admin"), clients.csrf("admin")


def test_hostile_values_in_the_create_user_form(admin, clients, demo_db):
    client, headers = admin
    base = {"username": "newcomer1", "name": "张三", "phone": "13800001111", "role": "collector",
            "village": str(clients.village_a), "unit": ""}  # fmt: skip
    fields = {
        "username": ["", "ab", "x" * 61, "a\x00b", "new\nuser", "用户名称", ["newcomer1", "newcomer2"]],
        "name": [*BAD_TEXT, ["张三", "李四"]],
        "phone": ["1" * 21, "138\x00", "138\x1b[0m", "=1+1", "+cmd|' /C calc'!A0", ["13800001111"] * 2],
        "role": ["", "boss", "admin\x00", "x" * 5000, ["officer", "admin"]],
        "village": [*BAD_IDS, "没有村", "上新村\x00", [str(clients.village_a)] * 2],
        "unit": [*BAD_IDS, [str(clients.unit_id)] * 2],
    }
    failures = []
    for field, values in fields.items():
        failures += check_refusals(client, demo_db, "/admin/users", base, field, values, headers)
    assert failures == [], "\n".join(failures)
    # The refused form is shown again with what was typed (and no password).
    r = client.post("/admin/users", data={**base, "unit": HUGE}, headers=headers)
    assert 'value="newcomer1"' in r.get_data(as_text=True) and "password" not in ERROR_RE.findall(r.text)[0]
    # The base form itself is fine: the refusals above were for the hostile value alone.
    assert client.post("/admin/users", data=base, headers=headers).status_code == 200


def test_hostile_values_in_the_role_and_access_forms(admin, clients, demo_db):
    client, headers = admin
    target = clients.users["leader"]
    base = {"role": "collector", "village": str(clients.village_b), "unit": ""}
    fields = {
        "role": ["", "boss", "admin\x00", "x" * 5000, ["officer", "admin"]],
        "village": [*BAD_IDS, "没有村", [str(clients.village_b)] * 2],
        "unit": [*BAD_IDS, [str(clients.unit_id)] * 2],
    }
    failures = []
    for field, values in fields.items():
        failures += check_refusals(
            client, demo_db, f"/admin/users/{target}/role", base, field, values, headers
        )
    failures += check_refusals(
        client, demo_db, f"/admin/users/{target}/disabled", {}, "disabled",
        ["", "2", "yes", "true", "\x00", HUGE, "1" * 5000, ["1", "0"], ["1", "1"]], headers,
    )  # fmt: skip
    assert failures == [], "\n".join(failures)
    assert client.post(f"/admin/users/{target}/role", data=base, headers=headers).status_code == 302


@pytest.mark.parametrize("user_id", [HUGE, str(2**31), str(2**63 - 1), "0", "99999999999999999999999999"])
def test_user_ids_out_of_range_are_not_found(admin, demo_db, user_id):
    """Beyond what an INTEGER id holds: a 400 naming the id (issue 8, item 13); 0: not found."""
    client, headers = admin
    before = snapshot(demo_db)
    expected = 400 if int(user_id) > 2**31 - 1 else 404
    assert client.get(f"/admin/users/{user_id}").status_code == expected
    for action in ("role", "disabled", "password"):
        r = client.post(
            f"/admin/users/{user_id}/{action}", data={"role": "officer", "disabled": "1"}, headers=headers
        )
        assert r.status_code == expected, (action, r.status_code)
    assert client.post(f"/account/tokens/{user_id}/revoke", headers=headers).status_code == expected
    assert snapshot(demo_db) == before


def test_query_parameters_on_the_admin_pages_are_ignored(admin, clients):
    client, _ = admin
    for query in (f"page={HUGE}", "page=-1", "page=²", "lang=%00", "lang=x" * 500, "page=1&page=2"):
        assert client.get(f"/admin/users?{query}").status_code == 200, query
        assert client.get(f"/admin/users/{clients.users['leader']}?{query}").status_code == 200, query
        assert client.get(f"/account/tokens?{query}").status_code == 200, query


def _upload(client, headers, data: bytes, filename: str = "users.csv"):
    return client.post("/admin/users/import", data={"file": (io.BytesIO(data), filename)}, headers=headers)


@pytest.mark.parametrize(
    "data",
    [
        "姓名,电话,角色,村\n张三\x00,13812345678,领导,\n".encode(),
        b"\xe5\xa7\x93\xe5\x90\x8d,\xe7\x94\xb5\xe8\xaf\x9d\n\x00\x00\x00\n",
        "姓名,电话,角色,村\n".encode() + b'"' + b"x" * 200_000 + b'",13812345678,leader,\n',
        "姓名,电话,角色,村\n张\x1b[31m三,13812345678,领导,\n".encode(),
        "姓名,电话,角色,村\n" + "x" * 101 + ",13812345678,领导,\n".encode().decode(),
        b"\xff\xfe\x00\x00garbage\x81\x30",
        b"PK\x03\x04" + bytes(range(256)) * 10,
    ],
    ids=["nul-in-name", "nul-line", "huge-field", "escape-in-name", "overlong-name", "binary", "zip"],
)
def test_hostile_csv_uploads_are_refused_and_create_nobody(admin, demo_db, data):
    client, headers = admin
    data = data.encode() if isinstance(data, str) else data
    before = snapshot(demo_db)
    r = _upload(client, headers, data)
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert 'class="error"' in r.get_data(as_text=True) and snapshot(demo_db) == before


def test_a_hostile_upload_file_name_is_shown_and_audited_harmlessly(admin, demo_db):
    client, headers = admin
    name = "用户\x00\x1b[31m" + "x" * 500 + ".csv"
    r = _upload(client, headers, "姓名,电话,角色,村\n张三,13812345678,领导,\n".encode(), name)
    assert r.status_code == 200
    with demo_db.session() as s:
        changes = s.scalar(select(AuditEvent.changes).where(AuditEvent.action == "user.import"))
    assert "\\u0000" not in changes and "\\u001b" not in changes and len(changes) < 400


def test_hostile_values_in_the_tokens_form(clients, demo_db):
    client, headers = clients("collector"), clients.csrf("collector")
    base = {"name": "QGIS", "days": "30"}
    fields = {
        "name": ["", "   ", "x" * 101, "a\x00b", "a\x1bb", "\x00", ["QGIS", "脚本"]],
        "days": ["0", "-1", "91", "9999", HUGE, "²", "１", "abc", "30\x00", "7.5", ["7", "30"]],
    }
    failures = []
    for field, values in fields.items():
        failures += check_refusals(client, demo_db, "/account/tokens", base, field, values, headers)
    assert failures == [], "\n".join(failures)
    assert 'id="new-token"' in client.post("/account/tokens", data=base, headers=headers).get_data(
        as_text=True
    )


def test_hostile_values_in_the_password_form(clients, demo_db):
    client, headers = clients("officer"), clients.csrf("officer")
    new = "Brand-new-pass-9"
    base = {"old_password": PASSWORD, "new_password": new, "confirm_password": new}
    failures = check_refusals(
        client, demo_db, "/account/password", base, "old_password",
        ["\x00", "x" * 5000, PASSWORD + "\x00", [PASSWORD, PASSWORD]], headers,
    )  # fmt: skip
    for value in ("Brand-new\x00pass-9", "Brand-new\x1bpass-9", "Brand-new\npass-9", "Ab1-" + "x" * 5000,
                  [new, new]):  # fmt: skip
        failures += check_refusals(
            client, demo_db, "/account/password", {**base, "confirm_password": value}, "new_password",
            [value], headers,
        )  # fmt: skip
    assert failures == [], "\n".join(failures)
    assert client.post("/account/password", data=base, headers=headers).status_code == 302


def test_hostile_values_in_the_login_form(demo_app, clients):
    client = demo_app.test_client()
    token = csrf_token(client)
    attempts = [
        {"username": "\x00", "password": "x"},
        {"username": "a\x00b", "password": "x"},
        {"username": "x" * 5000, "password": "x"},
        {"username": "\x1b[31mofficer", "password": PASSWORD},
        {"username": ["officer", "admin"], "password": PASSWORD},
        {"username": "officer", "password": "\x00"},
        {"username": "officer", "password": "x" * 200_000},
    ]
    for form in attempts:
        r = client.post("/login", data={**form, "csrf_token": token})
        assert r.status_code in (400, 401, 429), (_shown(form), r.status_code)  # refused, never 500
    # ``next`` goes to this site only, whatever it holds.
    for target in ("/\\evil.example/", "/\\/evil.example", "/\r\nSet-Cookie: a=b", "/\x00", "//evil.example"):
        fresh = demo_app.test_client()
        r = fresh.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_token(fresh), "next": target},
        )
        assert r.status_code == 302 and r.location == "/", (target, r.status_code, r.location)
