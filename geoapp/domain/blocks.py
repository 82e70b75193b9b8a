"""Street-front blocks: the request bodies of their endpoints (plain Python, no database)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import shapely
from pydantic import BeforeValidator, Field

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.schema import Id, RequestModel, checked

MAX_BLOCKS_AT_ONCE = 500
MAX_VERTICES = 2000


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(N_("%(field)s must be a date written YYYY-MM-DD, e.g. 2016-05-25; got %(value)s."),
                       field="due", value=str(value)[:40])  # fmt: skip


def _geometry(kinds: tuple[str, ...]):
    def parse(value: Any):
        if not isinstance(value, dict) or value.get("type") not in kinds:
            raise InvalidInput(
                N_("%(field)s must be a GeoJSON %(kind)s."), field="geometry", kind="/".join(kinds)
            )
        try:
            geom = shapely.from_geojson(_dumps(value))
        except Exception:  # GEOS reports several kinds of error
            raise InvalidInput(N_("%(field)s must be a GeoJSON %(kind)s."), field="geometry",
                               kind="/".join(kinds)) from None  # fmt: skip
        if shapely.get_num_coordinates(geom) > MAX_VERTICES:
            raise InvalidInput(
                N_("%(field)s has more than %(max)d points."), field="geometry", max=MAX_VERTICES
            )
        return geom

    return parse


def _dumps(value: dict) -> str:
    import json

    return json.dumps(value)


Day = Annotated[date | None, BeforeValidator(checked(_day))]
Polygonal = Annotated[Any, BeforeValidator(checked(_geometry(("Polygon", "MultiPolygon"))))]
Linear = Annotated[Any, BeforeValidator(checked(_geometry(("LineString",))))]
Username = Annotated[str, Field(min_length=1, max_length=60)]


class AssignIn(RequestModel):
    """``POST /api/blocks/<id>/assignment`` (and ``/api/blocks/assignment`` with ``blocks``)."""

    officer: Username
    due: Day = None
    blocks: Annotated[list[Id], Field(max_length=MAX_BLOCKS_AT_ONCE, default_factory=list)]


class VillageAssignIn(RequestModel):
    """``POST /api/villages/<id>/assignment``."""

    collector: Username
    due: Day = None


class GenerateIn(RequestModel):
    """``POST /api/blocks/generate``: streets (default: the market town's) and sizes."""

    streets: Annotated[list[Id], Field(max_length=1000, default_factory=list)]
    max_buildings: Annotated[int | None, Field(ge=1, le=1000)] = None
    max_metres: Annotated[int | None, Field(ge=1, le=10_000)] = None


class BlockShapeIn(RequestModel):
    """``POST /api/blocks`` (a new block) and ``PUT /api/blocks/<id>/shape`` (reshaped)."""

    geometry: Polygonal
    name: Annotated[str | None, Field(max_length=100)] = None


class SplitIn(RequestModel):
    line: Linear


class MergeIn(RequestModel):
    other: Id
