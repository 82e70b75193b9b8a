"""Versioned asset URLs: every `/static/` and `/vendor/` URL in a page carries `?v=` (a hash of
the file, the package's version), and such a response may be kept a year without revalidation."""

from __future__ import annotations

import re

import pytest
from flask import Flask, url_for

from geoapp.web.assets import IMMUTABLE, init_versioned_assets


def _get(client, url):
    response = client.get(url)
    body = response.get_data()
    response.close()
    return response, body


def test_the_map_pages_assets_are_versioned_and_kept_a_year(clients):
    officer = clients("officer")
    _response, body = _get(officer, "/")
    urls = re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', body.decode())
    assert any(u.startswith("/static/") for u in urls) and any(u.startswith("/vendor/") for u in urls)
    for url in urls:
        assert re.search(r"\?v=[\w.\-]+$", url.replace("&amp;", "&")), url
    for url in {urls[0], next(u for u in urls if u.startswith("/vendor/"))}:
        response, _ = _get(officer, url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        bare, _ = _get(officer, url.split("?")[0])  # no version: revalidated as before
        assert "immutable" not in bare.headers.get("Cache-Control", "")
        stale, _ = _get(officer, url.split("?")[0] + "?v=0ld")  # not this file's version
        assert "immutable" not in stale.headers.get("Cache-Control", "")


@pytest.fixture
def static_app(tmp_path):
    def build():
        app = Flask("versions", static_folder=str(tmp_path), static_url_path="/static")
        init_versioned_assets(app)
        return app

    return build


def _static_url(app, filename):
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_a_changed_file_gets_another_version(static_app, tmp_path):
    (tmp_path / "a.js").write_text("var a = 1;")
    first = _static_url(static_app(), "a.js")
    assert first.startswith("/static/a.js?v=")
    assert _static_url(static_app(), "a.js") == first  # same content, same URL
    (tmp_path / "a.js").write_text("var a = 2;")
    assert _static_url(static_app(), "a.js") != first
    assert _static_url(static_app(), "missing.js") == "/static/missing.js"  # nothing to hash
