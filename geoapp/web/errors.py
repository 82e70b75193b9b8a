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


# Werkzeug's own texts are English: each HTTP error a user can meet gets a Chinese-first message.
HTTP_MESSAGES = {
    400: N_("The request was not understood: go back and try again."),
    401: N_("You are not signed in: sign in and try again."),
    403: N_("Your account may not open this page: ask an administrator if you need it."),
    404: N_("There is no such page or record: check the address, or go back to the map."),
    405: N_("This address does not take this kind of request: go back and use the page's buttons."),
    413: N_("What was sent is too large: send a smaller file."),
    500: N_("Something went wrong on the server: try again, and tell an administrator if it happens again."),
}
OTHER_HTTP_ERROR = N_("The request could not be completed (HTTP %(code)s): go back and try again.")


def http_message(code: int | None) -> str:
    """The user's message for an HTTP error, in their language."""
    if code in HTTP_MESSAGES:
        return translate(HTTP_MESSAGES[code])
    return translate(OTHER_HTTP_ERROR) % {"code": code}


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
        message = http_message(exc.code)
        if _wants_json():
            return jsonify({"error": exc.name, "message": message}), exc.code
        return render_template("error.html", message=message, status=exc.code), exc.code
