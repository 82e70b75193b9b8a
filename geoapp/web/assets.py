"""Versioned asset URLs for the app's own files (``/static/``) and the npm packages it serves
(``/vendor/``): every URL the app writes carries ``?v=`` (a short hash of the file, or the
package's installed version), and an answer to the current ``v`` is kept by the browser a
year. A file changed under a running server keeps its old ``v`` until the server restarts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Flask, request
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"


def _static_version(app: Flask, filename: str) -> str | None:
    """A short hash of one static file's content, computed once per file per app."""
    versions = app.extensions.setdefault("geoapp.static_versions", {})
    if filename not in versions:
        path = safe_join(app.static_folder, filename) if app.static_folder else None
        ok = path is not None and Path(path).is_file()
        versions[filename] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10] if ok else None
    return versions[filename]


def _package_version(app: Flask, package: str) -> str | None:
    """The installed version of one front-end package (its package.json), once per app."""
    versions = app.extensions.setdefault("geoapp.vendor_versions", {})
    if package not in versions:
        path = app.extensions["geoapp.settings"].node_modules / package / "package.json"
        try:
            versions[package] = str(json.loads(path.read_text(encoding="utf-8"))["version"])
        except (OSError, ValueError, KeyError):
            versions[package] = None
    return versions[package]


def _current_version(app: Flask, endpoint: str | None, values: dict) -> str | None:
    if endpoint == "static" and values.get("filename"):
        return _static_version(app, values["filename"])
    if endpoint == "vendor.asset" and values.get("package"):
        return _package_version(app, values["package"])
    return None


def init_versioned_assets(app: Flask) -> None:
    @app.url_defaults
    def _version(endpoint, values):
        if "v" not in values:
            version = _current_version(app, endpoint, values)
            if version:
                values["v"] = version

    @app.after_request
    def _long_cache(response):
        v = request.args.get("v")
        fresh = v and v == _current_version(app, request.endpoint, dict(request.view_args or {}))
        if fresh and response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
