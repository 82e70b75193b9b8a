"""Coverage by village against the work plan, as it stood at the end of a day.

The leaders' page, the assessment workbook and ``GET /api/coverage`` all call this
package; the rates' definitions live in ``geoapp.domain.metrics``.

Modules: ``model`` (the result types and the moments measured), ``events`` (the status
events and per-house SQL pieces), ``today`` (as of today: the groups the database keeps,
``tally``), ``history`` (the statement grouping the houses by their state: from their
columns, or rebuilt from the history for a past day), ``figures`` (either of those, and
the units), ``rows`` (the village, station and total rows: ``coverage``) and ``series``
(``progress_series``).

Interface
---------
``coverage(session, scope, campaign, *, kind, as_of, today=None) -> Coverage``
    ``kind``: "houses", "people", "units" or "households"; ``as_of``: a ``date``
    (capped to the campaign's end; ``Coverage.as_of`` is the day used); ``today``
    only for tests (default: today in Beijing). ``campaign``: from
    ``services.campaign.settings.load_campaign(session)``. A reporter's scope is
    refused (Forbidden), an unknown kind is an InvalidInput naming "kind".
    ``Coverage`` (frozen): ``kind``, ``as_of``, ``definitions`` (msgids keyed by
    figure, plus "deadline_rule": translate them for display), ``villages:
    list[Row]`` (by village code), ``station: Row``, ``total: Row``; ``to_dict()``.
    ``Row`` (frozen): ``code, name, task, collected, verified, returned, flagged,
    collection_rate, timeliness_rate, accuracy_rate, stage1, stage2, households,
    funding_yuan, penalty_points, village_id``; rates are fractions 0..1 or None
    where undefined; ``stage1``/``stage2`` are "met", "missed", "open", or None
    where there is no task to judge; ``funding_yuan``/``penalty_points`` are None
    before the stage 2 deadline (undecided) and for the station. The station's
    row has ``code`` "station" and the campaign's ``station_name``; the total's
    ``code`` is "total" and its ``name`` the msgid "Total" (translate it).
``coverage_kinds(session, scope, campaign, *, kinds=KINDS, as_of, today=None)
-> dict[kind, Coverage]``
    Several kinds computed together (the workbook shows people, houses and units).
``progress_series(session, scope, campaign, kind, village_id=None, *, until=None)
-> list[tuple[date, int]]``
    Collected records at the end of each day from the first day of collection to
    ``until`` (default today in Beijing, capped to the campaign's end), for the
    caller's villages or one village (NotFound outside a collector's own); the
    same counts ``coverage(...).total`` (or the village's row) gives as
    ``collected`` for each day, from one query over the status events (below).

Rows
----
One row per village, in the caller's scope: town roles see every village; a
collector only their own, and then the station and total rows are computed over
that village alone (the API does not send them to collectors). The station
(派出所) enters every village's records, so its row has the total's counts; its
task is the villages' task for people, houses and households, and for units its
own collection task (``campaign.station_task_units``, the task table's 400) plus
any village unit tasks. The total row is the sum of the village rows, its rates
recomputed from the summed counts (timeliness: the villages' on-time records over
their due records; funding and penalty: the villages' sums). Funding and the
penalty judge a village on its two tasks, people and houses
(``metrics.judge``); the station gets neither.

"As it stood at the end of day D"
---------------------------------
D is a Beijing day; stored times are naive UTC, so "by D" means "before
``metrics.day_end_utc(D)``".
- If D is today or later, nothing has happened after its end yet: the houses'
  current columns are exact (``status``, ``visit_flag``), and so are the people,
  households and units there now. This is the fast path.
- If D is in the past, a house's status is that of its latest status event before
  the end of D:
  - a submission makes it "collected": each row of the ``visit`` table (except a
    unit reporter's in a house nobody collected, which leaves it uncollected), a
    ``building.update`` audit event that changed its status (the station edited a
    verified house), and ``Building.collected_at`` (its latest submission; it also
    covers houses collected without visit rows: imported or demo data);
  - ``house.verify`` audit events and ``Building.verified_at`` make it "verified";
  - ``house.return`` audit events make it "returned"; a house returned now without
    such an event (demo data) was returned at ``Building.updated_at``.
  At equal times a return wins over a verification, which wins over a submission.
From that status:
- houses: collected = collected or verified; verified; returned; flagged = collected
  (not verified) whose latest submission by then was a flagged visit (or, without
  visit rows, ``Building.visit_flag``);
- accuracy: checked = houses whose first check (``Building.first_checked_at``, set by
  the first verification or return; for older rows ``verified_at`` or the return)
  came by then; passed = those whose first check verified them
  (``Building.first_check_passed``). A re-visit that found the house wrong
  (``Building.revisit_failed_at``) is a failed check from then on: the house counts
  as checked and not passed, whatever its first check said (``domain/reviewing.py``);
- timeliness and stages: "collected by a deadline" = records counted as collected
  as of D whose house's first submission (``Building.first_collected_at``; for older
  rows ``collected_at``) came before the end of the deadline's day;
- people and households: those of a house with that status. As of today, the house's
  own count (``Building.people_count``/``households_count``, kept by the database on
  every insert, delete and move: ``store/house_counts.py``); as of a past day, those
  registered (``created_at``: the submission that registered them) by then. They are
  collected with their house, so they count towards a deadline when their house was
  first submitted by then. They keep no other history: someone deleted or moved since
  counts where they are now, or not at all;
- units: a unit keeps no status history of its own; it counts with its current
  status from the moment it was registered (``Unit.created_at``); accuracy for units
  is verified / (verified + returned), flagged units are those in flagged houses.

Speed: one SQL statement groups the houses by village and by their state at the end
of as_of (a few rows per village), counting houses and summing their people,
households and units; the kinds' figures, rates, stages and funding are computed
from those rows in Python. As of today the database keeps those groups up to date
itself (``store/village_tally.py``: triggers on every write of a house), so a county
reads a few thousand rows (``tally.py``); as of a past
day each house's state comes from sub-selects the database evaluates once per house
first submitted by then. Units take one more statement.
"""

from geoapp.services.reports.coverage.model import (
    STATION_CODE,
    TOTAL_CODE,
    TOTAL_NAME,
    Coverage,
    Row,
    _Cutoffs,
)
from geoapp.services.reports.coverage.rows import coverage, coverage_kinds, definitions
from geoapp.services.reports.coverage.series import progress_series

__all__ = [
    "STATION_CODE",
    "TOTAL_CODE",
    "TOTAL_NAME",
    "Coverage",
    "Row",
    "_Cutoffs",
    "coverage",
    "coverage_kinds",
    "definitions",
    "progress_series",
]
