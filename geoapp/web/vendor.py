"""Serve front-end libraries installed from npm at set-up (never from a CDN)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

from geoapp.web.access import access
from geoapp.web.context import settings

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@cache
def _allowed_packages(package_json: Path) -> frozenset[str]:
    data = json.loads(package_json.read_text(encoding="utf-8"))
    return frozenset(data.get("dependencies", {}))


@bp.get("/<package>/<path:filename>")
@access(public=True)  # published libraries: nothing personal
def asset(package: str, filename: str):
    root = settings().node_modules
    if package not in _allowed_packages(root.parent / "package.json"):
        abort(404)
    return send_from_directory(root / package, filename, max_age=86400)
