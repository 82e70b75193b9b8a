"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session
from flask_babel import gettext

from geoapp.domain.roles import ALL_ROLES
from geoapp.i18n import LOCALES
from geoapp.maps.render import render_map
from geoapp.maps.town import town_map
from geoapp.services.layers import town_bounds
from geoapp.web.access import access
from geoapp.web.context import read_session
from geoapp.web.security import csp_nonce

bp = Blueprint("pages", __name__)


@bp.before_app_request
def _remember_language():
    lang = request.args.get("lang")
    if lang in LOCALES:
        session["lang"] = lang


@bp.get("/")
@access(*ALL_ROLES)
def town():
    m = town_map(town_bounds(read_session()))
    return render_template("map.html", parts=render_map(m, csp_nonce()), title=gettext("Town map"))
