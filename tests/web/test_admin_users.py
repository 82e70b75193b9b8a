"""/admin/users: administrators create, import, change, disable and reset accounts; nobody else
may; one-time passwords are shown once and never audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, User
from tests.conftest import login

PASSWORD_RE = re.compile(r'<code class="password">([^<]+)</code>')


def passwords(response) -> list[str]:
    return PASSWORD_RE.findall(response.get_data(as_text=True))


def counts(db) -> tuple[int, int]:
    with db.session() as s:
        return s.scalar(select(func.count(User.id))), s.scalar(select(func.count(AuditEvent.id)))


def user(db, username: str) -> User | None:
    with db.session() as s:
        return s.scalar(select(User).where(User.username == username))


def audit_changes(db) -> str:
    with db.session() as s:
        return " ".join(c for c in s.scalars(select(AuditEvent.changes)) if c)


@pytest.fixture
def admin(clients):
    client = clients("admin")
    headers = clients.csrf("admin")

    def post(url: str, data: dict | None = None, **kwargs):
        return client.post(url, data=data or {}, headers=headers, **kwargs)

    client.post_form = post
    return client


def test_the_users_page_lists_accounts_with_forms_that_carry_csrf_tokens(admin, clients):
    r = admin.get("/admin/users")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for name in clients.names.values():
        assert f">{name}</a>" in html
    assert "管理员" in html and "村采集员" in html  # role labels, Chinese by default
    assert html.count('name="csrf_token"') >= 3  # log out, create, import
    assert 'enctype="multipart/form-data"' in html
    assert passwords(r) == []


def test_create_a_user_shows_the_one_time_password_once(admin, clients, demo_db, demo_app):
    r = admin.post_form(
        "/admin/users",
        {"username": "13800001111", "name": "张三", "phone": "13800001111", "role": "collector",
         "village": str(clients.village_a), "unit": ""},
    )  # fmt: skip
    assert r.status_code == 200
    (password,) = passwords(r)
    created = user(demo_db, "13800001111")
    assert (created.role, created.village_id, created.must_change_password) == (
        "collector",
        clients.village_a,
        True,
    )
    assert passwords(admin.get("/admin/users")) == []  # shown once
    assert password not in audit_changes(demo_db)

    newcomer = demo_app.test_client()
    r = login(newcomer, "13800001111", password)
    assert r.status_code == 302 and r.location.endswith("/account/password")
    assert newcomer.get("/api/villages.geojson").status_code == 403


def test_create_a_reporter_with_a_unit(admin, clients, demo_db):
    r = admin.post_form(
        "/admin/users", {"username": "shop1", "role": "reporter", "unit": str(clients.unit_id)}
    )
    assert r.status_code == 200 and len(passwords(r)) == 1
    assert user(demo_db, "shop1").unit_id == clients.unit_id


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"username": "c_new", "role": "collector", "village": ""}, 400),  # a collector needs a village
        ({"username": "r_new", "role": "reporter", "unit": "x"}, 400),
        ({"username": "officer", "role": "officer"}, 409),  # taken
        ({"username": "new_one", "role": "boss"}, 400),
    ],
)
def test_create_refusals_keep_the_form_and_create_nothing(admin, demo_db, form, status):
    before = counts(demo_db)
    r = admin.post_form("/admin/users", form)
    assert r.status_code == status
    html = r.get_data(as_text=True)
    assert 'class="error"' in html and f'value="{form["username"]}"' in html
    assert passwords(r) == [] and counts(demo_db) == before


def test_upload_a_csv_creates_everyone_and_shows_their_passwords_once(admin, demo_db, demo_app):
    with demo_db.session() as s:
        from geoapp.store.models import Village

        village = s.scalar(select(Village.name).order_by(Village.id))
    data = f"姓名,电话,角色,村\n张三,13812345678,村采集员,{village}\n李四,13912345678,领导,\n".encode()
    r = admin.post_form("/admin/users/import", {"file": (_file(data), "采集员.csv")})
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    html = r.get_data(as_text=True)
    found = passwords(r)
    assert len(found) == 2 and "13812345678" in html and "13912345678" in html
    assert user(demo_db, "13912345678").role == "leader"
    changes = audit_changes(demo_db)
    assert all(p not in changes for p in found)
    r = login(demo_app.test_client(), "13812345678", found[0])
    assert r.location.endswith("/account/password")


def test_a_bad_upload_names_the_lines_and_creates_nobody(admin, demo_db):
    data = "姓名,电话,角色,村\n张三,13812345678,collector,没有村\n李四,123,collector,\n".encode()
    before = counts(demo_db)
    r = admin.post_form("/admin/users/import", {"file": (_file(data), "坏.csv")})
    assert r.status_code == 400
    items = re.findall(r"<li>([^<]+)</li>", r.get_data(as_text=True))
    assert (
        len(items) == 2 and "2" in items[0] and "没有村" in items[0] and "3" in items[1] and "123" in items[1]
    )
    assert counts(demo_db) == before and passwords(r) == []


def test_an_upload_without_a_file_is_refused(admin, demo_db):
    r = admin.post_form("/admin/users/import", {})
    assert r.status_code == 400 and 'class="error"' in r.get_data(as_text=True)


# -- one user ---------------------------------------------------------------------------------------


def test_the_user_page(admin, clients):
    r = admin.get(f"/admin/users/{clients.users['collector']}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "collector_a" in html and html.count('name="csrf_token"') >= 4
    assert admin.get("/admin/users/999999").status_code == 404


def test_set_role_ends_the_users_sessions(admin, clients, demo_db):
    officer = clients("officer")
    assert officer.get("/").status_code == 200
    r = admin.post_form(
        f"/admin/users/{clients.users['officer']}/role",
        {"role": "collector", "village": str(clients.village_b)},
    )
    assert r.status_code == 302 and r.location.endswith(f"/admin/users/{clients.users['officer']}")
    row = user(demo_db, "officer")
    assert (row.role, row.village_id) == ("collector", clients.village_b)
    assert "/login" in officer.get("/").location
    r = admin.post_form(f"/admin/users/{clients.users['leader']}/role", {"role": "collector", "village": ""})
    assert r.status_code == 400 and user(demo_db, "leader").role == "leader"


def test_disabling_stops_the_users_session_at_once(admin, clients, demo_db):
    collector = clients("collector")
    assert collector.get("/").status_code == 200
    user_id = clients.users["collector"]
    assert admin.post_form(f"/admin/users/{user_id}/disabled", {"disabled": "1"}).status_code == 302
    assert user(demo_db, "collector_a").disabled
    r = collector.get("/")
    assert r.status_code == 302 and "/login" in r.location
    assert collector.get("/api/villages.geojson").status_code == 401
    assert login(collector, "collector_a").status_code == 401
    assert admin.post_form(f"/admin/users/{user_id}/disabled", {"disabled": "0"}).status_code == 302
    assert login(collector, "collector_a").status_code == 302


def test_an_administrator_cannot_disable_themselves(admin, clients, demo_db):
    r = admin.post_form(f"/admin/users/{clients.users['admin']}/disabled", {"disabled": "1"})
    assert r.status_code == 409 and 'class="error"' in r.get_data(as_text=True)
    assert not user(demo_db, "admin").disabled and admin.get("/admin/users").status_code == 200


def test_reset_password_shows_a_new_one_time_password_once(admin, clients, demo_db, demo_app):
    leader = clients("leader")
    r = admin.post_form(f"/admin/users/{clients.users['leader']}/password")
    assert r.status_code == 200
    (password,) = passwords(r)
    assert "/login" in leader.get("/").location  # their session ended
    assert passwords(admin.get(f"/admin/users/{clients.users['leader']}")) == []
    assert login(demo_app.test_client(), "leader").status_code == 401
    assert login(demo_app.test_client(), "leader", password).location.endswith("/account/password")
    assert password not in audit_changes(demo_db)


def test_no_state_changes_on_get_and_posts_need_the_csrf_token(admin, clients, demo_db):
    user_id = clients.users["officer"]
    for path in ("password", "disabled", "role"):
        assert admin.get(f"/admin/users/{user_id}/{path}").status_code == 405
    before = counts(demo_db)
    r = admin.post(f"/admin/users/{user_id}/disabled", data={"disabled": "1"})  # no token
    assert r.status_code == 400 and not user(demo_db, "officer").disabled
    assert counts(demo_db) == before


# -- who may --------------------------------------------------------------------------------------


def _admin_urls(clients) -> list[tuple[str, str, dict]]:
    target = clients.users["officer"]
    return [
        ("GET", "/admin/users", {}),
        ("POST", "/admin/users", {"username": "intruder", "role": "admin"}),
        ("POST", "/admin/users/import", {}),
        ("GET", f"/admin/users/{target}", {}),
        ("POST", f"/admin/users/{target}/role", {"role": "admin"}),
        ("POST", f"/admin/users/{target}/disabled", {"disabled": "1"}),
        ("POST", f"/admin/users/{target}/password", {}),
    ]


@pytest.mark.parametrize("role", ["collector", "reporter", "officer", "leader"])
def test_other_roles_get_403_on_every_admin_url(clients, demo_db, role):
    client, headers = clients(role), clients.csrf(role)
    before = counts(demo_db)
    for method, url, data in _admin_urls(clients):
        r = client.open(url, method=method, data=data, headers=headers)
        assert r.status_code == 403, (role, method, url)
    with demo_db.session() as s:
        refused = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "permission.refused"))
    assert refused >= 7 and counts(demo_db)[0] == before[0]
    assert not user(demo_db, "officer").disabled and user(demo_db, "intruder") is None


def test_anonymous_is_sent_to_the_login_page(clients, demo_db):
    client = clients(None)
    for method, url, data in _admin_urls(clients):
        r = client.open(url, method=method, data=data)
        assert r.status_code == 302 and "/login" in r.location, (method, url)
    assert not user(demo_db, "officer").disabled


def _file(data: bytes):
    import io

    return io.BytesIO(data)
