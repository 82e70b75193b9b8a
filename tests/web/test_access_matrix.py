"""The access matrix, generated from the app's route table.

Every endpoint is listed here once with who may call it and which objects it
reaches. The test calls each endpoint as every role, on an object in the caller's
own village/unit and on one in another village, and anonymously. An endpoint in
the app that is missing here (or has no @access declaration) fails the suite.
"""

from __future__ import annotations

import io
import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from geoapp.domain.identifiers import make_resident_id
from geoapp.services.gis_io.importer.people import stage_upload
from geoapp.store.models import ApiToken, Building, Unit
from geoapp.web.access import policy_for
from tests.web.blocks_fixtures import MATRIX_BODIES, matrix_body
from tests.web.plates_fixtures import numbering_body, plate_streets

ROLES = ("collector", "reporter", "officer", "leader", "admin")
ALL = frozenset(ROLES)
PEOPLE = frozenset({"collector", "reporter", "officer", "admin"})
EDIT = frozenset({"collector", "reporter", "officer", "admin"})
HOUSE_EDIT = frozenset({"collector", "officer", "admin"})  # a reporter changes their unit, not the house
DECIDE = frozenset({"collector", "officer", "admin"})  # a move out of a village: its collector or the station
TOWN = frozenset({"officer", "leader", "admin"})
STAFF = frozenset({"officer", "admin"})
ADMIN = frozenset({"admin"})
PUBLIC = None
_serial = itertools.count()


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # {village} {building} {person} {unit} {token} {user} filled per call
    roles: frozenset[str] | None  # None: public
    scoped: bool = False  # objects outside the caller's village/unit are "not found"
    body: dict | str | None = None  # "submission": built per call


