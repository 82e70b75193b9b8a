"""What changed in a house since an officer last checked it, from its audit events.

The audit trail records each submission (``house.submit``: the people created,
changed and removed, the house's own fields, the people count, the visit proof)
and each edit (``building.update``: the house's fields). An officer reviewing a
resubmitted house wants the net change since the last ``house.verify`` or
``house.return``: this module folds those events into one summary. Plain data in,
plain data out (the service reads the events).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUBMIT, UPDATE = "house.submit", "building.update"
IMPORT = "house.import"  # people entered from an old register (录入): folded like a submission
CHECKS = ("house.verify", "house.return")
CHANGE_ACTIONS = (SUBMIT, UPDATE, IMPORT)


@dataclass
class ChangeSummary:
    """Net changes over a run of submissions and edits."""

    house: dict[str, list] = field(default_factory=dict)  # field → [before, after]
    people_count: list[int] | None = None  # [before the first, after the last]
    added: list[dict] = field(default_factory=list)  # {"id", "name", "id_number"} (masked)
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {"id", "name", "fields": {f: [before, after]}}
    moved_in: int = 0
    move_requests: int = 0
    units_removed: int = 0
    submissions: int = 0
    edits: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.house
            or self.added
            or self.removed
            or self.changed
            or self.moved_in
            or self.move_requests
            or self.units_removed
        )

    def to_dict(self) -> dict:
        return {
            "house": self.house,
            "people_count": self.people_count,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "moved_in": self.moved_in,
            "move_requests": self.move_requests,
            "units_removed": self.units_removed,
            "submissions": self.submissions,
            "edits": self.edits,
            "nothing": self.empty,
        }


def _pairs(changes: Mapping[str, Any], skip: Iterable[str] = ()) -> dict[str, list]:
    return {
        k: v
        for k, v in changes.items()
        if k not in skip and isinstance(v, list) and len(v) == 2 and not isinstance(v[0], dict)
    }


def _merge_pairs(into: dict[str, list], pairs: Mapping[str, list]) -> None:
    for name, (before, after) in pairs.items():
        if name in into:
            into[name] = [into[name][0], after]
        else:
            into[name] = [before, after]


def summarise(events: Iterable[tuple[str, Mapping[str, Any] | None]]) -> ChangeSummary:
    """Fold ``(action, changes)`` of submissions and edits, oldest first, into net changes.

    A person added and removed again within the run is neither; a person changed and
    then removed is listed as removed; fields changed back to what they were are
    dropped."""
    out = ChangeSummary()
    added: dict[int, dict] = {}
    removed: dict[int, dict] = {}
    changed: dict[int, dict] = {}
    for action, changes in events:
        changes = changes or {}
        if action == UPDATE:
            out.edits += 1
            _merge_pairs(out.house, _pairs(changes, skip=("status",)))
            continue
        if action not in (SUBMIT, IMPORT):
            continue
        out.submissions += 1
        count = changes.get("people")
        if isinstance(count, list) and len(count) == 2:
            out.people_count = [out.people_count[0] if out.people_count else count[0], count[1]]
        house = changes.get("building")
        if isinstance(house, dict):
            _merge_pairs(out.house, _pairs(house))
        for person in changes.get("created") or []:
            if isinstance(person, dict) and "id" in person:
                added[person["id"]] = dict(person)
        for person in changes.get("changed") or []:
            if not isinstance(person, dict) or "id" not in person:
                continue
            pid = person["id"]
            fields = person.get("fields") or {}
            name = fields["name"][1] if isinstance(fields.get("name"), list) else person.get("name")
            if pid in added:  # added in this run: show it as added, with its latest name
                added[pid]["name"] = name
                continue
            entry = changed.setdefault(pid, {"id": pid, "name": name, "fields": {}})
            entry["name"] = name
            _merge_pairs(entry["fields"], fields)
        for person in changes.get("removed") or []:
            if not isinstance(person, dict) or "id" not in person:
                continue
            pid = person["id"]
            if added.pop(pid, None) is None:
                removed[pid] = dict(person)
            changed.pop(pid, None)
        out.moved_in += len(changes.get("moved") or [])
        out.move_requests += len(changes.get("requested") or [])
        units = changes.get("units")
        if isinstance(units, dict):
            out.units_removed += len(units.get("removed") or [])
    out.house = {k: v for k, v in out.house.items() if v[0] != v[1]}
    if out.people_count and out.people_count[0] == out.people_count[1] and not (added or removed):
        out.people_count = None
    out.added = list(added.values())
    out.removed = list(removed.values())
    for entry in changed.values():
        entry["fields"] = {k: v for k, v in entry["fields"].items() if v[0] != v[1]}
    out.changed = [e for e in changed.values() if e["fields"]]
    return out
