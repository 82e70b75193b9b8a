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


def _login_from(app, addr: str, username: str, password: str = PASSWORD):
    client = app.test_client()
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": addr},
    )


def _age_seconds(db, seconds: float) -> None:
    """Move every counted failure back, as if that much time had passed."""
    with db.write() as s:
        for row in s.scalars(select(RateEvent)):
            row.at -= timedelta(seconds=seconds)


def test_failures_from_other_addresses_never_lock_the_owner_out(app_db):
    app, db = app_db
    # One attacker guessing ann's password from one address is slowed after five failures ...
    statuses = [_login_from(app, "10.9.9.9", "ann", f"guess-{i}").status_code for i in range(12)]
    assert statuses == [401] * 5 + [429] * 7
    # ... and many addresses, a few guesses each, are not slowed at all.
    for i in range(20):
        for _ in range(3):
            assert _login_from(app, f"10.8.0.{i}", "ann", "wrong-password-1").status_code == 401
    # None of it touches the owner at their own address: the right password works at once.
    assert _login_from(app, "10.0.0.1", "ann").status_code == 302
    assert _events(db, "login.failure") == 65 and _events(db, "login.locked") == 7


def test_failures_of_one_account_from_one_address_slow_that_pair_more_and_more(app_db):
    app, db = app_db
    add_user(db, "bob", "officer")
    for _ in range(5):
        assert _login_from(app, "10.0.0.7", "ann", "wrong-password-1").status_code == 401
    waiting = _login_from(app, "10.0.0.7", "ann")  # even the right password waits its turn
    assert waiting.status_code == 429 and 1 <= int(waiting.headers["Retry-After"]) <= 2
    assert "登录失败次数过多" in waiting.text and "秒" in waiting.text  # in Chinese, with the wait
    assert 'name="password"' in waiting.text  # the login form again, to try after the wait
    # Only that pair waits: another account from the same address, the account from elsewhere.
    assert _login_from(app, "10.0.0.7", "bob").status_code == 302
    assert _login_from(app, "10.0.0.8", "ann").status_code == 302
    # Each further failure from the pair doubles the wait, up to the cap (15 minutes); all of it
    # within the hour that failures are remembered.
    waits = []
    for _ in range(11):
        _age_seconds(db, int(_login_from(app, "10.0.0.7", "ann").headers.get("Retry-After", 0)))
        assert _login_from(app, "10.0.0.7", "ann", "wrong-password-1").status_code == 401
        waits.append(int(_login_from(app, "10.0.0.7", "ann").headers["Retry-After"]))
    expected = [4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert all(e - 1 <= w <= e for w, e in zip(waits, expected, strict=True)), str(waits)
    with db.session() as s:
        keys = {k for k in s.scalars(select(AuditEvent.changes).where(AuditEvent.action == "login.locked"))}
    assert all("login:pair:ann|10.0.0.7" in k for k in keys)
    # The owner's right password after the wait lets them in and forgives the pair's failures.
    _age_seconds(db, 900)
    assert _login_from(app, "10.0.0.7", "ann").status_code == 302
    assert _login_from(app, "10.0.0.7", "ann", "wrong-password-1").status_code == 401


def test_many_failures_from_one_address_over_many_accounts_slow_that_address(demo_url):
    from geoapp import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(demo_url, login_addr_free_failures=12))
    db = app.extensions["geoapp.db"]
    add_user(db, "bob", "officer")
    for i in range(11):  # someone behind the office's one address tries user names
        assert _login_from(app, "10.0.0.5", f"guess{i}", "wrong-password-1").status_code == 401
    # The office's people still log in: a few mistakes behind one NAT lock nobody out.
    assert _login_from(app, "10.0.0.5", "bob").status_code == 302
    assert _login_from(app, "10.0.0.5", "guess99", "wrong-password-1").status_code == 401  # the 12th
    refused = _login_from(app, "10.0.0.5", "bob")  # now that address waits, whoever it is
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 2
    assert _login_from(app, "10.0.0.6", "bob").status_code == 302  # other addresses do not
    db.dispose()


def test_unknown_disabled_and_real_names_cost_the_same_password_hash(app_db, monkeypatch):
    """The time a refused login takes must not tell which user names exist (counted, not timed)."""
    from argon2 import PasswordHasher

    from geoapp.services.accounts.users import set_disabled

    app, db = app_db
    add_user(db, "dora", "officer")
    with db.write() as s:
        set_disabled(s, "dora", True)
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, hash, password):
        verified.append(hash.split("$")[3])  # the parameters: m=…,t=…,p=…
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    names = {"ann": "wrong-password-1", "nobody": "wrong-password-1", "dora": PASSWORD, "a\x00b": "x",
             "x" * 500: "x"}  # fmt: skip
    parameters = set()
    for i, (name, password) in enumerate(names.items()):
        verified.clear()
        assert _login_from(app, f"10.1.0.{i}", name, password).status_code == 401, name
        assert len(verified) == 1, (name, verified)
        parameters.add(verified[0])
    with db.session() as s:
        real = s.scalar(select(User.password_hash).where(User.username == "ann")).split("$")[3]
    assert parameters == {real}  # the same argon2 work as for the real account


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