# Written down once. Adding an endpoint to the app without adding it here fails.
EXPECTED: dict[str, Case] = {
    "static": Case("GET", "/static/css/geoapp.css", PUBLIC),
    "vendor.asset": Case("GET", "/vendor/leaflet/dist/leaflet.css", PUBLIC),
    "offline.service_worker": Case("GET", "/sw.js", PUBLIC),
    "offline.manifest": Case("GET", "/manifest.webmanifest", PUBLIC),
    "tiles.base_tile": Case("GET", "/tiles/base/13/6672/3477", ALL),
    "auth.login": Case("GET", "/login", PUBLIC),
    "auth.logout": Case("POST", "/logout", ALL),
    "auth.password": Case("GET", "/account/password", ALL),
    "auth.tokens": Case("GET", "/account/tokens", ALL),
    "auth.revoke_token": Case("POST", "/account/tokens/{token}/revoke", ALL, scoped=True),
    "pages.town": Case("GET", "/", ALL),
    "pages.people": Case("GET", "/people", PEOPLE),
    "pages.review": Case("GET", "/review", STAFF),
    "api.villages": Case("GET", "/api/villages.geojson", ALL),
    "api.streets": Case("GET", "/api/streets.geojson", ALL),
    "api.buildings": Case("GET", "/api/buildings.geojson?village={village}", ALL, scoped=True),
    "api.building_bins": Case("GET", "/api/buildings/bins.geojson?zoom=14", ALL),
    "api.village_progress": Case("GET", "/api/villages/progress.geojson", ALL),
    "api.building": Case("GET", "/api/buildings/{building}", ALL, scoped=True),
    "api.update_building": Case(
        "PATCH", "/api/buildings/{building}", HOUSE_EDIT, scoped=True, body={"floors": 3}
    ),
    "api.people_list": Case("GET", "/api/people?village={village}", PEOPLE, scoped=True),
    "api.person": Case("GET", "/api/people/{person}", PEOPLE, scoped=True),
    # A collector reveals the ID number of a person in a returned house of their village.
    "api.reveal": Case(
        "POST", "/api/people/{person}/reveal", STAFF | {"collector"}, scoped=True, body="reveal"
    ),
    "api.unit": Case("GET", "/api/units/{unit}", ALL, scoped=True),
    "units.layer": Case("GET", "/api/units.geojson?kind=shop&village={village}", ALL, scoped=True),
    "units.page": Case("GET", "/units?village={village}", STAFF),
    "units.export": Case("GET", "/units/export.csv?village={village}", STAFF),
    "units.items": Case("GET", "/api/units?village={village}", STAFF),
    "units.create": Case("POST", "/api/units", STAFF, body={"name": "矩阵新单位", "kind": "shop"}),
    "units.update": Case("PATCH", "/api/units/{unit}", STAFF, scoped=True, body={"staff": 3}),
    "units.place": Case("POST", "/api/units/{unit}/place", STAFF, scoped=True, body="place"),
    # Before the submissions below, which replace the people of these houses.
    "api.moves_list": Case("GET", "/api/moves", EDIT),
    "api.move_decision": Case("POST", "/api/moves/{move}/decision", DECIDE, scoped=True, body="decision"),
    "api.submit_house": Case(
        "POST", "/api/buildings/{building}/submission", EDIT, scoped=True, body="submission"
    ),
    "api.review_house": Case("POST", "/api/buildings/{building}/review", STAFF, scoped=True, body="review"),
    "review.info": Case("GET", "/api/buildings/{building}/review", STAFF),
    "review.queue": Case("GET", "/api/review/queue?q=1", STAFF),
    "review.bulk": Case("POST", "/api/review/bulk", STAFF, body="bulk"),
    "review.draw_sample": Case("POST", "/api/revisits/samples", STAFF, body="sample"),
    "review.revisits": Case("GET", "/api/revisits", STAFF),
    "review.revisit_result": Case("POST", "/api/revisits/{revisit}/result", STAFF, body="revisit"),
    "api.progress": Case("GET", "/api/progress", ALL),
    "api.returned": Case("GET", "/api/returned", EDIT),
    "api.next_houses": Case("GET", "/api/next?lon=113.35&lat=27.1", EDIT),
    "audit.page": Case("GET", "/audit", STAFF),
    "audit.history": Case("GET", "/api/audit/history?object_type=building&object_id={building}", STAFF),
    "exports.download": Case("GET", "/export/buildings.geojson", ALL),
    "admin.users": Case("GET", "/admin/users", ADMIN),
    "admin.create_user": Case("POST", "/admin/users", ADMIN, body="new_user"),
    "admin.import_users": Case("POST", "/admin/users/import", ADMIN, body="user_csv"),
    "admin.user": Case("GET", "/admin/users/{user}", ADMIN),
    "admin.set_role": Case("POST", "/admin/users/{user}/role", ADMIN, body={"role": "officer"}),
    "admin.set_disabled": Case("POST", "/admin/users/{user}/disabled", ADMIN, body={"disabled": "0"}),
    "admin.reset_password": Case("POST", "/admin/users/{user}/password", ADMIN, body={}),
    "admin.campaign": Case("GET", "/admin/campaign", ADMIN),
    "admin.update_campaign": Case("POST", "/admin/campaign", ADMIN, body={"penalty_points": "50"}),
    # Collectors get their own village's row only (tests/web/test_coverage_api.py).
    "reports.coverage_api": Case("GET", "/api/coverage?kind=houses&forecast=1", TOWN | {"collector"}),
    "reports.coverage_xlsx": Case("GET", "/reports/coverage.xlsx?as_of=2016-05-25", TOWN),
    "reports.coverage_print": Case("GET", "/reports/coverage?as_of=2016-05-25", TOWN),
    "addresses.house": Case("GET", "/h/{building}", ALL, scoped=True),
    "addresses.page": Case("GET", "/addresses", STAFF | {"collector"}),
    "addresses.numbering_page": Case("GET", "/addresses/streets/{street}/numbering", ADMIN),
    "addresses.confirm_numbering": Case(
        "POST", "/addresses/streets/{street}/numbering", ADMIN, body="numbering"
    ),
    "addresses.numbering_preview": Case("GET", "/api/streets/{street}/numbering", ADMIN),
    "addresses.numbering_confirm": Case("POST", "/api/streets/{street}/numbering", ADMIN, body="numbering"),
    "addresses.street_plates": Case("GET", "/plates/street/{street}.pdf", STAFF | {"collector"}, scoped=True),
    "addresses.village_plates": Case(
        "GET", "/plates/village/{village}.pdf", STAFF | {"collector"}, scoped=True
    ),
    # The leaders' page and its data (tests/web/test_leaders.py): collectors, their village only.
    "leaders.page": Case("GET", "/leaders?as_of=2016-05-25", TOWN),
    "leaders.progress_api": Case(
        "GET", "/api/coverage/progress?kind=houses&village={village}", TOWN | {"collector"}, scoped=True
    ),
    "leaders.heat_api": Case("GET", "/api/heat?status=uncollected", TOWN | {"collector"}),
    "entry.page": Case("GET", "/entry", STAFF),
    "entry.upload": Case("POST", "/entry", STAFF, body="entry_csv"),  # one invalid row: stores nothing
    "entry.confirm": Case("POST", "/entry/confirm", STAFF, body="entry_token"),
    # OGC API – Features (tests/web/test_ogc.py): scoped like the map's layers.
    "ogc.landing": Case("GET", "/ogc?f=json", ALL),
    "ogc.conformance": Case("GET", "/ogc/conformance?f=html", ALL),
    "ogc.collections": Case("GET", "/ogc/collections", ALL),
    "ogc.collection": Case("GET", "/ogc/collections/buildings", ALL),
    "ogc.items": Case("GET", "/ogc/collections/buildings/items?limit=5&f=html", ALL),
    "ogc.item": Case("GET", "/ogc/collections/buildings/items/{building}", ALL, scoped=True),
    "openapi.document": Case("GET", "/api/openapi.json", ALL),
    # Street-front blocks (tests/web/test_blocks.py); bodies from tests/web/blocks_fixtures.py.
    "blocks.generate": Case("POST", "/api/blocks/generate", ADMIN, body={"streets": [2]}),
    "blocks.generate_form": Case("POST", "/blocks/generate", ADMIN, body={"street": "3"}),
    "blocks.layer": Case("GET", "/api/blocks.geojson", STAFF),
    "blocks.page": Case("GET", "/blocks", STAFF),
    "blocks.mine": Case("GET", "/my-blocks", frozenset({"officer"})),
    "blocks.create": Case("POST", "/api/blocks", STAFF, body="block_create"),
    "blocks.reshape": Case("PUT", "/api/blocks/{block}/shape", STAFF, body="block_shape"),
    "blocks.split": Case("POST", "/api/blocks/{block}/split", STAFF, body="block_split"),
    "blocks.merge": Case("POST", "/api/blocks/{block}/merge", STAFF, body="block_merge"),
    "blocks.assign": Case("POST", "/api/blocks/{block}/assignment", ADMIN, body="block_assign"),
    "blocks.assign_many": Case("POST", "/api/blocks/assignment", ADMIN, body="blocks_assign"),
    "blocks.assign_form": Case("POST", "/blocks/assign", ADMIN, body="blocks_form"),
    "blocks.history": Case("GET", "/api/blocks/{block}/assignments", STAFF, body="block_assign"),
    "blocks.plates": Case("GET", "/plates/block/{block}.pdf", STAFF, body="block_assign"),
    "blocks.assign_village": Case("POST", "/api/villages/{village}/assignment", ADMIN, body="village_assign"),
}

