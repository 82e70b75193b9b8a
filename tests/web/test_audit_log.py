"""The audit log page and a record's history: who may read them, filters, pagination,
masked values; and the trail stays append-only for the application."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

import geoapp
from geoapp.domain.roles import mask_id_number
from geoapp.store.models import AuditEvent, Building, Person

SOURCE = Path(geoapp.__file__).resolve().parent
EVENT_ROW = re.compile(r'<tr data-event="(\d+)">')

# (at, actor, action, object_type, object_id, changes), all in 2020: before anything the demo did.
SEEDED = [
    (datetime(2020, 1, 1, 10, 0), "alice", "building.update", "building", "5", {"floors": [2, 3]}),
    (datetime(2020, 1, 2, 9, 0), "bob", "building.update", "building", "5", {"use": ["dwelling", "shop"]}),
    (datetime(2020, 1, 2, 23, 59, 59), "alice", "reveal", "person", "7", {"field": "phone", "value": "138****5678"}),
    (datetime(2020, 1, 3, 0, 0), "bob", "export", "layer", "buildings", {"layer": "buildings", "format": "csv", "rows": 3}),
    (datetime(2020, 1, 4, 8, 0), "alice", "building.update", "building", "6", {"door_no": [None, "3号"]}),
    (datetime(2020, 1, 5, 8, 0), "carol", "login.failure", None, None, {"reason": "credentials"}),
    (datetime(2020, 1, 6, 8, 0), "alice", "export", "layer", "people", {"layer": "people", "format": "xlsx", "rows": 9}),
]  # fmt: skip
YEAR = "since=2020-01-01&until=2020-12-31"


def bj(*parts) -> datetime:
    """A Beijing wall-clock time as stored (naive UTC)."""
    return datetime(*parts) - timedelta(hours=8)


@pytest.fixture
def seeded(demo_db) -> dict[int, tuple]:
    """Events with known times; returns id → seed row."""
    ids = {}
    with demo_db.write() as s:
        for row in SEEDED:
            at, actor, action, object_type, object_id, changes = row
            event = AuditEvent(
                at=at,
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=object_id,
                changes=orjson.dumps(changes).decode(),
                remote_addr="10.0.0.9",
            )
            s.add(event)
            s.flush()
            ids[event.id] = row
    return ids


def listed(client, query: str) -> list[int]:
    r = client.get(f"/audit?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return [int(i) for i in EVENT_ROW.findall(r.get_data(as_text=True))]


def newest_first(seeded: dict[int, tuple], keep=lambda row: True) -> list[int]:
    return [
        i for i, row in sorted(seeded.items(), key=lambda kv: (kv[1][0], kv[0]), reverse=True) if keep(row)
    ]


def test_the_page_lists_events_newest_first_with_their_changes(clients, seeded):
    client = clients("officer")
    assert listed(client, YEAR) == newest_first(seeded)
    html = client.get(f"/audit?{YEAR}").get_data(as_text=True)
    # fields, actions and coded values in Chinese (issue 11), the codes beside them for whoever needs them
    assert '<strong title="use">用途</strong>: 住宅 → 沿街铺面' in html
    assert '<strong title="door_no">门牌号</strong>: — → 3号' in html
    assert '<strong title="value">值</strong>: 138****5678' in html
    assert (
        "查看完整号码" in html and "导出图层" in html and "修改房屋" in html and ">building.update<" in html
    )
    assert "dwelling →" not in html
    assert "2020-01-03 07:59:59" in html and "10.0.0.9" in html  # stored UTC, shown in Beijing time (+8 h)
    assert "时间（北京时间）" in html and "2020-01-02 23:59:59" not in html
    assert 'href="/audit?object_type=building&amp;object_id=5"' in html  # the record's history
    everything = listed(client, "per_page=200")
    assert len(everything) > len(seeded)  # the demo build, logins …
    assert everything[-len(seeded) :] == newest_first(seeded)  # 2020 comes last


@pytest.mark.parametrize(
    "query, keep",
    [
        ("action=reveal", lambda r: r[2] == "reveal"),
        ("action=building.update", lambda r: r[2] == "building.update"),
        ("actor=alice", lambda r: r[1] == "alice"),
        ("actor=bob&action=export", lambda r: r[1] == "bob" and r[2] == "export"),
        ("object_type=building", lambda r: r[3] == "building"),
        ("object_type=building&object_id=5", lambda r: (r[3], r[4]) == ("building", "5")),
        ("object_id=people", lambda r: r[4] == "people"),
        # Dates and times are Beijing time (UTC+8): the Beijing day 2020-01-02 is UTC 01-01 16:00 .. 01-02 16:00.
        ("since=2020-01-02&until=2020-01-02", lambda r: bj(2020, 1, 2) <= r[0] < bj(2020, 1, 3)),
        ("since=2020-01-03", lambda r: r[0] >= bj(2020, 1, 3)),
        ("until=2020-01-02", lambda r: r[0] < bj(2020, 1, 3)),
        ("since=2020-01-02T09:00&until=2020-01-04T08:00", lambda r: bj(2020, 1, 2, 9) <= r[0] < bj(2020, 1, 4, 8)),
        ("since=2020-01-02T09:00Z&until=2020-01-04T08:00Z", lambda r: datetime(2020, 1, 2, 9) <= r[0] < datetime(2020, 1, 4, 8)),  # UTC
        ("actor=nobody", lambda r: False),
        ("actor=ALICE", lambda r: False),  # user names match exactly
    ],
)  # fmt: skip
def test_filters(clients, seeded, query, keep):
    got = [i for i in listed(clients("officer"), query + "&per_page=200") if i in seeded]
    assert got == newest_first(seeded, keep)


def test_pagination_keeps_the_filter(clients, seeded):
    client = clients("officer")
    query = f"{YEAR}&per_page=2"
    pages = [listed(client, f"{query}&page={n}") for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert [i for page in pages for i in page] == newest_first(seeded)
    html = client.get(f"/audit?{query}&actor=alice&page=2").get_data(as_text=True)
    assert "2 / 2" in html
    prev = re.search(r'<a rel="prev" href="([^"]+)"', html).group(1)
    assert "actor=alice" in prev and "since=2020-01-01" in prev and "per_page=2" in prev and "page=1" in prev
    assert 'rel="next"' not in html
    assert listed(client, f"{query}&page=9") == []


@pytest.mark.parametrize(
    "query, field",
    [
        ("since=2020-13-01", "since"),
        ("until=yesterday", "until"),
        ("since=2020-01-05&until=2020-01-01", "until"),
        ("since=2020-01-01T08:00%2B08:00", "since"),  # times are UTC, without an offset
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("actor=" + "x" * 101, "actor"),
    ],
)
def test_bad_filters_are_a_clear_400(clients, query, field):
    r = clients("officer").get(f"/audit?{query}", headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["field"] == field
    assert clients("officer").get(f"/audit?{query}").status_code == 400  # the page too


@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31",  # the day after overflowed: a 500
        "since=9999-12-31",
        "since=0001-01-01",
        "until=0001-01-01",
        "since=0001-01-01&until=9999-12-31",
        "since=9999-12-31T23:59:59.999999",
        "until=9999-12-31T23:59:59",
        "since=2020-01-01&since=9999-12-31&until=9999-12-31&until=2020-01-01",  # repeated: the first counts
        "page=2&page=99999999999999999999&per_page=2",
        "action=export&action=%00",
    ],
)
def test_extreme_but_well_formed_values_are_answered(clients, seeded, query):
    for url in (f"/audit?{query}", f"/api/audit/history?object_type=building&object_id=5&{query}"):
        r = clients("officer").get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[:300])


def test_the_widest_range_holds_everything(clients, seeded):
    client = clients("officer")
    everything = listed(client, "per_page=200")
    assert listed(client, "since=0001-01-01&until=9999-12-31&per_page=200") == everything
    assert listed(client, "until=9999-12-31&per_page=200") == everything
    assert listed(client, "since=9999-12-31") == [] and listed(client, "until=0001-01-01") == []


HOSTILE = [
    ("page=99999999999999999999", "page"),  # an OFFSET beyond 64 bits: a 500 on both databases
    ("page=9223372036854775807", "page"),
    ("page=-1", "page"),
    ("page=1.5", "page"),
    ("page=1e3", "page"),
    ("page=" + "9" * 5000, "page"),
    ("per_page=99999999999999999999", "per_page"),
    ("per_page=-5", "per_page"),
    ("since=10000-01-01", "since"),
    ("since=0000-01-01", "since"),
    ("until=9999-12-32", "until"),
    ("until=2020-01-01T24:00", "until"),
    ("since=%00", "since"),
    ("since=2020-01-01%00", "since"),
    ("until=" + "1" * 300, "until"),
    ("since=2020-01-01T08:00:00.1234567", "since"),
    ("actor=%00", "actor"),  # PostgreSQL refuses NUL in text: a 500
    ("actor=alice%00", "actor"),
    ("object_id=5%0A6", "object_id"),
    ("action=%1B%5B31m", "action"),
    ("object_type=" + "x" * 41, "object_type"),
]


@pytest.mark.parametrize("query, field", HOSTILE)
def test_hostile_query_values_are_a_400_naming_the_field(clients, query, field):
    client = clients("officer")
    for url in (f"/audit?{query}", f"/api/audit/history?object_type=building&object_id=5&{query}"):
        if "/history" in url and query.startswith(("object_type", "object_id")):
            url = f"/api/audit/history?{query}&{'object_id=5' if field == 'object_type' else 'object_type=building'}"
        if "/history" in url and query.startswith(("since", "until", "action", "actor")):
            continue  # the history takes no filter but the record
        r = client.get(url, headers={"Accept": "application/json"})
        assert r.status_code == 400, (url, r.status_code, r.get_data(as_text=True)[:300])
        assert r.get_json()["field"] == field, url
        assert client.get(url).status_code == 400  # the page too


def test_a_records_history(clients, seeded, demo_db):
    client = clients("officer")
    r = client.get("/api/audit/history?object_type=building&object_id=5")
    assert r.status_code == 200
    body = r.get_json()
    assert (body["object_type"], body["object_id"], body["total"]) == ("building", "5", 2)
    assert [e["actor"] for e in body["items"]] == ["bob", "alice"]
    assert body["items"][0]["changes"] == {"use": {"before": "dwelling", "after": "shop"}}
    assert body["items"][0]["at"] == "2020-01-02T09:00:00Z"
    # A real edit joins the house's history.
    house = clients.own["building"]
    with demo_db.session() as s:
        building = s.get(Building, house)
    edit = client.patch(
        f"/api/buildings/{house}",
        json={"floors": (building.floors or 1) + 1, "version": building.version},
        headers=clients.csrf("officer"),
    )
    assert edit.status_code == 200
    items = client.get(f"/api/audit/history?object_type=building&object_id={house}").get_json()["items"]
    assert items[0]["action"] == "building.update" and items[0]["actor"] == "officer"
    assert items[0]["changes"]["floors"] == {"before": building.floors, "after": (building.floors or 1) + 1}
    paged = client.get("/api/audit/history?object_type=building&object_id=5&per_page=1&page=2").get_json()
    assert [e["actor"] for e in paged["items"]] == ["alice"] and paged["total"] == 2


@pytest.mark.parametrize("query, field", [("object_type=building", "object_id"), ("object_id=5", "object_type"), ("", "object_type")])  # fmt: skip
def test_history_needs_a_type_and_an_id(clients, query, field):
    r = clients("officer").get(f"/api/audit/history?{query}")
    assert r.status_code == 400 and r.get_json()["field"] == field


@pytest.mark.parametrize("who", ["collector", "reporter", "leader"])
def test_only_officers_and_administrators_read_the_trail(clients, demo_db, who):
    client = clients(who)
    assert client.get("/audit").status_code == 403
    assert client.get("/api/audit/history?object_type=building&object_id=5").status_code == 403
    with demo_db.session() as s:
        refused = s.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "permission.refused", AuditEvent.actor == clients.names[who]
            )
        ).all()
    assert sorted(refused) == ["audit.history", "audit.page"]
    assert clients("admin").get("/audit").status_code == 200


def test_anonymous_callers_are_sent_to_log_in(clients):
    r = clients(None).get("/audit")
    assert r.status_code == 302 and "/login" in r.location
    assert clients(None).get("/api/audit/history?object_type=building&object_id=5").status_code == 401


def test_the_page_is_not_cached_and_in_the_officers_menu(clients):
    r = clients("officer").get("/audit")
    assert r.headers["Cache-Control"] == "no-store"
    html = r.get_data(as_text=True)
    assert "<title>审计日志</title>" in html or "<title>Audit log</title>" in html
    assert 'href="/audit"' in clients("officer").get("/").get_data(as_text=True)
    assert 'href="/audit"' not in clients("collector").get("/").get_data(as_text=True)


def test_reveals_and_exports_show_up_masked(clients, demo_db):
    officer = clients("officer")
    person_id = clients.own["person"]
    with demo_db.session() as s:
        person = s.get(Person, person_id)
    r = officer.post(
        f"/api/people/{person_id}/reveal", json={"field": "id_number"}, headers=clients.csrf("officer")
    )
    assert r.status_code == 200
    with officer.get(f"/export/people.csv?village={clients.village_a}") as export:
        assert export.status_code == 200
    html = officer.get("/audit?actor=officer").get_data(as_text=True)
    assert mask_id_number(person.id_number) in html
    assert person.id_number not in html
    exports = officer.get("/api/audit/history?object_type=layer&object_id=people").get_json()["items"]
    assert exports[0]["action"] == "export"
    assert exports[0]["changes"]["format"] == "csv" and exports[0]["changes"]["village"] == clients.village_a


def test_stored_text_is_escaped_on_the_page(clients, demo_db):
    payload = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
    with demo_db.write() as s:
        s.add(
            AuditEvent(
                at=datetime(2020, 2, 1),
                actor=payload,
                action="login.failure",
                object_type="user",
                object_id=payload[:40],
                changes=orjson.dumps({payload: [payload, {"x": payload}]}).decode(),
            )
        )
    html = clients("officer").get("/audit?since=2020-02-01&until=2020-02-01").get_data(as_text=True)
    assert "<script>alert(2)" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_reading_the_trail_changes_nothing(clients, demo_db, seeded):
    client = clients("officer")
    with demo_db.session() as s:
        before = s.execute(
            select(AuditEvent.id, AuditEvent.at, AuditEvent.changes).order_by(AuditEvent.id)
        ).all()
    listed(client, "per_page=200")
    client.get("/api/audit/history?object_type=building&object_id=5")
    with demo_db.session() as s:
        after = s.execute(
            select(AuditEvent.id, AuditEvent.at, AuditEvent.changes)
            .where(AuditEvent.id <= before[-1][0])
            .order_by(AuditEvent.id)
        ).all()
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == len(before)
    assert after == before


# -- the trail is append-only for the application -------------------------------------------------

WRITE_SQL = re.compile(
    r"\b(update\s+audit_event|delete\s+from\s+audit_event|truncate\s+(table\s+)?audit_event|"
    r"drop\s+table\s+(if\s+exists\s+)?audit_event)\b",
    re.IGNORECASE,
)


def _python_files():
    return [p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts]


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


AUDIT_COLUMNS = frozenset(AuditEvent.__table__.columns.keys())


def writes_to_the_trail(source: str) -> list[str]:
    """Lines of ``source`` that update or delete audit events (a cheap static scan)."""
    tree = ast.parse(source)
    uses_model = "AuditEvent" in _names(tree)
    problems = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and WRITE_SQL.search(node.value):
            problems.append(f"{line}: SQL text writes audit_event")
        if isinstance(node, ast.JoinedStr) and WRITE_SQL.search(ast.unparse(node)):
            problems.append(f"{line}: SQL text writes audit_event")
        if uses_model and isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in AUDIT_COLUMNS - {"id"}:
                    problems.append(f"{line}: sets .{target.attr} where AuditEvent is in use")
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in ("update", "delete"):
            continue
        args = set().union(*(_names(a) for a in node.args))
        if "AuditEvent" in args or "audit_event" in args:  # update(AuditEvent), delete(AuditEvent.__table__)
            problems.append(f"{line}: {name}() of AuditEvent")
        if isinstance(node.func, ast.Attribute):
            target = _names(node.func.value)
            if "AuditEvent" in target:  # session.query(AuditEvent)….delete()
                problems.append(f"{line}: {name}() on a query of AuditEvent")
            elif name == "delete" and uses_model and node.args:  # session.delete(event)
                problems.append(f"{line}: session.delete() where AuditEvent is in use")
    return problems


def test_no_code_updates_or_deletes_audit_events():
    """The application (migrations aside) never updates or deletes an audit event: not by
    the ORM, not by SQLAlchemy Core, not in SQL text."""
    problems = {}
    for path in _python_files():
        if found := writes_to_the_trail(path.read_text(encoding="utf-8")):
            problems[str(path.relative_to(SOURCE))] = found
    assert problems == {}


def test_the_bulk_deletes_that_exist_leave_the_trail_alone():
    """The places that delete rows in bulk name their tables; the trail is not among them."""
    from geoapp.services.accounts import throttle
    from geoapp.services.demo.build import DEMO_TABLES

    assert AuditEvent not in DEMO_TABLES
    assert "AuditEvent" not in _names(ast.parse(Path(throttle.__file__).read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "source",
    [
        "session.execute(delete(AuditEvent).where(AuditEvent.id == 1))",
        "session.execute(update(AuditEvent).values(actor='x'))",
        "session.execute(sa.delete(AuditEvent.__table__))",
        "session.query(AuditEvent).filter_by(id=1).delete()",
        "session.scalars(select(AuditEvent)).first()\nsession.delete(event)",
        "event = session.get(AuditEvent, 1)\nevent.changes = '{}'",
        "session.execute(text('DELETE FROM audit_event WHERE id = 1'))",
        "session.execute(text(f'update  AUDIT_EVENT set actor = {name}'))",
        "conn.exec_driver_sql('TRUNCATE audit_event')",
    ],
)
def test_the_scan_catches_writes_to_the_trail(source):
    assert writes_to_the_trail(source), source


def test_the_scan_leaves_reading_and_recording_alone():
    source = Path(SOURCE / "services" / "accounts" / "audit.py").read_text(encoding="utf-8")
    assert "AuditEvent(" in source and writes_to_the_trail(source) == []
    assert writes_to_the_trail("session.execute(delete(RateEvent).where(RateEvent.key == key))") == []


def test_no_route_can_change_the_trail(demo_app):
    """Every audit route only reads (GET/HEAD/OPTIONS)."""
    for rule in demo_app.url_map.iter_rules():
        if rule.endpoint.startswith("audit.") or "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, (rule.rule, rule.methods)
    endpoints = {rule.endpoint: rule.rule for rule in demo_app.url_map.iter_rules()}
    assert endpoints["audit.page"] == "/audit"
    assert endpoints["audit.history"] == "/api/audit/history"


def test_the_log_reads_in_chinese_returns_submissions_and_statuses(clients, demo_db):
    """``house.return`` → 退回修改; a status change reads 已采集，待核对 → 已退回修改, never the codes."""
    with demo_db.write() as s:
        s.add(
            AuditEvent(
                at=datetime(2020, 2, 1, 8, 0),
                actor="olga",
                action="house.return",
                object_type="building",
                object_id="9",
                changes=orjson.dumps({"status": ["collected", "returned"], "visit_flag": "far"}).decode(),
            )
        )
    html = clients("officer").get("/audit?since=2020-02-01&until=2020-02-01").get_data(as_text=True)
    assert ">退回修改<br>" in html and "房屋 9" in html
    assert "已采集，待核对 → 已退回修改" in html and "在远离房屋处提交" in html
    assert "collected →" not in html
    options = clients("officer").get("/audit").get_data(as_text=True)
    assert '<option value="house.return">退回修改</option>' in options
    demo = clients("officer").get("/audit?action=demo.build").get_data(as_text=True)
    assert '<strong title="houses">房屋</strong>' in demo and ">生成演示数据<br>" in demo


def test_every_recorded_action_has_a_label():
    from geoapp.domain.audit_labels import ACTION_LABELS

    recorded = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        recorded |= set(re.findall(r'(?:record|record_by)\(\s*\w+,\s*(?:\w+,\s*)?"([a-z_.]+)"', text))
    assert recorded and recorded <= set(ACTION_LABELS), recorded - set(ACTION_LABELS)
