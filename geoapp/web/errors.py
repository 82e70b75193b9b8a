"""One place that maps typed errors to HTTP responses."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from geoapp.domain.errors import GeoappError, InvalidInput
from geoapp.i18n import translate


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_errors(app: Flask) -> None:
    @app.errorhandler(GeoappError)
    def _domain_error(exc: GeoappError):
        message = exc.render(translate)
        status = exc.http_status
        if _wants_json():
            body = {"error": type(exc).__name__, "message": message}
            if isinstance(exc, InvalidInput) and exc.field:
                body["field"] = exc.field
            return jsonify(body), status
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if _wants_json():
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        return render_template("error.html", message=exc.description, status=exc.code), exc.code
