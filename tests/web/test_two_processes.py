"""Two app instances on one database stand for two server processes (`geoapp serve
--workers 2`): whatever one knows (sessions, CSRF tokens, login failures, read budgets,
submissions' client ids, versions) the other knows too, because it lives in the database
or in the signed cookie, never in a process's memory."""

from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from geoapp.domain.identifiers import make_resident_id
from geoapp.store.models import Building, Person, Visit
from tests.conftest import PASSWORD, add_user, csrf_token, login, make_settings

COOKIE = "geoapp_session"


@pytest.fixture
def two(demo_url):
    """Two apps (two processes) on the same demo town, with the same settings."""
    from geoapp import create_app

    apps = [
        create_app(make_settings(demo_url, person_read_limit=150, person_read_village_margin=0))
        for _ in range(2)
    ]
    yield apps
    for app in apps:
        app.extensions["geoapp.db"].dispose()


def _moved(source, target_app):
    """A client of ``target_app`` holding ``source``'s cookie: the same phone, the other process."""
    client = target_app.test_client()
    cookie = source.get_cookie(COOKIE)
    client.set_cookie(COOKIE, cookie.value)
    return client


def _csrf(client) -> dict:
    import re

    html = client.get("/account/password").get_data(as_text=True)
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)}


def _house(db, village_id: int):
    with db.session() as s:
        return s.scalar(
            select(Building)
            .where(Building.village_id == village_id, Building.status == "uncollected")
            .order_by(Building.id)
            .limit(1)
        )


def _payload(house, n: int) -> dict:
    number = make_resident_id("430101", date(1985, 1, 1 + n), 20 + 2 * n)
    return {
        "client_id": uuid.uuid4().hex,
        "version": house.version,
        "households": [{"members": [{"name": f"王{n}", "id_number": number, "relation": "户主"}]}],
        "visit": {"lat": house.lat, "lon": house.lon, "accuracy": 8},
    }


def _collector(app, name: str = "ann"):
    db = app.extensions["geoapp.db"]
    with db.session() as s:
        village = s.scalar(
            select(Building.village_id).where(Building.status == "uncollected").order_by(Building.id).limit(1)
        )
    add_user(db, name, "collector", village_id=village)
    return db, village


def test_a_session_and_its_csrf_token_from_one_process_work_on_the_other(two):
    a, b = two
    _collector(a)
    on_a = a.test_client()
    assert login(on_a, "ann").status_code == 302
    headers = _csrf(on_a)  # the token of the page process A rendered
    on_b = _moved(on_a, b)
    assert on_b.get("/account/tokens").status_code == 200
    made = on_b.post("/account/tokens", data={"name": "qgis", **{"csrf_token": headers["X-CSRFToken"]}})
    assert made.status_code in (200, 302), made.get_data(as_text=True)[:300]
    # Logging out on B ends the session for A too.
    assert on_b.post("/logout", headers=headers).status_code in (200, 302)
    assert on_a.get("/account/tokens").status_code in (302, 401)


def test_login_failures_counted_by_one_process_slow_the_other(two):
    a, b = two
    _collector(a)

    def attempt(app, password):
        client = app.test_client()
        return client.post(
            "/login",
            data={"username": "ann", "password": password, "csrf_token": csrf_token(client)},
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
        ).status_code

    statuses = [attempt(app, "wrong-password-1") for app in (a, b, a, b, a)]
    assert statuses == [401] * 5
    assert attempt(b, PASSWORD) == 429  # the five failures were on both processes together
    assert attempt(a, PASSWORD) == 429


def test_a_read_budget_spent_on_one_process_is_spent_on_the_other(two):
    a, b = two
    add_user(a.extensions["geoapp.db"], "olga", "officer")
    on_a = a.test_client()
    login(on_a, "olga")
    on_b = _moved(on_a, b)
    assert on_a.get("/api/people?per_page=100").status_code == 200
    assert on_b.get("/api/people?per_page=100&page=2").status_code == 429  # 200 of 150
    assert on_b.get("/api/people?per_page=50&page=2").status_code == 200  # exactly 150
    assert on_a.get("/api/people?per_page=1&page=4").status_code == 429


def test_a_submission_retried_on_the_other_process_is_replayed_not_stored_twice(two):
    a, b = two
    db, village = _collector(a)
    on_a = a.test_client()
    login(on_a, "ann")
    headers = _csrf(on_a)
    on_b = _moved(on_a, b)
    house = _house(db, village)
    payload = _payload(house, 0)
    first = on_a.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = on_b.post(f"/api/buildings/{house.id}/submission", json=payload, headers=headers)
    assert again.status_code == 200 and again.get_json() == {**first.get_json(), "replayed": True}
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Visit).where(Visit.client_id == payload["client_id"]))
            == 1
        )
        assert s.scalar(select(func.count()).select_from(Person).where(Person.building_id == house.id)) == 1


def test_an_edit_on_one_process_makes_the_others_stale_version_a_conflict(two):
    a, b = two
    db, village = _collector(a)
    add_user(db, "olga", "officer")
    officer = a.test_client()
    login(officer, "olga")
    collector = b.test_client()
    login(collector, "ann")
    house = _house(db, village)
    ok = officer.post(
        f"/api/buildings/{house.id}/submission", json=_payload(house, 0), headers=_csrf(officer)
    )
    assert ok.status_code == 201
    stale = collector.post(
        f"/api/buildings/{house.id}/submission", json=_payload(house, 1), headers=_csrf(collector)
    )
    assert stale.status_code == 409
    with db.session() as s:
        assert s.scalars(select(Person.name).where(Person.building_id == house.id)).all() == ["王0"]


def test_the_same_submission_sent_to_both_processes_at_once_is_stored_once(two):
    """A phone that timed out resends while the first request is still being stored, and the
    two land on different processes: one is stored (201), the other answered as its replay."""
    a, b = two
    db, village = _collector(a)
    on_a = a.test_client()
    login(on_a, "ann")
    headers = _csrf(on_a)
    on_b = _moved(on_a, b)
    with db.session() as s:
        houses = s.scalars(
            select(Building)
            .where(Building.village_id == village, Building.status == "uncollected")
            .order_by(Building.id)
            .limit(5)
        ).all()
    for n, house in enumerate(houses):
        payload = _payload(house, n)
        start = threading.Barrier(2)
        answers: dict[str, object] = {}

        def send(name, client, payload=payload, house=house, start=start, answers=answers):
            start.wait()
            answers[name] = client.post(
                f"/api/buildings/{house.id}/submission", json=payload, headers=headers
            )

        threads = [threading.Thread(target=send, args=(k, c)) for k, c in (("a", on_a), ("b", on_b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in answers.values())
        assert statuses == [200, 201], [r.get_json() for r in answers.values()]
        with db.session() as s:
            assert (
                s.scalar(
                    select(func.count()).select_from(Visit).where(Visit.client_id == payload["client_id"])
                )
                == 1
            )
