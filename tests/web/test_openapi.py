"""The OpenAPI document at /api/openapi.json is generated from the route table and the
request models, and schemathesis, driving every operation in it with generated input
as an officer (API token), gets no 500 (a bounded number of examples per operation)."""

from __future__ import annotations

import os
import re
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings

from geoapp.web.openapi import PREFIXES
from tests.web.test_ogc import token_for

# Per operation: bounded so CI stays fast; GEOAPP_SCHEMATHESIS_EXAMPLES=200 searches deeper.
EXAMPLES = int(os.environ.get("GEOAPP_SCHEMATHESIS_EXAMPLES", "12"))


def test_document_lists_every_json_endpoint_with_its_request_model(clients, demo_db):
    bearer = token_for(demo_db, "officer")
    r = clients.app.test_client().get("/api/openapi.json", headers=bearer)
    assert r.status_code == 200 and r.mimetype == "application/vnd.oai.openapi+json"
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    listed = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    routes = {rule.endpoint for rule in clients.app.url_map.iter_rules() if rule.rule.startswith(PREFIXES)}
    assert listed == routes
    submit = doc["paths"]["/api/buildings/{building_id}/submission"]["post"]
    ref = submit["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    households = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["households"]
    assert (
        households["anyOf"][0]["maxItems"] == 30
    )  # domain/submission.py MAX_HOUSEHOLDS, not retyped by hand
    items = doc["paths"]["/ogc/collections/{name}/items"]["get"]
    limit = next(p for p in items["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10_000
    assert {p["name"] for p in items["parameters"]} >= {"bbox", "limit", "offset", "crs", "f"}
    # generated: no operation's parameters were written into this module by hand
    assert "/api/" in r.get_data(as_text=True) and not re.search(r"openapi\.ya?ml", str(doc))


def driver(operation, bearer: dict, seen: list[str], statuses: Counter):
    """A hypothesis test of one operation recording (up to 3) server errors."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def drive(case):
        response = case.call(headers=bearer)  # an exception in the app (TESTING) fails the test too
        statuses[response.status_code // 100 * 100] += 1
        if response.status_code >= 500 and len(seen) < 3:
            seen.append(f"{operation.label}: {response.status_code} for {case.path_parameters} "
                        f"{case.query} {str(case.body)[:300]}")  # fmt: skip

    return drive


def test_schemathesis_finds_no_server_error(clients, demo_db):
    bearer = token_for(demo_db, "officer")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", clients.app, headers=bearer)
    failures: list[str] = []
    operations, answered, statuses = 0, 0, Counter()
    for result in schema.get_all_operations():
        operations += 1
        seen: list[str] = []
        before = statuses[200]
        driver(result.ok(), bearer, seen, statuses)()
        answered += statuses[200] > before
        failures += seen
    print(f"schemathesis: {operations} operations, answers by class {dict(statuses)}")
    assert operations >= 39 and answered >= operations // 2  # most operations were really reached
    assert failures == [], "\n".join(failures)
