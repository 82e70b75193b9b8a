"""GET /api/coverage on the demo town, per role (both backends)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from geoapp.domain.metrics import beijing_today
from geoapp.domain.roles import Role, Scope
from geoapp.services.campaign.settings import change_settings
from geoapp.store.models import Building, Village
from tests.web.test_access_matrix import submission

ROW_FIELDS = {
    "code", "name", "task", "collected", "verified", "returned", "flagged", "collection_rate",
    "timeliness_rate", "accuracy_rate", "stage1", "stage2", "households", "funding_yuan",
    "penalty_points", "village_id",
}  # fmt: skip


@pytest.mark.parametrize("role", ["leader", "officer", "admin"])
def test_town_roles_see_every_village_the_station_and_the_total(clients, role):
    r = clients(role).get("/api/coverage?kind=people&as_of=2016-06-01")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["kind"], body["as_of"]) == ("people", "2016-06-01")
    assert len(body["villages"]) == 28
    assert all(set(row) == ROW_FIELDS for row in [*body["villages"], body["station"], body["total"]])
    assert body["station"]["name"] == "余坪派出所" and body["total"]["name"] == "合计"
    assert body["total"]["collected"] == sum(v["collected"] for v in body["villages"])
    assert body["station"]["task"] == 41115
    assert "采集率" in body["definitions"]["collection_rate"]  # definitions in Chinese, for the page
    assert [s["end"] for s in body["stages"]] == ["2016-05-25", "2016-06-30"]
    assert [s["target"] for s in body["stages"]] == [0.6, 1.0]


def test_a_collector_gets_their_own_village_only(clients):
    r = clients("collector").get("/api/coverage?kind=houses&as_of=2016-06-08")
    assert r.status_code == 200
    body = r.get_json()
    assert [v["village_id"] for v in body["villages"]] == [clients.village_a]
    assert "station" not in body and "total" not in body  # they would reveal the other villages
    town = clients("leader").get("/api/coverage?kind=houses&as_of=2016-06-08").get_json()
    own = next(v for v in town["villages"] if v["village_id"] == clients.village_a)
    assert body["villages"][0] == own
    other_codes = {v["code"] for v in town["villages"]} - {own["code"]}
    assert not any(code in r.get_data(as_text=True) for code in other_codes)


def test_reporters_and_strangers_are_refused(clients):
    assert clients("reporter").get("/api/coverage").status_code == 403
    assert clients(None).get("/api/coverage").status_code == 401


@pytest.mark.parametrize(
    "query, field",
    [
        ("kind=rooms", "kind"),
        ("as_of=2016-13-01", "as_of"),
        ("as_of=25/05/2016", "as_of"),
        ("as_of=1900-01-01", "as_of"),
    ],
)
def test_bad_arguments_are_a_400_naming_the_field(clients, query, field):
    r = clients("leader").get(f"/api/coverage?{query}")
    assert r.status_code == 400
    assert r.get_json()["field"] == field
    label = {"kind": "类别", "as_of": "截至日期"}[field]
    assert label in r.get_json()["message"]


def test_as_of_defaults_to_today_capped_to_the_campaign(clients):
    body = clients("leader").get("/api/coverage").get_json()
    assert (body["kind"], body["as_of"]) == ("houses", "2016-09-25")  # the demo campaign ended then
    before = clients("leader").get("/api/coverage?as_of=2016-04-20").get_json()
    assert before["total"]["collected"] == 0 and before["total"]["stage1"] == "open"


def test_a_submission_counts_from_today(clients, demo_db):
    """With a campaign running today, a house submitted now counts as of today (the houses'
    columns) and not as of yesterday (their history)."""
    with demo_db.write() as s:
        change_settings(s, {"assessment_end": "2099-12-31"}, Scope(None, "test", Role.ADMIN))
        house = s.scalar(
            select(Building)
            .where(Building.village_id == clients.village_a, Building.status == "uncollected")
            .order_by(Building.id)
            .limit(1)
        )
        code = s.scalar(select(Village.code).where(Village.id == clients.village_a))
    today = beijing_today()
    yesterday = (today - timedelta(days=1)).isoformat()
    leader = clients("leader")

    def village_row(query):
        body = leader.get(f"/api/coverage?{query}").get_json()
        return next(v for v in body["villages"] if v["code"] == code), body

    before, body = village_row("kind=houses")
    assert body["as_of"] == today.isoformat()
    r = clients("collector").post(
        f"/api/buildings/{house.id}/submission",
        json=submission(house.version, "collector", 0),
        headers=clients.csrf("collector"),
    )
    assert r.status_code == 201, r.get_json()
    after, _ = village_row("kind=houses")
    assert after["collected"] == before["collected"] + 1
    assert village_row("kind=people")[0]["collected"] == village_row(f"kind=people&as_of={yesterday}")[0]["collected"] + 1  # fmt: skip
    assert village_row(f"kind=houses&as_of={yesterday}")[0]["collected"] == before["collected"]
    assert date.fromisoformat(village_row(f"as_of={yesterday}")[1]["as_of"]) == today - timedelta(days=1)


def test_the_first_submission_and_the_first_check_are_kept(clients, demo_db):
    """What the accuracy and timeliness rates read: a later return, resubmission or
    verification does not change them."""
    with demo_db.session() as s:
        house = s.scalar(
            select(Building)
            .where(Building.village_id == clients.village_a, Building.status == "uncollected")
            .order_by(Building.id.desc())
            .limit(1)
        )
    collector, officer = clients("collector"), clients("officer")
    url = f"/api/buildings/{house.id}"

    def submit(version):
        r = collector.post(f"{url}/submission", json=submission(version, "collector", 0), headers=clients.csrf("collector"))  # fmt: skip
        assert r.status_code == 201, r.get_json()
        return r.get_json()["version"]

    def review(action, version):
        body = {"action": action, "version": version, "reason": "门牌号不对", "visit_checked": True}
        r = officer.post(f"{url}/review", json=body, headers=clients.csrf("officer"))
        assert r.status_code == 200, r.get_json()
        return r.get_json()["version"]

    def kept():
        with demo_db.session() as s:
            b = s.get(Building, house.id)
            return b.first_collected_at, b.first_checked_at, b.first_check_passed, b.collected_at

    version = submit(None)
    first, checked, passed, latest = kept()
    assert first == latest and (checked, passed) == (None, None)
    version = review("return", version)  # the first check fails
    _, checked, passed, _ = kept()
    assert checked is not None and passed is False
    version = review("verify", submit(version))  # resubmitted, then verified
    first_now, checked_now, passed_now, latest = kept()
    assert (first_now, checked_now, passed_now) == (first, checked, False) and latest > first


def test_the_workbook_and_the_printable_page_show_the_apis_figures(clients):
    """One function behind the API, the meeting's workbook and the printable page."""
    from io import BytesIO

    from openpyxl import load_workbook

    client = clients("leader")
    api = client.get("/api/coverage?kind=houses&as_of=2016-05-25").get_json()
    r = client.get("/reports/coverage.xlsx?as_of=2016-05-25")
    assert r.status_code == 200 and r.headers["Content-Disposition"].endswith('coverage-2016-05-25.xlsx"')
    sheet = load_workbook(BytesIO(r.data))["实有房屋"]
    rows = {row[1]: row for row in sheet.iter_rows(values_only=True) if row and isinstance(row[1], str)}
    for village in api["villages"][:5]:
        row = rows[village["name"]]
        assert village["task"] in row and village["collected"] in row, (village, row)
    total = next(row for row in sheet.iter_rows(values_only=True) if row and row[0] == "合计")
    assert api["total"]["collected"] in total and api["total"]["task"] in total
    page = client.get("/reports/coverage?as_of=2016-05-25")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert (
        all(v["name"] in text for v in api["villages"])
        and "合计" in text
        and "http" not in text.replace("http-equiv", "")
    )
    assert clients("collector").get("/reports/coverage.xlsx").status_code == 403
