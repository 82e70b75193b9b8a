"""As of today: the groups of houses the database keeps up to date itself
(``store/village_tally.py``), read through ``services/reports/tally.py``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from geoapp.domain.roles import Scope
from geoapp.services.reports import tally
from geoapp.services.reports.coverage.model import _COUNTS, _Cutoffs


def _from_tally(session: Session, scope: Scope, kinds: list[str], cut: _Cutoffs) -> dict | None:
    """{village_id: {kind: figures}} from the kept groups (a few rows per village), with the
    units in flagged houses; None when they cannot answer (grouped by other deadlines)."""
    result = tally.current_figures(session, scope, cut.moments, cut.deadline_index, _COUNTS)
    if result is not None and "units" in kinds:  # the units in flagged houses
        flagged = tally.flagged_units(session, scope, cut.moments[0])
        for village_id, per_kind in result.items():
            per_kind["units"] = {"flagged": flagged.pop(village_id, 0)}
        for village_id, count in flagged.items():
            result.setdefault(village_id, {})["units"] = {"flagged": count}
    return result