FORM_ENDPOINTS = {
    "admin.create_user",
    "admin.import_users",
    "admin.set_role",
    "admin.set_disabled",
    "admin.reset_password",
    "admin.update_campaign",
    "addresses.confirm_numbering",
    "entry.upload",
    "entry.confirm",
    "blocks.generate_form",
    "blocks.assign_form",
}


def form_body(kind, serial: int):
    """Form data for admin pages (a fresh name per call)."""
    if kind == "new_user":
        return {"username": f"matrix{serial}", "role": "officer"}
    if kind == "user_csv":
        csv = f"姓名,电话,角色,村\n测试{serial},139{serial:08d},officer,\n".encode()
        return {"file": (io.BytesIO(csv), "users.csv")}
    if kind == "numbering" or kind in MATRIX_BODIES:
        return {}  # filled per call: the street's preview, the blocks' bodies
    if kind == "entry_csv":
        return {"file": (io.BytesIO("姓名,身份证号,地址\n矩阵,1,无此地址\n".encode()), "entry.csv")}
    if kind == "entry_token":
        return {}  # filled per call: an upload of the caller's
    return dict(kind)


def submission(version: int, role: str | None, unit: int) -> dict:
    """A valid one-person submission with a fresh client id and ID number (a reporter: their unit)."""
    if role == "reporter":
        return {
            "client_id": uuid.uuid4().hex,
            "version": version,
            "units": [{"id": unit, "name": "矩阵单位"}],
        }
    number = make_resident_id("430101", date(1990, 1, 1) + timedelta(days=next(_serial)), 11)
    member = {"name": "矩阵测试", "id_number": number, "relation": "户主", "residence_type": "registered"}
    return {"client_id": uuid.uuid4().hex, "version": version, "households": [{"members": [member]}]}


