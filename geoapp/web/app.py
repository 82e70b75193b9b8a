"""The application factory's body (``geoapp.create_app`` calls this)."""

from __future__ import annotations

from flask import Flask, g

from geoapp.config import ROOT, Settings


def build_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        "geoapp",
        root_path=str(ROOT / "geoapp"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        MAX_CONTENT_LENGTH=200 * 1024 * 1024,
        JSON_AS_ASCII=False,
        TESTING=settings.test_mode,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="geoapp_session",
        PERMANENT_SESSION_LIFETIME=settings.session_lifetime_hours * 3600,
    )
    from geoapp.store.db import Database

    app.extensions["geoapp.settings"] = settings
    app.extensions["geoapp.root"] = ROOT
    app.extensions["geoapp.db"] = Database(settings.database_url)

    from geoapp.i18n import init_babel

    init_babel(app)

    from geoapp.web import (
        access,
        addresses,
        admin,
        api,
        assets,
        audit,
        auth,
        blocks,
        entry,
        errors,
        exports,
        leaders,
        offline,
        ogc,
        openapi,
        pages,
        parsing,
        reports,
        review,
        security,
        tiles,
        units,
        vendor,
    )

    parsing.init_parsing(app)  # before the blueprints: their <int:…> ids are bounded
    security.init_security(app)
    errors.init_errors(app)
    access.init_access(app)
    assets.init_versioned_assets(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(addresses.bp)
    app.register_blueprint(leaders.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(units.bp)
    app.register_blueprint(blocks.bp)
    app.register_blueprint(entry.bp)
    app.register_blueprint(ogc.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(offline.bp)
    app.register_blueprint(tiles.bp)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    return app