def _new_token(clients, who: str, **form) -> str:
    page = clients(who).post("/account/tokens", data={"name": "script", **form}, headers=clients.csrf(who))
    assert page.status_code == 200, page.text[:300]
    return page.text.split('id="new-token">')[1].split("<")[0]


def _revocations(db) -> list[tuple[str, dict]]:
    import json

    with db.session() as s:
        rows = s.execute(
            select(AuditEvent.actor, AuditEvent.changes).where(AuditEvent.action == "token.revoke")
        )
        return [(actor, json.loads(changes or "{}")) for actor, changes in rows]


def test_disabling_revokes_tokens_so_enabling_again_does_not_revive_them(clients, demo_db):
    raw = _new_token(clients, "officer")
    bearer = {"Authorization": f"Bearer {raw}"}
    program = clients.app.test_client()
    assert program.get("/api/villages.geojson", headers=bearer).status_code == 200
    admin, headers = clients("admin"), clients.csrf("admin")
    officer = clients.users["officer"]
    assert (
        admin.post(f"/admin/users/{officer}/disabled", data={"disabled": "1"}, headers=headers).status_code
        == 302
    )
    assert (
        admin.post(f"/admin/users/{officer}/disabled", data={"disabled": "0"}, headers=headers).status_code
        == 302
    )
    assert program.get("/api/villages.geojson", headers=bearer).status_code == 401
    assert _revocations(demo_db) == [("admin", {"user": "officer", "prefix": raw[:10], "reason": "disabled"})]


def test_a_password_reset_revokes_the_users_tokens(clients, demo_db):
    raws = [_new_token(clients, "officer"), _new_token(clients, "officer", days="7")]
    program = clients.app.test_client()
    for raw in raws:
        assert (
            program.get("/api/villages.geojson", headers={"Authorization": f"Bearer {raw}"}).status_code
            == 200
        )
    admin, headers = clients("admin"), clients.csrf("admin")
    officer = clients.users["officer"]
    assert "<td>2</td>" in admin.get(f"/admin/users/{officer}").text  # two live tokens
    assert admin.post(f"/admin/users/{officer}/password", headers=headers).status_code == 200
    for raw in raws:
        assert (
            program.get("/api/villages.geojson", headers={"Authorization": f"Bearer {raw}"}).status_code
            == 401
        )
    assert sorted(c["prefix"] for _, c in _revocations(demo_db)) == sorted(raw[:10] for raw in raws)
    assert {(actor, c["reason"]) for actor, c in _revocations(demo_db)} == {("admin", "password_reset")}
    assert "<td>0</td>" in admin.get(f"/admin/users/{officer}").text


def test_tokens_expire_after_the_lifetime_their_owner_picked(clients, demo_db):
    default, week = _new_token(clients, "collector"), _new_token(clients, "collector", days="7")
    page = clients("collector").get("/account/tokens").text
    assert all(f'<option value="{d}"' in page for d in (7, 30, 90)) and "有效期" in page
    with demo_db.session() as s:
        lifetimes = {
            t.prefix: t.expires_at - t.created_at
            for t in s.scalars(select(ApiToken))
            if t.prefix[:10] in page
        }
    assert lifetimes == {default[:10]: timedelta(days=90), week[:10]: timedelta(days=7)}
    with demo_db.session() as s:
        expiry = s.scalar(select(ApiToken.expires_at).where(ApiToken.token_hash == digest(week)))
    shown = (expiry + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert shown in page and "北京时间" in page  # the page shows when each token expires, in Beijing time
    program = clients.app.test_client()
    with demo_db.write() as s:  # a week passes
        s.scalar(select(ApiToken).where(ApiToken.token_hash == digest(week))).expires_at -= timedelta(days=7)
    refused = program.get("/api/villages.geojson", headers={"Authorization": f"Bearer {week}"})
    assert refused.status_code == 401
    assert "过期" in refused.get_json()["message"] and week[:10] in refused.get_json()["message"]
    assert (
        program.get("/api/villages.geojson", headers={"Authorization": f"Bearer {default}"}).status_code
        == 200
    )
    assert "已过期" in clients("collector").get("/account/tokens").text


def test_bulk_reading_of_people_is_throttled(demo_url):
    from geoapp import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(demo_url, person_read_limit=150, person_read_village_margin=0))
    db = app.extensions["geoapp.db"]
    add_user(db, "ann", "officer")
    client = app.test_client()
    login(client, "ann")
    assert client.get("/api/people?per_page=100").status_code == 200
    refused = client.get("/api/people?per_page=100&page=2")  # 200 would pass the 150 allowed
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "50" in refused.get_json()["message"]  # what is left
    assert client.get("/api/people?per_page=50&page=3").status_code == 200  # exactly 150
    assert client.get("/api/people?per_page=1&page=4").status_code == 429
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