def pending_move(database, person_id: int) -> int:
    """A fresh request to move this person to another house of their village."""
    from geoapp.store.models import Person, PersonMove

    with database.write() as s:
        person = s.get(Person, person_id)
        village = s.get(Building, person.building_id).village_id
        target = s.scalar(
            select(Building.id)
            .where(Building.village_id == village, Building.id != person.building_id)
            .limit(1)
        )
        move = PersonMove(person_id=person.id, from_building_id=person.building_id, to_building_id=target,
                          at=person.created_at, status="pending")  # fmt: skip
        s.add(move)
        s.flush()
        return move.id


def revisit_task(database, building_id: int) -> int:
    """A fresh pending re-visit of this house (of a sample of one)."""
    from geoapp.store.models import Revisit, RevisitSample

    with database.write() as s:
        sample = RevisitSample(seed=1, size=1, population=1, drawn_at=datetime(2016, 6, 8))
        s.add(sample)
        s.flush()
        task = Revisit(sample_id=sample.id, building_id=building_id, status="pending")
        s.add(task)
        s.flush()
        return task.id


def test_every_endpoint_declares_its_access_and_is_in_the_matrix(demo_app):
    endpoints = {rule.endpoint for rule in demo_app.url_map.iter_rules()}
    undeclared = sorted(e for e in endpoints if policy_for(demo_app, e) is None)
    assert undeclared == [], f"endpoints without @access: {undeclared}"
    assert sorted(endpoints - set(EXPECTED)) == [], "endpoints missing from the access matrix"
    assert sorted(set(EXPECTED) - endpoints) == [], "matrix lists endpoints the app does not have"


def _declared_roles(app, endpoint):
    policy = policy_for(app, endpoint)
    return None if policy.public else {r.value for r in policy.roles}


def test_matrix_matches_the_declarations(demo_app):
    for endpoint, case in EXPECTED.items():
        assert _declared_roles(demo_app, endpoint) == (None if case.roles is None else set(case.roles)), (
            endpoint
        )


def _fill(case: Case, objects: dict) -> str:
    return case.path.format(**objects)


def _call(client, case: Case, url: str, headers: dict, form=None):
    kwargs = {"headers": headers}
    if form is not None:
        kwargs["data"] = form
    elif case.body is not None:
        kwargs["json"] = case.body
    return getattr(client, case.method.lower())(url, **kwargs)


def _expected(role: str | None, case: Case, own: bool, path: str) -> str:
    if case.roles is None:
        return "ok"
    if role is None:
        return "login"
    if role not in case.roles:
        return "forbidden"
    if case.scoped and not own and role in ("collector", "reporter"):
        return "not_found"
    if case.scoped and path.startswith("/account/tokens") and not own and role != "admin":
        return "not_found"
    return "ok"


