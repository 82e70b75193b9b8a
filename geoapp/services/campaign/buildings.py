"""Editing a house's own attributes (not its status: that moves through collection)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from geoapp.domain.errors import Forbidden, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope
from geoapp.domain.uses import BuildingUse
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import visible_building
from geoapp.store.versioning import check_version

EDITABLE = {"use", "floors", "structure", "owner_name", "door_no"}
EDITORS = frozenset({Role.COLLECTOR, Role.REPORTER, Role.OFFICER, Role.ADMIN})


def _clean(field: str, value):
    if field == "use":
        try:
            return BuildingUse(str(value)).value
        except ValueError:
            raise InvalidInput(
                N_("%(field)s must be one of dwelling, shop, factory, office, rental, empty, other."),
                field=field,
            ) from None
    if field == "floors":
        if value in (None, ""):
            return None
        try:
            floors = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(N_("%(field)s must be a whole number."), field=field) from None
        if not 1 <= floors <= 200:
            raise InvalidInput(N_("%(field)s must be between 1 and 200."), field=field)
        return floors
    text = None if value is None else str(value).strip()
    limit = {"structure": 40, "owner_name": 100, "door_no": 40}[field]
    if text and len(text) > limit:
        raise InvalidInput(N_("%(field)s may have at most %(n)d characters."), field=field, n=limit)
    return text or None


def update_building(
    session: Session, scope: Scope, building_id: int, data: dict, *, remote_addr=None
) -> dict:
    """Apply allowed fields; any other field (status, village, author …) is refused, nothing changes."""
    if scope.role not in EDITORS:
        raise Forbidden(N_("Your role may not edit houses."))
    building = visible_building(session, scope, building_id)
    fields = set(data) - {"version"}
    refused = sorted(fields - EDITABLE)
    if refused:
        raise InvalidInput(
            N_("%(field)s may not be set here (allowed: use, floors, structure, owner_name, door_no)."),
            field=", ".join(refused),
        )
    if "version" not in data:
        raise InvalidInput(N_("%(field)s is required: send the version you edited."), field="version")
    check_version(building, data["version"], label="house")
    changes = {}
    for field in sorted(fields):
        new = _clean(field, data[field])
        old = getattr(building, field)
        if new != old:
            setattr(building, field, new)
            changes[field] = [old, new]
    if changes:
        building.updated_at = utcnow()
        session.flush()
        audit.record_by(
            session,
            scope,
            "building.update",
            object_type="building",
            object_id=building.id,
            changes=changes,
            remote_addr=remote_addr,
        )
    return {"id": building.id, "version": building.version, "changed": sorted(changes)}
