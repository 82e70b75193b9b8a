"""Per-request access to settings and a database session."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.store.db import Database


def settings() -> Settings:
    return current_app.extensions["geoapp.settings"]


def database() -> Database:
    return current_app.extensions["geoapp.db"]


def read_session() -> Session:
    """The request's read session, closed at teardown."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session
