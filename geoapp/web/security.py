"""Security headers. The Content-Security-Policy allows only the app's own origin (and the
images of the online basemaps GEOAPP_BASEMAP names);
the inline scripts and styles folium writes carry a per-request nonce. Responses
served over HTTPS (``geoapp serve --cert/--key``) tell the browser to use HTTPS only
for this host from then on (HSTS); plain-HTTP responses never carry that header."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request

from geoapp.domain.basemaps import tile_hosts

HSTS_MAX_AGE_S = 365 * 24 * 3600  # a year: phones keep using HTTPS between campaigns


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _tile_hosts() -> str:
    """The online basemaps' tile servers (GEOAPP_BASEMAP), if any are configured."""
    hosts = tile_hosts(current_app.extensions["geoapp.settings"].basemaps)
    return "".join(f" {h}" for h in hosts)


def init_security(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response):
        nonce = csp_nonce()
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            f"style-src 'self' 'nonce-{nonce}'; "
            f"img-src 'self' data: blob:{_tile_hosts()}; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.is_secure:  # never on plain HTTP (browsers ignore it there, and it would be a lie)
            response.headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_S}"
        if not request.path.startswith(("/static/", "/vendor/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
