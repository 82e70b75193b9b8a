"""The small request bodies, one model each (the submission has its own module,
``submission.py``). Parsed with :func:`geoapp.domain.schema.parse`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from geoapp.domain.reviewing import MAX_BULK, MAX_SAMPLE, MAX_SEED
from geoapp.domain.schema import Count, FormInt, Id, RequestModel

Text = Annotated[str | None, Field(max_length=2000)]
Code = Annotated[str | None, Field(max_length=40)]


class ReviewIn(RequestModel):
    """``POST /api/buildings/<id>/review``: verify, or return with a reason."""

    action: Literal["verify", "return"]
    version: Count
    reason: Text = None
    reason_code: Code = None  # one of ``domain/reviewing.py`` RETURN_REASONS
    visit_checked: bool | None = None


class BulkItem(RequestModel):
    id: Id
    version: Count


class BulkVerifyIn(RequestModel):
    """``POST /api/review/bulk``: verify these houses of one collector, all or none."""

    collector: Annotated[str, Field(min_length=1, max_length=60)]
    items: Annotated[list[BulkItem], Field(min_length=1, max_length=MAX_BULK)]


class SampleIn(RequestModel):
    """``POST /api/revisits/samples``: draw houses of a village or of a collector to visit again."""

    village: Id | None = None
    collector: Annotated[str | None, Field(max_length=60)] = None
    size: Annotated[int, Field(ge=1, le=MAX_SAMPLE)]
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = None


class RevisitResultIn(RequestModel):
    """``POST /api/revisits/<id>/result``: the record was right, or wrong (with a reason)."""

    result: Literal["confirmed", "wrong"]
    version: Count
    reason: Text = None
    reason_code: Code = None


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
