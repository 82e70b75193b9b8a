"""A short, bounded load test and crash test against `geoapp serve --workers 2` on PostGIS
(the full ones are `bench/load_test.py` and `bench/crash_submit.py`): no timing asserted,
only that nothing failed and that what was acknowledged is what the database holds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import pg_clone, pg_drop

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import crash_submit
import load_test

pytestmark = [
    pytest.mark.postgis,
    pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT and SIGKILL of a subprocess"),
]


@pytest.fixture
def town(request, postgis_base):
    url = pg_clone(postgis_base, request.getfixturevalue("pg_demo_template"))
    yield url
    pg_drop(postgis_base, url)


def test_ten_collectors_for_five_seconds_on_two_processes(town, tmp_path):
    shares = load_test.prepare(town, collectors=10, villages=10)
    run = load_test.measure(town, 2, shares, seconds=5, pause=0.5, log=tmp_path / "serve.log")
    assert run["tally"].errors == []
    assert len(run["pids"]) == 2  # two processes served
    assert run["checked"]["acknowledged"] > 0
    assert load_test.ok(run), run["checked"]  # acknowledged = stored, once


def test_a_process_killed_while_collectors_submit_loses_nothing_acknowledged(town, tmp_path):
    result = crash_submit.run(town, collectors=8, seconds=6, kills=1, log=tmp_path / "serve.log")
    assert len(result["killed"]) == 1 and result["restarted"] >= 1, result["log"]
    assert result["crash"].errors == [] and result["crash"].unanswered == []
    assert result["checked"]["acknowledged"] > 0
    assert crash_submit.ok(result), result["checked"]
