"""geoapp: web GIS for a town's 三实 door-to-door registration campaign."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from geoapp.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app (imports stay inside so ``import geoapp`` is light)."""
    from geoapp.web.app import build_app

    return build_app(settings)