def _outcome(response) -> str:
    if response.status_code == 401 or (response.status_code == 302 and "/login" in response.location):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "not_found"
    if response.status_code < 400:
        return "ok"
    return f"error {response.status_code}: {response.get_data(as_text=True)[:200]}"


def test_access_matrix(clients, demo_db):
    """endpoint × role × own/other village or unit, and anonymous."""
    tokens = {}
    for who in ROLES:  # each role owns a token; "other" is the admin's
        clients(who).post("/account/tokens", data={"name": "matrix"}, headers=clients.csrf(who))
    with demo_db.session() as s:
        for who in ROLES:
            tokens[who] = s.scalar(
                select(ApiToken.id).where(ApiToken.user_id == clients.users[who]).order_by(ApiToken.id.desc())
            )
    from tests.conftest import add_user

    target_user = add_user(demo_db, "matrix_target", "leader")  # admin pages act on this account
    streets = plate_streets(demo_db, clients.village_a, clients.village_b)  # in village A, only in B
    failures, cases = [], 0
    for endpoint, case in EXPECTED.items():
        if endpoint == "auth.logout":
            continue  # ends the session: checked last
        for role in (*ROLES, None):
            for own in (True, False):
                objects = dict(clients.own if own else clients.other)
                objects["user"] = target_user
                objects["street"] = streets[0] if own else streets[1]
                objects["move"] = objects["revisit"] = objects["block"] = 0  # fresh ones made for each call
                objects["token"] = tokens[role] if (own and role) else tokens["admin"]
                if role == "admin" and not own:
                    objects["token"] = tokens["officer"]
                url = _fill(case, objects)
                if case.body in (
                    "review",
                    "bulk",
                ):  # only a collected house, submitted by someone else, is verified
                    with demo_db.write() as s:
                        house = s.get(Building, objects["building"])
                        house.status, house.visit_flag, house.submitted_by = (
                            "collected",
                            None,
                            clients.users["collector"],
                        )
                if case.body == "revisit":
                    objects["revisit"] = revisit_task(demo_db, objects["building"])
                    url = _fill(case, objects)
                if case.body == "reveal":  # a collector reveals in a house returned for correction
                    with demo_db.write() as s:
                        s.get(Building, objects["building"]).status = "returned"
                if case.body == "decision":
                    objects["move"] = pending_move(demo_db, objects["person"])
                    url = _fill(case, objects)
                block_body = None
                if case.body in MATRIX_BODIES and (role in (case.roles or ()) or case.method == "GET"):
                    extra, block_body = matrix_body(demo_db, case.body, own)
                    objects.update(extra)
                    url = _fill(case, objects)
                with demo_db.session() as s:
                    version = s.scalar(select(Building.version).where(Building.id == objects["building"]))
                    if case.path.startswith("/api/units/"):  # a unit's edits carry the unit's version
                        version = s.scalar(select(Unit.version).where(Unit.id == objects["unit"]))
                form = form_body(case.body, next(_serial)) if endpoint in FORM_ENDPOINTS else None
                if case.body == "entry_token":  # an upload of the caller's (no rows) awaiting confirmation
                    form = {
                        "token": stage_upload(
                            clients.users.get(role, 0), "m.csv", "姓名,身份证号,地址\n".encode()
                        )
                    }
                if case.body == "submission":
                    body = submission(version, role, objects["unit"])
                elif case.body == "reveal":
                    body = {"field": "id_number" if role == "collector" else "phone"}
                elif case.body == "decision":  # rejected: the matrix's people stay where they are
                    body = {"action": "reject", "reason": "矩阵测试"}
                elif case.body == "review":
                    body = {"action": "verify", "version": version}
                elif case.body == "numbering":  # a house of the street lost its number: confirm its preview
                    body = numbering_body(demo_db, objects["street"])
                    form = body if form is not None else None
                elif case.body == "bulk":
                    body = {
                        "collector": clients.names["collector"],
                        "items": [{"id": objects["building"], "version": version}],
                    }
                elif case.body == "sample":
                    body = {"village": objects["village"], "size": 1, "seed": 1}
                elif case.body == "revisit":
                    body = {"result": "confirmed", "version": 1}
                elif case.body == "place":  # into the building it stands in: changes nothing
                    body = {"version": version, "building": objects["building"]}
                elif case.body in MATRIX_BODIES:
                    body = block_body
                    form = block_body if form is not None else None
                else:
                    body = dict(case.body) if isinstance(case.body, dict) else None
                if case.method == "PATCH":
                    body["version"] = version
                test_case = Case(case.method, case.path, case.roles, case.scoped, body)
                client = clients(role)
                headers = clients.csrf(role) if role and case.method != "GET" else {}
                if role is None and case.method != "GET":
                    headers = {}
                with _call(client, test_case, url, headers, form) as response:  # close streamed files
                    got = _outcome(response)
                expected = _expected(role, case, own, case.path)
                cases += 1
                if got != expected:
                    failures.append(f"{case.method} {url} as {role or 'anonymous'} ({'own' if own else 'other'}): "
                                    f"expected {expected}, got {got}")  # fmt: skip
    for role in ROLES:
        client = clients(role)
        r = client.post("/logout", headers=clients.csrf(role))
        cases += 1
        if r.status_code != 302 or client.get("/api/villages.geojson").status_code != 401:
            failures.append(f"POST /logout as {role}: {r.status_code}, session still alive")
    assert failures == [], "\n".join(failures)
    assert cases == (len(EXPECTED) - 1) * (len(ROLES) + 1) * 2 + len(ROLES)
    print(f"access matrix: {cases} endpoint × role × own/other cases")


