"""GDAL's OAPIF driver (in the pyogrio wheel) opens every collection of /ogc against the
running app with a personal API token and reads the same features as the API gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import shapely

from geoapp.services.gis_io.ogc import offered
from tests.live import LiveServer
from tests.web.test_ogc import local, token_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_url(demo_app):
    with LiveServer(demo_app) as server:
        yield server.url


def api_features(client, bearer, name: str) -> list[dict]:
    out, url = [], f"/ogc/collections/{name}/items?limit=10000"
    while url:
        page = client.get(url, headers=bearer).get_json()
        out += page["features"]
        url = next((local(link["href"]) for link in page["links"] if link["rel"] == "next"), None)
    return out


@pytest.mark.parametrize("who", ["officer", "collector_a"])
def test_gdal_reads_every_collection_as_the_api_gives_it(clients, demo_db, live_url, who):
    bearer = token_for(demo_db, who)
    names = list(offered())
    # pyogrio holds the GIL while GDAL waits for the server: GDAL runs in its own process.
    run = subprocess.run(
        [sys.executable, "-m", "tests.web.ogc_read", f"{live_url}/ogc", bearer["Authorization"][7:], *names],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    read = json.loads(run.stdout)
    assert read["layers"] == names
    client = clients.app.test_client()
    for name in names:
        got, expected = read["read"][name], api_features(client, bearer, name)
        assert got["crs"] == "OGC:CRS84", name
        assert got["ids"] == [f["id"] for f in expected], name
        assert got["columns"] == list(expected[0]["properties"]) if expected else True, name
        assert got["properties"] == [f["properties"] for f in expected], name
        for wkb, feature in zip(got["wkb"], expected, strict=True):
            ours = shapely.geometry.shape(feature["geometry"])
            assert shapely.from_wkb(wkb).equals_exact(ours, 1e-9), (name, feature["id"])
    if who == "collector_a":  # scoped: the collector's village only
        assert {p["village_id"] for p in read["read"]["buildings"]["properties"]} == {clients.village_a}
