"""Editing a house's own attributes (not its status: that moves through collection)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from geoapp.domain.errors import Conflict, Forbidden, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.parallel import revision
from geoapp.domain.requests import BuildingPatchIn
from geoapp.domain.roles import Role, Scope
from geoapp.domain.status import Status, check_transition
from geoapp.domain.uses import BuildingUse
from geoapp.domain.validators import clean_choice, clean_text
from geoapp.services.accounts import audit
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.scoping import visible_building
from geoapp.services.addresses.standard import readdress
from geoapp.store.versioning import check_version

# A unit reporter changes their unit, not the building it stands in.
EDITORS = frozenset({Role.COLLECTOR, Role.OFFICER, Role.ADMIN})


LIMITS = {"structure": 40, "owner_name": 100, "door_no": 40}


def _clean(field: str, value):
    """The domain's rules for each editable field (the schema already checked the types)."""
    if field == "use":
        return clean_choice(value, [u.value for u in BuildingUse], field=field)
    if field == "floors":
        if value is not None and not 1 <= value <= 200:
            raise InvalidInput(N_("%(field)s must be between 1 and 200."), field=field)
        return value
    return clean_text(value, field=field, max_length=LIMITS[field])


def update_building(
    session: Session, scope: Scope, building_id: int, patch: BuildingPatchIn, *, remote_addr=None
) -> dict:
    """Apply the sent fields (others are refused by the schema, nothing changes).

    A change to a verified house sends it back to "collected, awaiting verification"
    (the station's roles) or is refused (collectors: ask the station to return it);
    whoever changes a house may not verify it afterwards."""
    if scope.role not in EDITORS:
        raise Forbidden(N_("Your role may not edit houses."))
    building = visible_building(session, scope, building_id)
    check_version(building, patch.version, label="house")
    base_version = building.version
    changes = {}
    for field in sorted(patch.model_fields_set - {"version"}):
        new = _clean(field, getattr(patch, field))
        old = getattr(building, field)
        if new != old:
            changes[field] = [old, new]
    if not changes:
        return {"id": building.id, "version": building.version, "changed": [], "status": building.status}
    if "door_no" in changes:  # the standard address follows its door number, unique in the town
        changes["address"] = [building.address, readdress(session, building, changes["door_no"][1])]
    if building.status == Status.VERIFIED.value:
        if scope.role == Role.COLLECTOR:
            raise Conflict(N_("This house is verified: ask the station to return it for correction before changing it."))  # fmt: skip
        check_transition(building.status, Status.COLLECTED, scope.role)
        changes["status"] = [building.status, Status.COLLECTED.value]
        building.status = Status.COLLECTED.value
        building.verified_at = None
    for field, (_old, new) in changes.items():
        if field != "status":
            setattr(building, field, new)
    if building.status == Status.COLLECTED.value:
        building.submitted_by = scope.user_id  # they changed what awaits verification: not theirs to verify
    building.updated_at = utcnow()
    session.flush()
    audit.record_by(
        session,
        scope,
        "building.update",
        object_type="building",
        object_id=building.id,
        changes={**changes, "revision": revision(base_version, building.version, changes)},
        remote_addr=remote_addr,
    )
    return {
        "id": building.id,
        "version": building.version,
        "changed": sorted(changes),
        "status": building.status,
    }
