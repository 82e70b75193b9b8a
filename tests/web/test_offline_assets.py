"""The service worker and the web app manifest are served by the app itself (same origin,
allowed by the Content-Security-Policy), in Chinese, with icons made from the favicon."""

from __future__ import annotations

import json


def _get(client, url):
    response = client.get(url)
    body = response.get_data()
    response.close()
    return response, body


def test_the_worker_and_the_manifest_are_served_by_the_app(demo_client):
    worker, script = _get(demo_client, "/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert b"__CACHE_VERSION__" not in script and b'"geoapp-' in script
    assert "default-src 'self'" in worker.headers["Content-Security-Policy"]
    response, body = _get(demo_client, "/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(body)
    assert manifest["name"] == "入户登记" and manifest["display"] == "standalone" and manifest["scope"] == "/"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert _get(demo_client, icon["src"])[0].status_code == 200


def test_the_collectors_map_links_the_manifest(clients):
    _response, body = _get(clients("collector"), "/")
    assert b'rel="manifest" href="/manifest.webmanifest"' in body
    assert b"offline.js" in body
