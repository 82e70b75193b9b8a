"""Translations (Flask-Babel). Chinese (zh_CN) is the default; English is available."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext

LOCALES = ("zh_CN", "en")


def select_locale() -> str:
    if has_request_context():
        chosen = request.args.get("lang") or session.get("lang")
        if chosen in LOCALES:
            return chosen
        cookie = request.cookies.get("lang")
        if cookie in LOCALES:
            return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_babel(app: Flask) -> None:
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(app.extensions["geoapp.root"] / "geoapp" / "translations")
    )
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale


def translate(template: str) -> str:
    """Translate a msgid (for messages built from domain templates)."""
    return gettext(template) if template else template
