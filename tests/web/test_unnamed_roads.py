"""Streets without a name (imported from OpenStreetMap extracts) in the pages (both backends):
shown as 无名路, never numbered by name, each kept apart from the others."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from geoapp.store.models import Street
from tests.web.plates_fixtures import unnumber


def unname(demo_db, name: str) -> int:
    with demo_db.write() as s:
        street = s.scalar(select(Street.id).where(Street.name == name))
        s.execute(update(Street).where(Street.id == street).values(name=""))
    return street


def test_the_addresses_page_shows_unnamed_roads_and_offers_no_numbering(clients, demo_db):
    street = unname(demo_db, "老街")
    unnumber(demo_db, street, 2)
    admin = clients("admin")
    page = admin.get("/addresses").get_data(as_text=True)
    assert f'id="street-{street}"' in page
    row = page.split(f'id="street-{street}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="name">无名路</td>' in row
    assert "/numbering" not in row
    page = admin.get(f"/addresses/streets/{street}/numbering").get_data(as_text=True)
    assert f"街路巷 {street} 是无名路" in page and 'name="fingerprint"' not in page  # nothing to confirm


def test_the_streets_layer_and_lists_cope_with_unnamed_roads(clients, demo_db):
    street = unname(demo_db, "老街")
    officer = clients("officer")
    r = officer.get("/api/streets.geojson")
    assert r.status_code == 200
    names = {f["id"]: f["properties"]["name"] for f in json.loads(r.get_data())["features"]}
    assert names[street] == ""
    assert "无名路" in officer.get("/units").get_data(as_text=True)
