"""The officer's review beyond one verify/return: the review panel's data, the review
list as JSON, bulk verification, and re-visit samples (officers and administrators)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from geoapp.domain.clock import utc_iso
from geoapp.domain.requests import BulkVerifyIn, RevisitResultIn, SampleIn
from geoapp.domain.roles import REVIEW_ROLES
from geoapp.services.campaign import review as review_service
from geoapp.services.campaign import revisits as revisit_service
from geoapp.web.access import access, require_scope
from geoapp.web.api import charge_people
from geoapp.web.context import database, read_session
from geoapp.web.labels import reason_labels
from geoapp.web.parsing import body, parse_int

bp = Blueprint("review", __name__, url_prefix="/api")


@bp.get("/buildings/<int:building_id>/review")
@access(*REVIEW_ROLES)
def info(building_id: int):
    scope = require_scope()
    answer = review_service.review_info(read_session(), scope, building_id)
    charge_people(scope, review_service.people_named(answer["changes"]))
    return jsonify(answer)


def queue_args() -> dict:
    """The review list's filters, shared by the page and ``GET /api/review/queue``."""
    return {
        "village_id": parse_int("village"),
        "flagged_only": request.args.get("flagged") == "1",
        "unflagged_only": request.args.get("unflagged") == "1",
        "collector": (request.args.get("collector") or "").strip()[:60] or None,
        "query": (request.args.get("q") or "").strip()[: review_service.MAX_QUERY] or None,
        "status": request.args.get("status") or "collected",
        "page": parse_int("page", 1, high=1_000_000),
    }


@bp.get("/review/queue")
@access(*REVIEW_ROLES)
def queue():
    page = review_service.review_queue(read_session(), require_scope(), **queue_args())
    items = [{**item, "collected_at": utc_iso(item["collected_at"])} for item in page.items]
    return jsonify({"items": items, "total": page.total, "page": page.page, "per_page": page.per_page})


@bp.post("/review/bulk")
@access(*REVIEW_ROLES)
def bulk():
    request_body = body(BulkVerifyIn)
    with database().write() as s:
        answer = review_service.bulk_verify(s, require_scope(), request_body)
    return jsonify(answer)


@bp.post("/revisits/samples")
@access(*REVIEW_ROLES)
def draw_sample():
    request_body = body(SampleIn)
    with database().write() as s:
        answer = revisit_service.draw(s, require_scope(), request_body)
    return jsonify(answer), 201


@bp.get("/revisits")
@access(*REVIEW_ROLES)
def revisits():
    scope = require_scope()
    status = request.args.get("status", "pending")
    items = revisit_service.list_revisits(
        read_session(), scope, status=status or None, sample_id=parse_int("sample")
    )
    samples = [
        {**s, "drawn_at": utc_iso(s["drawn_at"])} for s in revisit_service.list_samples(read_session(), scope)
    ]
    return jsonify({"items": items, "samples": samples})


@bp.post("/revisits/<int:revisit_id>/result")
@access(*REVIEW_ROLES)
def revisit_result(revisit_id: int):
    request_body = body(RevisitResultIn)
    with database().write() as s:
        answer = revisit_service.record_result(
            s, require_scope(), revisit_id, request_body, reason_labels=reason_labels()
        )
    return jsonify(answer)
