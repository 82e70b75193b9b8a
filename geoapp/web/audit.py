"""The audit log page, and one record's history as JSON (officers and administrators)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext

from geoapp.domain.roles import Role
from geoapp.services.accounts import audit_log
from geoapp.web.access import access, require_scope
from geoapp.web.context import read_session
from geoapp.web.labels import audit_labels
from geoapp.web.parsing import parse_int

bp = Blueprint("audit", __name__)
STAFF = (Role.OFFICER, Role.ADMIN)


@bp.get("/audit")
@access(*STAFF)
def page():
    flt = audit_log.parse_filter(request.args)
    result = audit_log.search(
        read_session(),
        require_scope(),
        flt,
        page=parse_int("page", 1),
        per_page=parse_int("per_page", audit_log.PER_PAGE),
    )
    return render_template(
        "audit.html",
        result=result,
        filters=audit_log.filter_args(request.args),
        title=gettext("Audit log"),
        **audit_labels(),
    )


@bp.get("/api/audit/history")
@access(*STAFF)
def history():
    object_type, object_id = request.args.get("object_type"), request.args.get("object_id")
    result = audit_log.history(
        read_session(),
        require_scope(),
        object_type,
        object_id,
        page=parse_int("page", 1),
        per_page=parse_int("per_page", audit_log.PER_PAGE),
    )
    return jsonify(
        {
            "object_type": object_type,
            "object_id": object_id,
            "items": [e.as_json() for e in result.items],
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
        }
    )
