"""Parallel updates of a house, as ODK Central does for offline entity updates.

A collector's phone may queue a submission while offline. It carries the house's
version the form was opened at (``version``) and the parts of the house the
collector changed (``changed``). When the house has moved on meanwhile, the server
looks at what changed since that version: if nobody touched the parts the collector
changed, the submission applies to those parts only (a *parallel update*, audited as
such); if someone changed the same parts, it is a conflict held for the collector.

Every write that moves a house's version records the parts it changed in its audit
event (``revision``: ``{"from": …, "version": …, "fields": […]}``). A version with no such
record is unknown, and an unknown change clashes with everything (the safe answer).
Plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from geoapp.domain.errors import Conflict
from geoapp.domain.i18n import N_

# The parts of a house a submission changes; "empty" is a use and no households.
HOUSE_FIELDS = ("use", "floors", "structure", "owner_name")
PARTS = (*HOUSE_FIELDS, "households", "units")
Part = Literal["use", "floors", "structure", "owner_name", "empty", "households", "units"]
UNKNOWN = "*"


def expand(changed: Iterable[str]) -> set[str]:
    """The parts a form's changed fields stand for ("empty" is the use and the households)."""
    out: set[str] = set()
    for name in changed:
        out |= {"use", "households"} if name == "empty" else {name}
    return out


def revision(base: int, version: int, fields: Iterable[str]) -> dict:
    """The audit record of one write: the house's versions before and after it (a write
    may move the version more than once), and the parts it changed."""
    return {"from": int(base), "version": int(version), "fields": sorted(set(fields))}


def submission_fields(changes: Mapping[str, Any], *, status_changed: bool) -> set[str]:
    """The parts a stored submission changed, from its audit ``changes`` (stored units
    are not compared field by field: sending them counts as changing them)."""
    fields = set((changes.get("building") or {}).keys())
    if any(changes.get(k) for k in ("created", "changed", "removed", "moved", "requested")):
        fields.add("households")
    if "units" in changes:
        fields.add("units")
    if status_changed:
        fields.add("status")
    return fields


def changed_since(revisions: Iterable[Mapping[str, Any]], base: int, current: int) -> set[str]:
    """The parts changed after version ``base`` up to ``current``; ``UNKNOWN`` among
    them when a version in between has no record."""
    by_version: dict[int, set[str]] = {}
    for rev in revisions:
        try:
            version = int(rev["version"])
            first = int(rev.get("from", version - 1)) + 1
        except (KeyError, TypeError, ValueError):
            continue
        for v in range(first, version + 1):
            by_version.setdefault(v, set()).update(rev.get("fields") or ())
    out: set[str] = set()
    for version in range(base + 1, current + 1):
        if version not in by_version:
            out.add(UNKNOWN)
        else:
            out |= by_version[version]
    return out


def clashes(mine: Iterable[str], theirs: set[str]) -> list[str]:
    """The parts both sides changed (all of mine when the history is unknown)."""
    mine = expand(mine)
    if UNKNOWN in theirs:
        return sorted(mine) or [UNKNOWN]
    return sorted(mine & theirs)


class ParallelConflict(Conflict):
    """Someone changed the same parts of the house since the version the phone saw."""

    def __init__(self, fields: list[str], version: int, base: int) -> None:
        self.conflict = {"fields": fields, "version": version, "base_version": base}
        message = N_("Someone else changed the same parts of this house while you were offline: compare both versions and choose which to keep.")  # fmt: skip
        super().__init__(message)