@pytest.mark.parametrize("path", ["/api/buildings.geojson?village={other}", "/api/people?village={other}"])
def test_asking_for_another_village_leaks_nothing(clients, path):
    client = clients("collector")
    r = client.get(path.format(other=clients.village_b))
    assert r.status_code == 404
    missing = client.get(path.format(other=999_999))
    assert missing.status_code == 404
    assert r.get_json()["message"].replace(str(clients.village_b), "?") == missing.get_json()[
        "message"
    ].replace("999999", "?")


# The rules of issue 8 that depend on who made or owns a record, not only on the role.
RULE_CASES = [
    ("self-verification", "officer"),
    ("self-verification", "admin"),
    ("reporter keeps to their unit", "reporter"),
    ("leaders see no names", "leader"),
]


@pytest.mark.parametrize("rule, role", RULE_CASES, ids=[f"{r}-{w}" for r, w in RULE_CASES])
def test_rules_beyond_the_role(clients, demo_db, rule, role):
    client, headers = clients(role), clients.csrf(role)
    building = clients.own["building"]
    with demo_db.session() as s:
        version = s.scalar(select(Building.version).where(Building.id == building))
    if rule == "self-verification":
        r = client.post(
            f"/api/buildings/{building}/submission", json=submission(version, role, 0), headers=headers
        )
        assert r.status_code == 201, r.get_json()
        review = {"action": "verify", "version": r.get_json()["version"], "visit_checked": True}
        assert (
            client.post(f"/api/buildings/{building}/review", json=review, headers=headers).status_code == 403
        )
    elif rule == "reporter keeps to their unit":
        body = submission(version, "collector", 0)  # with a household
        assert (
            client.post(f"/api/buildings/{building}/submission", json=body, headers=headers).status_code
            == 400
        )
        patch = {"floors": 3, "version": version}
        assert client.patch(f"/api/buildings/{building}", json=patch, headers=headers).status_code == 403
    else:
        detail = client.get(f"/api/buildings/{building}").get_json()
        assert not {"households", "owner_name", "pending_moves"} & set(detail)
        unit = client.get(f"/api/units/{clients.unit_id}").get_json()
        assert unit["legal_rep"] is None and unit["phone"] is None
