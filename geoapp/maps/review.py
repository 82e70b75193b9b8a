"""The officers' review panel (``static/js/review.js``): opened from a house's map popup,
from the review list or from a search, it shows the house, the visit proof, who is
registered (masked), what changed since the last check and the re-visit tasks, with
verify / return (common reasons) and the re-visit result. A right-side panel on a
desktop, a bottom sheet on a phone. The same options serve the map and the list."""

from __future__ import annotations

import folium
from flask import url_for
from flask_babel import gettext

from geoapp.domain.fields import FIELD_LABELS
from geoapp.domain.reviewing import RETURN_REASONS, REVISIT_LABELS
from geoapp.domain.status import STATUS_LABELS
from geoapp.domain.uses import USE_LABELS
from geoapp.domain.visits import FLAG_LABELS
from geoapp.maps.collector import ID_TYPE_LABELS, RESIDENCE_LABELS
from geoapp.maps.tools import ScriptTool

HELPERS = ("geoapp-time.js",)
# Fields whose changes the panel names (a house's own, a person's).
PANEL_FIELDS = ("name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "phone", "hukou_address",
                "residence_type", "separated", "relation", "employer_unit_id",
                "use", "floors", "structure", "owner_name", "door_no")  # fmt: skip


def review_options() -> dict:
    _ = gettext
    building = url_for("api.building", building_id=0)[:-1]
    return {
        "urls": {
            "building": building,  # + id: the house with its people (masked, charged to the budget)
            "review": building,  # + id + "/review": GET the panel's data, POST verify/return
            "bulk": url_for("review.bulk"),
            "samples": url_for("review.draw_sample"),
            "revisits": url_for("review.revisit_result", revisit_id=0)[: -len("0/result")],
            "map": url_for("pages.town"),
            "history": url_for("audit.page"),
        },
        "reasons": [[code, _(label)] for code, label in RETURN_REASONS.items()],
        "status": {s.value: _(label) for s, label in STATUS_LABELS.items()},
        "flags": {f.value: _(label) for f, label in FLAG_LABELS.items()},
        "uses": {u.value: _(label) for u, label in USE_LABELS.items()},
        "revisit": {r.value: _(label) for r, label in REVISIT_LABELS.items()},
        "fields": {name: _(FIELD_LABELS[name]) for name in PANEL_FIELDS},
        "values": {
            "id_type": {k: _(v) for k, v in ID_TYPE_LABELS.items()},
            "residence_type": {k: _(v) for k, v in RESIDENCE_LABELS.items()},
            "sex": {"male": _("male"), "female": _("female")},
            "use": {u.value: _(label) for u, label in USE_LABELS.items()},
            "bool": {"true": _("yes"), "false": _("no")},
        },
        "text": {
            "title": _("Review"),
            "open": _("Review…"),
            "close": _("Close"),
            "loading": _("Loading…"),
            "village": _("Village"),
            "unnamed": _("Unnamed road"),
            "use": _("Use"),
            "status": _("Status"),
            "floors": _("Floors"),
            "returnedBecause": _("Returned because"),
            "proof": _("Visit proof"),
            "noVisit": _("No visit recorded (imported, or collected before visits were recorded)."),
            "collector": _("Collector"),
            "submittedAt": _("Submitted"),
            "deviceTime": _("Phone's clock"),
            "distance": _("Distance from the house"),
            "accuracy": _("Position accuracy"),
            "metres": _("{n} m"),
            "proofOk": _("The visit is proven: submitted at the house."),
            "flagHelp": {
                "far": _(
                    "The phone was {n} m from the house when the record was submitted: ask the collector whether they were there, or visit it."
                ),
                "vague": _(
                    "The phone's position was too imprecise (±{n} m) to prove that the collector was at the house."
                ),
                "no_position": _("The record was submitted without any position: nothing proves the visit."),
            },
            "flagOriginal": _("When submitted: {flag}"),
            "empty": _("Reported empty"),
            "people": _("Registered people"),
            "noPeople": _("Nobody is registered in this house."),
            "household": _("Household {n}"),
            "changes": _("What changed since the last check"),
            "lastCheck": _("Last check: {action} on {at} by {who}"),
            "lastCheckOld": _("Last check: {at} (before the audit trail)"),
            "neverChecked": _("Never checked: everything below is new."),
            "verified": _("verified"),
            "returned": _("returned"),
            "noChanges": _("No changes recorded since the last check."),
            "submissions": _("{n} submissions, {e} edits since then"),
            "peopleCount": _("People: {before} → {after}"),
            "added": _("Added"),
            "removedPeople": _("Removed"),
            "changedPeople": _("Changed"),
            "movedIn": _("{n} moved in from another house"),
            "moveRequests": _("{n} moves requested from another village"),
            "unitsRemoved": _("{n} units removed"),
            "emptyValue": _("(empty)"),
            "actions": _("Check"),
            "verify": _("Verify"),
            "giveBack": _("Return for correction"),
            "confirmReturn": _("Return with this reason"),
            "reasonHint": _("What must the collector correct? (optional when a common reason is chosen)"),
            "reasonChoice": _("Common reason"),
            "reasonNone": _("— choose a common reason —"),
            "visitChecked": _("I checked this flagged visit"),
            "ownSubmission": _("You submitted this house yourself: another officer verifies it."),
            "done": {
                "verified": _("Verified. The house now counts as verified."),
                "returned": _("Returned to the collector with the reason."),
                "confirmed": _("Re-visit recorded: the record is right."),
                "wrong": _("Re-visit recorded: the record was wrong and is returned to the collector."),
            },
            "conflict": _("Someone changed this house while you were looking at it."),
            "reload": _("Reload the house"),
            "revisit": _("Re-visit (random sample)"),
            "revisitSample": _("Sample {n}"),
            "revisitConfirm": _("The record is right"),
            "revisitWrong": _("The record is wrong"),
            "revisitConfirmWrong": _("Record: wrong, with this reason"),
            "revisitReasonHint": _("What was wrong?"),
            "history": _("History of this record"),
            "onMap": _("Open on the map"),
            "bulkDone": _("{n} houses verified."),
            "bulkConfirm": _("Verify the {n} houses listed?"),
            "sampleDone": _("Sample drawn: {n} houses (seed {seed})."),
        },
    }


def add_review_tools(m: folium.Map) -> None:
    ScriptTool("reviewer", "review.js", review_options(), helpers=HELPERS).add_to(m)
