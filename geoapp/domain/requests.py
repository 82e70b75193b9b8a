"""The small request bodies, one model each (the submission has its own module,
``submission.py``). Parsed with :func:`geoapp.domain.schema.parse`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from geoapp.domain.schema import Count, FormInt, RequestModel

Text = Annotated[str | None, Field(max_length=2000)]


class ReviewIn(RequestModel):
    """``POST /api/buildings/<id>/review``: verify, or return with a reason."""

    action: Literal["verify", "return"]
    version: Count
    reason: Text = None
    visit_checked: bool | None = None


class BuildingPatchIn(RequestModel):
    """``PATCH /api/buildings/<id>``: a house's own attributes; anything else is refused."""

    model_config = ConfigDict(extra="forbid")

    version: Count
    use: Text = None
    floors: FormInt = None
    structure: Text = None
    owner_name: Text = None
    door_no: Text = None


class RevealIn(RequestModel):
    """``POST /api/people/<id>/reveal``."""

    field: Literal["id_number", "phone"]


class MoveDecisionIn(RequestModel):
    """``POST /api/moves/<id>/decision``: confirm a pending move, or reject it with a reason."""

    action: Literal["confirm", "reject"]
    reason: Text = None


class NumberingIn(RequestModel):
    """``POST /api/streets/<id>/numbering``: store the previewed run (its fingerprint)."""

    fingerprint: Annotated[str, Field(min_length=1, max_length=64)]
    start_odd: Count | None = None
    start_even: Count | None = None
