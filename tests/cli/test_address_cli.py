"""``geoapp address number STREET [--dry-run]`` and ``geoapp plates … --pdf`` on the demo town
(both backends)."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from geoapp.cli import main
from geoapp.store.db import Database
from geoapp.store.models import AuditEvent, Building, Street, Village
from tests.pdf_check import page_count, page_text, qr_codes
from tests.web.plates_fixtures import unnumber


def run(url, *args, input=None, **env):
    return CliRunner().invoke(main, [str(a) for a in args], input=input,
                              env={"GEOAPP_DATABASE_URL": url, "GEOAPP_LOCALE": "zh_CN", **env})  # fmt: skip


def doors(db, ids):
    with db.session() as s:
        return [s.get(Building, i).door_no for i in ids]


def test_a_dry_run_shows_the_numbers_and_stores_nothing_then_the_run_is_stored(demo_url):
    db = Database(demo_url)
    with db.session() as s:
        street = s.scalar(select(Street.id).where(Street.name == "老街"))
        audits = s.scalar(select(func.count()).select_from(AuditEvent))
    cleared = unnumber(db, street, 2)
    result = run(demo_url, "address", "number", "老街", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "老街" in result.output and "试运行：未保存任何内容" in result.output
    assert all(f"#{i}" in result.output for i in cleared) and "单号" in result.output
    assert doors(db, cleared) == [None, None]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == audits

    refused = run(demo_url, "address", "number", str(street), input="n\n")
    assert refused.exit_code == 1 and doors(db, cleared) == [None, None]

    stored = run(demo_url, "address", "number", str(street), "--yes")
    assert stored.exit_code == 0, stored.output
    assert "2 户已编门牌号" in stored.output and all(doors(db, cleared))
    again = run(demo_url, "address", "number", "老街", "--dry-run")
    assert again.exit_code == 0 and "没有需要编号的房屋" in again.output
    db.dispose()


def test_a_clashing_run_is_refused_naming_the_clash(demo_url):
    db = Database(demo_url)
    with db.session() as s:
        street = s.scalar(select(Street.id).where(Street.name == "老街"))
    cleared = unnumber(db, street, 1)
    result = run(demo_url, "address", "number", "老街", "--start-odd", "5", "--start-even", "6", "--yes")
    assert result.exit_code == 1
    assert "重复" in result.output and "老街" in result.output and "已使用该门牌" in result.output
    assert doors(db, cleared) == [None]
    assert run(demo_url, "address", "number", "老街", "--start-odd", "2").exit_code == 1
    assert "没有名为" in run(demo_url, "address", "number", "无此街").output
    db.dispose()


def test_plates_of_a_street_and_a_village_as_pdf(demo_url, tmp_path):
    path = tmp_path / "out" / "plates.pdf"
    base = "https://192.168.1.10:8443"
    result = run(demo_url, "plates", "--street", "建设路", "--pdf", path, "--base-url", base)
    assert result.exit_code == 0, result.output
    pdf = path.read_bytes()
    db = Database(demo_url)
    with db.session() as s:
        count = int(result.output.split("门牌 ")[1].split(" 块")[0])
        first = qr_codes(pdf)[0]
        house = s.get(Building, int(first.rsplit("/", 1)[1]))
        village = s.scalar(select(Village.code).order_by(Village.id))
    assert first.startswith(f"{base}/h/") and house.address.startswith("余坪镇余坪村建设路")
    assert page_count(pdf) == -(-count // 8) and house.address in page_text(pdf)
    assert list(path.parent.iterdir()) == [path]

    by_code = run(demo_url, "plates", "--village", village, "--pdf", tmp_path / "v.pdf",
                  GEOAPP_PUBLIC_URL=base)  # fmt: skip
    assert by_code.exit_code == 0, by_code.output
    no_base = run(demo_url, "plates", "--village", village, "--pdf", tmp_path / "x.pdf")
    assert no_base.exit_code == 1 and "--base-url" in no_base.output and not (tmp_path / "x.pdf").exists()
    both = run(demo_url, "plates", "--village", village, "--street", "1", "--pdf", tmp_path / "y.pdf")
    assert both.exit_code == 2
    db.dispose()
