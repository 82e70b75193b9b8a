"""One place that maps typed errors to HTTP responses."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from geoapp.domain.errors import GeoappError, InvalidInput, TooManyRequests
from geoapp.domain.i18n import N_
from geoapp.domain.validators import FormErrors
from geoapp.i18n import translate
from geoapp.web.access import wants_json as _wants_json
from geoapp.web.parsing import InvalidPath


def _extra(err: GeoappError) -> dict:
    """Machine-readable hints a form needs: a move it may offer ("direct" or "request")."""
    return {"move": err.params["move"]} if "move" in err.params else {}


def init_errors(app: Flask) -> None:
    @app.errorhandler(GeoappError)
    def _domain_error(exc: GeoappError):
        message = exc.render(translate)
        status = exc.http_status
        if _wants_json():
            body = {"error": type(exc).__name__, "message": message}
            if isinstance(exc, InvalidInput) and exc.field:
                body["field"] = exc.field
            if getattr(exc, "conflict", None):  # a parallel update's clash: the phone shows both sides
                body["conflict"] = exc.conflict
            if isinstance(exc, FormErrors):
                body["errors"] = [
                    {"field": path, "message": err.render(translate), **_extra(err)}
                    for path, err in exc.errors
                ]
            response = jsonify(body)
        else:
            response = render_template("error.html", message=message, status=status)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequests) else {}
        return response, status, headers

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        message = translate(
            N_("The form has expired or did not come from this site: reload the page and try again.")
        )
        if _wants_json():
            return jsonify({"error": "CSRFError", "message": message}), 400
        return render_template("error.html", message=message, status=400), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if isinstance(exc, InvalidPath):
            return _domain_error(exc.error)
        if _wants_json():
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        return render_template("error.html", message=exc.description, status=exc.code), exc.code
