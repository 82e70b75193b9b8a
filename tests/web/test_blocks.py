"""The blocks endpoints on both backends: the layer, generation, edits with their refusals,
assignment (one and many) with its rules, the pages; per role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from geoapp.store.models import AuditEvent, Block, BlockAssignment, User
from tests.conftest import add_user
from tests.web.blocks_fixtures import fresh_pair, generated, geojson, members

LATER = (date.today() + timedelta(days=30)).isoformat()


def test_layer_lists_blocks_with_buildings_units_progress_and_assignee(clients, demo_db):
    ids = generated(demo_db)
    r = clients("officer").get("/api/blocks.geojson")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    features = r.get_json()["features"]
    assert len(features) == len(ids) > 0
    p = features[0]["properties"]
    assert p["buildings"] and p["houses"] == len(p["buildings"]) and p["officer"] is None
    assert {"units", "houses_collected", "houses_verified", "units_collected", "units_verified"} <= set(p)
    assert sum(len(f["properties"]["units"]) for f in features) >= 280  # every street-front shop
    for who in ("collector", "reporter", "leader"):
        assert clients(who).get("/api/blocks.geojson").status_code == 403
    assert clients(None).get("/api/blocks.geojson").status_code == 401


def test_assign_one_and_many_with_rules(clients, demo_db):
    ids = generated(demo_db)
    add_user(demo_db, "officer_off", "officer")
    with demo_db.write() as s:
        s.scalar(select(User).where(User.username == "officer_off")).disabled = True
    admin, h = clients("admin"), clients.csrf("admin")
    ok = admin.post(f"/api/blocks/{ids[0]}/assignment", json={"officer": "officer", "due": LATER}, headers=h)
    assert ok.status_code == 200, ok.get_json()
    many = admin.post("/api/blocks/assignment", json={"officer": "officer", "due": LATER, "blocks": ids[1:4]},
                      headers=h)  # fmt: skip
    assert many.get_json()["blocks"] == ids[1:4]
    refusals = [
        ({"officer": "officer_off", "due": LATER}, "停用"),
        ({"officer": "collector_a", "due": LATER}, "不是民警"),
        ({"officer": "officer", "due": "2001-01-01"}, "早于今天"),
        ({"officer": "officer", "due": "明天"}, "YYYY-MM-DD"),  # a form error under "due"
    ]
    for body, words in refusals:
        r = admin.post(f"/api/blocks/{ids[5]}/assignment", json=body, headers=h)
        assert r.status_code == 400 and words in str(r.get_json()), (body, r.get_json())
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(BlockAssignment)) == 4
        assert s.get(Block, ids[5]).officer_id is None
    officer = clients("officer")
    assert officer.post(f"/api/blocks/{ids[5]}/assignment", json={"officer": "officer"},
                        headers=clients.csrf("officer")).status_code == 403  # fmt: skip
    mine = officer.get("/api/blocks.geojson?mine=1").get_json()["features"]
    assert sorted(f["id"] for f in mine) == ids[:4] and mine[0]["properties"]["officer"] == "officer"
    page = officer.get("/my-blocks").get_data(as_text=True)
    assert "我的街区" in page and all(f'id="my-block-{i}"' in page for i in ids[:4])
    assert "天" in page and "已采集" in page
    history = officer.get(f"/api/blocks/{ids[0]}/assignments").get_json()
    assert [r["officer"] for r in history] == ["officer"]


def test_edits_and_their_refusals(clients, demo_db):
    pair = fresh_pair(demo_db)
    officer, h = clients("officer"), clients.csrf("officer")
    made = officer.post("/api/blocks", json={"geometry": geojson(pair["both"])}, headers=h)
    assert made.status_code == 201, made.get_json()
    block = made.get_json()["id"]
    assert members(demo_db, block) == set(pair["houses"])
    miss = officer.post(f"/api/blocks/{block}/split", json={"line": {"type": "LineString",
                        "coordinates": [[0, 0], [0.001, 0.001]]}}, headers=h)  # fmt: skip
    assert miss.status_code == 400 and "没有穿过" in miss.get_json()["message"]
    over = officer.post("/api/blocks", json={"geometry": geojson(pair["a"])}, headers=h)
    assert over.status_code == 400 and f"与街区段 {block} 重叠" in over.get_json()["message"]
    cut = officer.post(f"/api/blocks/{block}/split", json={"line": geojson(pair["line"])}, headers=h)
    assert cut.status_code == 200, cut.get_json()
    a, b = cut.get_json()["ids"]
    assert members(demo_db, a) | members(demo_db, b) == set(pair["houses"]) and members(demo_db, a)
    joined = officer.post(f"/api/blocks/{a}/merge", json={"other": b}, headers=h)
    assert joined.status_code == 200 and members(demo_db, a) == set(pair["houses"])
    bowtie = {"type": "Polygon", "coordinates": [[[113.5, 26.5], [113.51, 26.51], [113.51, 26.5],
                                                  [113.5, 26.51], [113.5, 26.5]]]}  # fmt: skip
    bad = officer.put(f"/api/blocks/{a}/shape", json={"geometry": bowtie}, headers=h)
    assert bad.status_code == 400 and "不是有效的多边形" in bad.get_json()["message"]
    empty = shapely_box(113.6, 26.6)
    none = officer.put(f"/api/blocks/{a}/shape", json={"geometry": empty}, headers=h)
    assert none.status_code == 400 and "没有房屋" in none.get_json()["message"]
    assert members(demo_db, a) == set(pair["houses"])  # refused: nothing changed
    with demo_db.session() as s:
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "block")))
    assert {"block.create", "block.split", "block.merge"} <= actions
    assert clients("leader").post("/api/blocks", json={"geometry": geojson(pair["both"])},
                                  headers=clients.csrf("leader")).status_code == 403  # fmt: skip


def shapely_box(lon, lat):
    import shapely

    return geojson(shapely.box(lon, lat, lon + 0.001, lat + 0.001))


@pytest.mark.parametrize("who", ["admin"])
def test_admin_page_generates_and_assigns_in_bulk(clients, demo_db, who):
    client, h = clients(who), clients.csrf(who)
    page = client.get("/blocks")
    assert page.status_code == 200 and "生成街区段" in page.get_data(as_text=True)
    made = client.post("/blocks/generate", data={}, headers=h)
    assert made.status_code == 200 and "个街区段" in made.get_data(as_text=True)
    with demo_db.session() as s:
        ids = list(s.scalars(select(Block.id).order_by(Block.id).limit(3)))
    done = client.post("/blocks/assign", data={"officer": "officer", "due": LATER, "block": ids}, headers=h)
    assert done.status_code == 200 and "3" in done.get_data(as_text=True)
    late = client.post(
        "/blocks/assign", data={"officer": "officer", "due": "2001-01-01", "block": ids}, headers=h
    )
    assert late.status_code == 400
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(BlockAssignment)) == 3


def test_village_assignment_history(clients, demo_db):
    admin, h = clients("admin"), clients.csrf("admin")
    r = admin.post(f"/api/villages/{clients.village_b}/assignment", json={"collector": "collector_a", "due": LATER},
                   headers=h)  # fmt: skip
    assert r.status_code == 200, r.get_json()
    refused = admin.post(
        f"/api/villages/{clients.village_b}/assignment", json={"collector": "officer"}, headers=h
    )
    assert refused.status_code == 400
    with demo_db.session() as s:
        assert s.get(User, clients.users["collector"]).village_id == clients.village_b
    page = admin.get(f"/admin/users/{clients.users['collector']}").get_data(as_text=True)
    assert "分配记录" in page


def test_a_blocks_door_plates(clients, demo_db):
    from tests.pdf_check import qr_codes

    ids = generated(demo_db)
    r = clients("officer").get(f"/plates/block/{ids[0]}.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert (
        int(r.headers["X-Plates"]) + int(r.headers["X-Unnumbered-Houses"])
        >= len(members(demo_db, ids[0]))
        > 0
    )
    codes = qr_codes(r.data)
    assert codes and all("/h/" in c for c in codes)  # each opens its house
    assert clients("officer").get("/plates/block/999999.pdf").status_code == 404
    assert clients("collector").get(f"/plates/block/{ids[0]}.pdf").status_code == 403
