"""What each layer offers as OGC API features: one SELECT per layer, its columns
labelled ``id``, then the geometry (``geom`` as WKB, or ``lon`` and ``lat`` for a
point), then the feature's properties. Scoped to the caller like every other read;
nothing here names a person (no owners, legal representatives or phone numbers).

``services/gis_io/ogc.py`` pages, counts and encodes these selects; a layer offers
features by naming its function in its ``LayerSource`` (``registry.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from geoapp.domain.roles import Role, Scope
from geoapp.services.accounts.scoping import scoped
from geoapp.services.gis_io.layers import raw_geom, street_counts, village_counts
from geoapp.store.models import Building, Street, Unit, Village
from geoapp.store.spatial_index import BBox, bbox_filter


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def villages(session: Session, scope: Scope, *, bbox: BBox | None = None) -> Select:
    """Village boundaries with their task numbers and progress (houses collected of the task)."""
    counts = village_counts()
    collected = func.coalesce(counts.c.collected, 0)
    stmt = select(
        Village.id.label("id"),
        raw_geom(Village.geom, _dialect(session)).label("geom"),
        Village.code.label("code"),
        Village.name.label("name"),
        Village.task_people.label("task_people"),
        Village.task_houses.label("task_houses"),
        Village.task_units.label("task_units"),
        func.coalesce(counts.c.houses, 0).label("houses"),
        collected.label("collected"),
        func.coalesce(counts.c.verified, 0).label("verified"),
        case((Village.task_houses > 0, collected * 1.0 / Village.task_houses), else_=None).label("progress"),
    ).outerjoin(counts, counts.c.vid == Village.id)
    if not scope.whole_town:  # collectors their village, reporters their unit's
        stmt = stmt.where(Village.id.in_(scoped(select(Building.village_id), scope)))
    if bbox is not None:
        stmt = stmt.where(bbox_filter(Village, bbox, _dialect(session)))
    return stmt


def streets(session: Session, scope: Scope, *, bbox: BBox | None = None) -> Select:
    """Streets (everyone walks them) with how many of their houses in the caller's scope
    there are and how many are still uncollected."""
    counts = street_counts(scope)
    stmt = select(
        Street.id.label("id"),
        raw_geom(Street.geom, _dialect(session)).label("geom"),
        Street.name.label("name"),
        Street.kind.label("kind"),
        func.coalesce(counts.c.houses, 0).label("houses"),
        func.coalesce(counts.c.left, 0).label("uncollected"),
    ).outerjoin(counts, counts.c.sid == Street.id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(Street, bbox, _dialect(session)))
    return stmt


def buildings(session: Session, scope: Scope, *, bbox: BBox | None = None) -> Select:
    """Houses with their address, use and collection status (no owner)."""
    stmt = scoped(
        select(
            Building.id.label("id"),
            raw_geom(Building.geom, _dialect(session)).label("geom"),
            Building.address.label("address"),
            Building.door_no.label("door_no"),
            Street.name.label("street"),
            Building.village_id.label("village_id"),
            Village.name.label("village"),
            Building.use.label("use"),
            Building.floors.label("floors"),
            Building.structure.label("structure"),
            Building.status.label("status"),
        )
        .join(Village, Village.id == Building.village_id)
        .outerjoin(Street, Street.id == Building.street_id),
        scope,
    )
    if bbox is not None:
        stmt = stmt.where(bbox_filter(Building, bbox, _dialect(session)))
    return stmt


def units(session: Session, scope: Scope, *, bbox: BBox | None = None, kinds: Sequence[str] = ()) -> Select:
    """Units placed on the map, at their building's point: name, kind, credit code, staff
    and status (no legal representative, no phone). A reporter: their own unit."""
    stmt = scoped(
        select(
            Unit.id.label("id"),
            Building.lon.label("lon"),
            Building.lat.label("lat"),
            Unit.name.label("name"),
            Unit.kind.label("kind"),
            Unit.uscc.label("uscc"),
            Unit.staff.label("staff"),
            Unit.status.label("status"),
            Unit.building_id.label("building_id"),
            Building.address.label("address"),
        ).join(Building, Building.id == Unit.building_id),
        scope,
    )
    if scope.role == Role.REPORTER:
        stmt = stmt.where(Unit.id == scope.unit_id)
    if kinds:
        stmt = stmt.where(Unit.kind.in_(list(kinds)))
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        stmt = stmt.where(Building.lon.between(minx, maxx), Building.lat.between(miny, maxy))
    return stmt
