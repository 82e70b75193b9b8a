"""The collector's phone with no signal: the service worker (served from the site's root so
that it controls every page) and the web app manifest (add to home screen).
The worker's cache is named after a hash of the static files and the front-end
packages, so a new release replaces the old cache (``static/sw.js``)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, url_for
from flask_babel import gettext

from geoapp.web.access import access

bp = Blueprint("offline", __name__)

THEME = "#223344"


@cache
def cache_version(static: Path, package_json: Path) -> str:
    """A short hash of every static file and the pinned packages: the cache's version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in static.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(static)).encode())
        digest.update(path.read_bytes())
    if package_json.exists():
        digest.update(package_json.read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
@access(public=True)  # the browser checks for a new worker even when nobody is logged in
def service_worker():
    root = current_app.extensions["geoapp.root"]
    static = root / "static"
    script = (static / "sw.js").read_text(encoding="utf-8")
    version = cache_version(static, root / "package.json")
    response = Response(script.replace("__CACHE_VERSION__", version), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # the browser compares it on every visit
    return response


@bp.get("/manifest.webmanifest")
@access(public=True)
def manifest():
    name = gettext("Door-to-door registration")
    icons = [
        {
            "src": url_for("static", filename=f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
        }
        for size in (192, 512)
    ]
    icons.append({"src": url_for("static", filename="favicon.svg"), "sizes": "any", "type": "image/svg+xml"})
    body = {
        "name": name,
        "short_name": gettext("Registration"),
        "lang": "zh-CN",
        "start_url": url_for("pages.town"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": icons,
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
