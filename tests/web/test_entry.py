"""The entry page (/entry): officers and administrators upload a register, see every row
sorted (masked, escaped, charged to their people budget), pick the house of an ambiguous
row and store the matched rows; nobody else reaches it (both backends)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from geoapp.store.models import Building, Person, RateEvent
from tests.services.test_entry import register, town


def upload(client, headers, data: bytes, name: str = "旧档案.csv"):
    form = {"file": (io.BytesIO(data), name), "csrf_token": headers["X-CSRFToken"]}
    return client.post("/entry", data=form, headers=headers, content_type="multipart/form-data")


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_upload_review_and_confirm(clients, demo_db, role):
    t = town(demo_db)
    client, headers = clients(role), clients.csrf(role)
    page = client.get("/entry")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "录入旧档案" in html and 'href="/entry"' in html  # in the menu
    with demo_db.session() as s:
        before = s.scalar(select(func.count(Person.id)))
    r = upload(client, headers, register(t))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'data-outcome="matched">已匹配到房屋 <strong>2</strong>' in html
    assert 'data-outcome="ambiguous">多处房屋符合 <strong>1</strong>' in html
    assert "余坪镇余坪村不存在路99号" in html and f"已登记在{t['registered_at']}" in html
    assert 'data-field="id_number"' in html and "GB 11643" in html and 'data-field="phone"' in html
    assert "证件号码与第 2 行相同" in html
    assert t["registered"] not in html  # ID numbers masked on the review screen
    assert "地址规范化后一致" in html and "地址完全一致" in html
    with demo_db.session() as s:
        assert s.scalar(select(func.count(Person.id))) == before  # nothing stored yet
        charged = s.scalar(
            select(func.sum(RateEvent.weight)).where(RateEvent.key == f"read:people:{clients.users[role]}")
        )
        assert charged == 7  # the rows read
    token = token_of(html)
    form = {"token": token, "row-4": str(t["twins"][0]), "csrf_token": headers["X-CSRFToken"]}
    done = client.post("/entry/confirm", data=form, headers=headers)
    assert done.status_code == 200
    assert "已录入 3 人，新建 2 户，涉及 2 处房屋" in done.get_data(as_text=True)
    with demo_db.session() as s:
        assert s.scalar(select(func.count(Person.id))) == before + 3
        assert s.get(Building, t["twins"][0]).status == "collected"
    again = client.post("/entry/confirm", data=form, headers=headers)  # the upload is gone
    assert again.status_code == 400 and "重新上传" in again.get_data(as_text=True)
    twice = upload(client, headers, register(t))
    assert 'data-outcome="matched">已匹配到房屋 <strong>0</strong>' in twice.get_data(as_text=True)


def test_refusals_and_escaping(clients, demo_db):
    t = town(demo_db)
    client, headers = clients("officer"), clients.csrf("officer")
    bad = upload(client, headers, "姓名,电话\n张三,13812345678\n".encode(), "bad.csv")
    assert bad.status_code == 422 and "bad.csv 缺少以下列" in bad.get_data(as_text=True)
    pdf = upload(client, headers, b"%PDF", "a.pdf")
    assert pdf.status_code == 422
    hostile = register(t).replace("张一".encode(), b"<script>alert(1)</script>")
    html = upload(client, headers, hostile).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    wrong = {"token": token_of(html), "row-4": str(t["free"]), "csrf_token": headers["X-CSRFToken"]}
    refused = client.post("/entry/confirm", data=wrong, headers=headers)
    assert refused.status_code == 400 and "不在该地址符合的房屋之中" in refused.get_data(as_text=True)
    other = clients("admin")  # another account cannot confirm this officer's upload
    stolen = {"token": token_of(html), "csrf_token": clients.csrf("admin")["X-CSRFToken"]}
    assert other.post("/entry/confirm", data=stolen, headers=clients.csrf("admin")).status_code == 400


@pytest.mark.parametrize("role", ["collector", "reporter", "leader"])
def test_other_roles_are_refused(clients, role):
    client, headers = clients(role), clients.csrf(role)
    assert client.get("/entry").status_code == 403
    assert upload(client, headers, b"x").status_code == 403
    assert 'href="/entry"' not in client.get("/account/password").get_data(as_text=True)
