"""Logins, sessions, API tokens, CSRF and throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from geoapp.services.accounts.sessions import digest
from geoapp.store.models import ApiToken, AuditEvent, RateEvent, User, UserSession
from tests.conftest import PASSWORD, add_user, csrf_token, login


@pytest.fixture
def app_db(demo_app, demo_db):
    add_user(demo_db, "ann", "officer")
    return demo_app, demo_db


def _cookie(client):
    cookie = client.get_cookie("geoapp_session")
    return cookie.value if cookie else None


def _age(db, model, column: str, *, minutes: int) -> None:
    """Move timestamps back, as if time had passed."""
    with db.write() as s:
        for row in s.scalars(select(model)):
            setattr(row, column, getattr(row, column) - timedelta(minutes=minutes))


def _events(db, action):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_login_sets_a_new_session_and_logout_ends_it(app_db):
    app, db = app_db
    client = app.test_client()
    client.get("/login")
    before = _cookie(client)
    assert login(client, "ann").status_code == 302
    after = _cookie(client)
    assert after and after != before
    cookie = client.get_cookie("geoapp_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert client.get("/api/villages.geojson").status_code == 200
    stolen = after
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client)})
    replay = app.test_client()
    replay.set_cookie("geoapp_session", stolen)
    assert replay.get("/api/villages.geojson").status_code == 401
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None))) == 0
        )


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app_db):
    app, db = app_db
    client = app.test_client()
    unknown = login(client, "nobody", "whatever")
    wrong = login(client, "ann", "wrong-password-1")
    assert unknown.status_code == wrong.status_code == 401
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    assert unknown.get_data(as_text=True).count("用户名或密码错误") == wrong.get_data(as_text=True).count(
        "用户名或密码错误"
    )
    assert _events(db, "login.failure") == 2


def test_five_failures_lock_the_account_for_fifteen_minutes(app_db):
    app, db = app_db
    client = app.test_client()
    for _ in range(5):
        assert login(client, "ann", "wrong-password-1").status_code == 401
    locked = login(client, "ann")  # even the right password
    assert locked.status_code == 429
    assert 800 <= int(locked.headers["Retry-After"]) <= 900
    assert _events(db, "login.locked") == 1
    _age(db, RateEvent, "at", minutes=16)  # the window passes
    assert login(client, "ann").status_code == 302


def test_failures_from_one_address_lock_that_address_for_every_account(app_db):
    app, db = app_db
    add_user(db, "bob", "officer")
    client = app.test_client()
    for i in range(5):
        login(client, f"guess{i}", "wrong-password-1")
    assert login(client, "bob").status_code == 429
    elsewhere = app.test_client()
    r = elsewhere.post(
        "/login",
        data={"username": "bob", "password": PASSWORD, "csrf_token": csrf_token(elsewhere)},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert r.status_code == 302


def test_idle_and_absolute_timeouts(app_db):
    app, db = app_db
    client = app.test_client()
    login(client, "ann")
    assert client.get("/api/villages.geojson").status_code == 200
    _age(db, UserSession, "last_seen_at", minutes=121)
    assert client.get("/api/villages.geojson").status_code == 401
    login(client, "ann")
    _age(db, UserSession, "created_at", minutes=13 * 60)
    assert client.get("/api/villages.geojson").status_code == 401
    assert client.get("/").status_code == 302


def test_disabling_a_user_ends_their_sessions_at_once(app_db):
    from geoapp.services.accounts.users import set_disabled

    app, db = app_db
    client = app.test_client()
    login(client, "ann")
    assert client.get("/").status_code == 200
    with db.write() as s:
        set_disabled(s, "ann", True)
    page = client.get("/")
    assert page.status_code == 302 and "/login" in page.location
    assert login(client, "ann").status_code == 401


def test_a_one_time_password_must_be_changed_first(app_db):
    from geoapp.services.accounts.passwords import make_hasher
    from geoapp.services.accounts.users import create_user

    app, db = app_db
    with db.write() as s:
        created = create_user(s, make_hasher(1, 8192), username="newbie", role="officer")
    client = app.test_client()
    r = login(client, "newbie", created.password)
    assert r.status_code == 302 and r.location.endswith("/account/password")
    assert client.get("/").status_code == 302
    assert client.get("/api/villages.geojson").status_code == 403
    token = csrf_token(client)
    short = client.post(
        "/account/password",
        data={
            "old_password": created.password,
            "new_password": "short",
            "confirm_password": "short",
            "csrf_token": token,
        },
    )
    assert short.status_code == 400
    new = "Brand-new-pass-9"
    done = client.post(
        "/account/password",
        data={
            "old_password": created.password,
            "new_password": new,
            "confirm_password": new,
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert client.get("/api/villages.geojson").status_code == 200
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == "newbie"))
        assert not user.must_change_password and user.password_hash.startswith("$argon2id$")
        changes = " ".join(e or "" for e in s.scalars(select(AuditEvent.changes)))
        assert created.password not in changes and new not in changes


def test_state_changes_need_a_csrf_token_and_get_changes_nothing(app_db, demo_db):
    app, _db = app_db
    client = app.test_client()
    login(client, "ann")
    building = client.get("/api/buildings.geojson").get_json()["features"][0]["id"]
    version = client.get(f"/api/buildings/{building}").get_json()["version"]
    no_token = client.patch(f"/api/buildings/{building}", json={"floors": 2, "version": version})
    assert no_token.status_code == 400 and no_token.get_json()["error"] == "CSRFError"
    assert client.get("/logout").status_code == 405  # logging out is a POST
    assert client.get("/api/villages.geojson").status_code == 200


def test_api_tokens_carry_the_users_role_and_scope(clients, demo_db):
    collector = clients("collector")
    page = collector.post("/account/tokens", data={"name": "QGIS"}, headers=clients.csrf("collector"))
    raw = page.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("gat_")
    with demo_db.session() as s:
        stored = s.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
        assert stored is not None and raw not in (stored.prefix + stored.token_hash)
    program = clients.app.test_client()  # no cookie: the token alone
    bearer = {"Authorization": f"Bearer {raw}"}
    houses = program.get("/api/buildings.geojson", headers=bearer).get_json()["features"]
    with demo_db.session() as s:
        from geoapp.store.models import Building

        villages = set(
            s.scalars(select(Building.village_id).where(Building.id.in_([f["id"] for f in houses])))
        )
    assert villages == {clients.village_a}
    assert program.get(f"/api/buildings/{clients.other['building']}", headers=bearer).status_code == 404
    # Programs need no CSRF token; the token's role still applies.
    version = program.get(f"/api/buildings/{clients.own['building']}", headers=bearer).get_json()["version"]
    edit = program.patch(
        f"/api/buildings/{clients.own['building']}", json={"floors": 2, "version": version}, headers=bearer
    )
    assert edit.status_code == 200
    assert program.get("/people", headers=bearer).status_code == 200
    # Revoked: refused.
    collector.post(f"/account/tokens/{stored.id}/revoke", headers=clients.csrf("collector"))
    assert program.get("/api/villages.geojson", headers=bearer).status_code == 401
    assert (
        program.get("/api/villages.geojson", headers={"Authorization": "Bearer gat_forged"}).status_code
        == 401
    )


def test_a_disabled_users_token_stops_working(clients, demo_db):
    from geoapp.services.accounts.users import set_disabled

    page = clients("officer").post(
        "/account/tokens", data={"name": "script"}, headers=clients.csrf("officer")
    )
    raw = page.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    bearer = {"Authorization": f"Bearer {raw}"}
    program = clients.app.test_client()
    assert program.get("/api/villages.geojson", headers=bearer).status_code == 200
    with demo_db.write() as s:
        set_disabled(s, "officer", True)
    assert program.get("/api/villages.geojson", headers=bearer).status_code == 401


def test_bulk_reading_of_people_is_throttled(demo_url):
    from geoapp import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(demo_url, person_read_limit=120))
    db = app.extensions["geoapp.db"]
    add_user(db, "ann", "officer")
    client = app.test_client()
    login(client, "ann")
    assert client.get("/api/people?per_page=100").status_code == 200
    assert client.get("/api/people?per_page=100&page=2").status_code == 200  # 200 listed ≥ 120
    refused = client.get("/api/people?per_page=10&page=3")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get("/people").status_code == 429
    db.dispose()


def test_security_headers_on_pages_json_and_errors(clients):
    client = clients("officer")
    for url in ("/", "/api/villages.geojson", "/api/buildings/0", "/login"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_strict_transport_security_over_https_only(clients):
    client = clients("officer")
    for url in ("/", "/login", "/api/villages.geojson", "/static/css/geoapp.css", "/no-such-page"):
        with client.get(url, base_url="https://geoapp.yuping.local") as secure:
            assert secure.headers["Strict-Transport-Security"] == "max-age=31536000", url
        with client.get(url) as plain:
            assert "Strict-Transport-Security" not in plain.headers, url


def test_login_redirects_only_to_local_pages(app_db):
    app, _db = app_db
    client = app.test_client()
    token = csrf_token(client)
    r = client.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": token, "next": "https://evil.example/"},
    )
    assert r.status_code == 302 and r.location == "/"
