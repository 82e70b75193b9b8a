from datetime import date
from pathlib import Path

import pytest

from geoapp.domain.address import standard_address
from geoapp.domain.calendar import Campaign
from geoapp.domain.errors import Conflict, Forbidden, InvalidInput
from geoapp.domain.status import Status, check_transition
from geoapp.domain.tasks import read_task_table
from geoapp.domain.uses import BuildingUse, parse_use

TASKS = Path(__file__).resolve().parents[2] / "gis_data" / "task_table.csv"


def test_task_table_reconciles_and_has_28_villages():
    table = read_task_table(TASKS)
    assert len(table.villages) == 28
    assert table.total_people == table.station.people
    assert table.total_houses == table.station.houses
    assert table.station.units == 400


def test_task_table_that_does_not_reconcile_is_refused(tmp_path):
    bad = tmp_path / "tasks.csv"
    bad.write_text(
        "unit,kind,people,houses,units\nA村,village,10,3,\n派出所,station,11,3,1\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="does not reconcile"):
        read_task_table(bad)


def test_status_transitions_follow_roles():
    check_transition(Status.UNCOLLECTED, Status.COLLECTED, "collector")
    check_transition(Status.COLLECTED, Status.VERIFIED, "officer")
    with pytest.raises(Forbidden):
        check_transition(Status.COLLECTED, Status.VERIFIED, "collector")
    with pytest.raises(Conflict):
        check_transition(Status.UNCOLLECTED, Status.VERIFIED, "officer")


def test_standard_address():
    assert standard_address("余坪镇", "上新村", "上新一巷", "12") == "余坪镇上新村上新一巷12号"
    assert standard_address("余坪镇", "上新村").endswith("（未编门牌）")


def test_use_aliases():
    assert parse_use("沿街铺面") is BuildingUse.SHOP
    assert parse_use("factory") is BuildingUse.FACTORY
    assert parse_use(None) is BuildingUse.DWELLING
    assert parse_use("仓库") is BuildingUse.OTHER


def test_campaign_calendar_stages():
    c = Campaign()
    assert c.stage_on(date(2016, 5, 1)).target == 0.6
    assert c.stage_on(date(2016, 6, 15)).target == 1.0
    assert c.stage_on(date(2016, 12, 1)) is None
