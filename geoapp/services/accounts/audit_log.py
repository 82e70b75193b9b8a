"""Reading the audit trail: filtered pages of events, and one record's history.

Only reads. The trail is append-only: nothing here (or anywhere else) updates or
deletes an ``AuditEvent``, and the database refuses it anyway (migration 0005). Values that are sensitive
were masked when the event was recorded and are shown as stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.errors import Forbidden, InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.metrics import BEIJING
from geoapp.domain.roles import Role, Scope
from geoapp.store.models import AuditEvent

# Who may read the audit trail.
AUDIT_ROLES = frozenset({Role.OFFICER, Role.ADMIN})
PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # 200 million events at the largest page size; keeps OFFSET well inside 64 bits
# What the date fields accept: 2026-11-26, or 2026-11-26T08:30[:15[.123456]] (Beijing time; UTC with Z).
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?Z?", re.ASCII)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FILTER_FIELDS = ("action", "actor", "object_type", "object_id", "since", "until")
KEPT_ARGS = (*FILTER_FIELDS, "per_page")  # carried over to the other pages of a list


@dataclass(frozen=True)
class AuditFilter:
    """Exact matches on text fields; ``since`` inclusive, ``until`` exclusive (naive UTC, as
    stored; the query arguments are read in Beijing time)."""

    action: str | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def as_text(value: object) -> str:
    """A stored value for display: text as is, anything else as JSON, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class Change:
    """One changed field: ``before``/``after`` for an edit, else just ``value``."""

    field: str
    value: object = None
    before: object = None
    after: object = None
    is_edit: bool = False

    @property
    def text(self) -> str:
        return as_text(self.value)

    @property
    def before_text(self) -> str:
        return as_text(self.before)

    @property
    def after_text(self) -> str:
        return as_text(self.after)


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    actor: str
    user_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    changes: list[Change]
    remote_addr: str | None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds") + "Z",
            "actor": self.actor,
            "user_id": self.user_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "changes": {
                c.field: ({"before": c.before, "after": c.after} if c.is_edit else c.value)
                for c in self.changes
            },
            "remote_addr": self.remote_addr,
        }


@dataclass(frozen=True)
class AuditPage:
    items: list[EventView]
    total: int
    page: int
    per_page: int
    actions: list[str] = field(default_factory=list)  # every action in the trail, for a filter menu
    object_types: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _text(args: Mapping[str, str], name: str, limit: int) -> str | None:
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        raise InvalidInput(N_("%(field)s may have at most %(n)d characters."), field=name, n=limit)
    if CONTROL.search(value):  # no stored value holds one; PostgreSQL refuses NUL outright
        raise InvalidInput(
            N_("%(field)s holds a control character (such as NUL or a line break): type the value again."),
            field=name,
        )
    return value or None


def _from_beijing(moment: datetime) -> datetime:
    """A Beijing wall-clock time as stored (naive UTC); the first and last 8 hours of the
    calendar stay where they are (nothing real is stored there)."""
    try:
        return moment - BEIJING
    except OverflowError:
        return datetime.min


def _moment(args: Mapping[str, str], name: str, *, end: bool) -> datetime | None:
    """A date (``2026-11-26``: the whole day) or a time (``2026-11-26T08:30``) in Beijing
    time, as people read the times on the page; a time ending in ``Z`` is UTC.

    ``until`` a date means until the end of that day; the end of 9999-12-31 is the
    latest moment there is (``datetime.max``)."""
    value = (args.get(name) or "").strip()
    if not value:
        return None
    wrong = InvalidInput(
        N_("%(field)s must be a date such as 2026-11-26 or a time such as 2026-11-26T08:30 (Beijing time)."),
        field=name,
    )
    if not MOMENT.fullmatch(value):
        raise wrong
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            if not end:
                return _from_beijing(datetime.combine(day, time()))
            return (
                datetime.max
                if day == date.max
                else _from_beijing(datetime.combine(day + timedelta(days=1), time()))
            )
        if value.endswith("Z"):
            return datetime.fromisoformat(value.removesuffix("Z"))
        return _from_beijing(datetime.fromisoformat(value))
    except ValueError:
        raise wrong from None


def parse_filter(args: Mapping[str, str]) -> AuditFilter:
    """Read the filter from query arguments; a bad value names its field."""
    flt = AuditFilter(
        action=_text(args, "action", 40),
        actor=_text(args, "actor", 100),
        object_type=_text(args, "object_type", 40),
        object_id=_text(args, "object_id", 40),
        since=_moment(args, "since", end=False),
        until=_moment(args, "until", end=True),
    )
    if flt.since and flt.until and flt.since >= flt.until:
        raise InvalidInput(N_("%(field)s must come after the start of the range."), field="until")
    return flt


def filter_args(args: Mapping[str, str]) -> dict[str, str]:
    """The filter's query arguments as given (for the form, and links to other pages)."""
    return {name: args[name].strip() for name in KEPT_ARGS if (args.get(name) or "").strip()}


def _where(stmt, flt: AuditFilter):
    for column, value in (
        (AuditEvent.action, flt.action),
        (AuditEvent.actor, flt.actor),
        (AuditEvent.object_type, flt.object_type),
        (AuditEvent.object_id, flt.object_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if flt.since is not None:
        stmt = stmt.where(AuditEvent.at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(AuditEvent.at < flt.until)
    return stmt


def _changes(raw: str | None) -> list[Change]:
    if not raw:
        return []
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return [Change("", value=raw)]
    if not isinstance(data, dict):
        return [Change("", value=data)]
    out = []
    for name, value in data.items():
        if isinstance(value, list) and len(value) == 2:  # an edit: [before, after]
            out.append(Change(str(name), before=value[0], after=value[1], is_edit=True))
        else:
            out.append(Change(str(name), value=value))
    return out


def event_view(event: AuditEvent) -> EventView:
    return EventView(
        id=event.id,
        at=event.at,
        actor=event.actor,
        user_id=event.user_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=_changes(event.changes),
        remote_addr=event.remote_addr,
    )


def _authorise(scope: Scope) -> None:
    if scope.role not in AUDIT_ROLES:
        raise Forbidden(N_("Only police officers and administrators read the audit log."))


def _check_page(page: int, per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(N_("%(field)s must be between 1 and %(max)d."), field="per_page", max=MAX_PER_PAGE)
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(N_("%(field)s must be between 1 and %(max)d."), field="page", max=MAX_PAGE)


def search(
    session: Session,
    scope: Scope,
    flt: AuditFilter,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    with_choices: bool = True,
) -> AuditPage:
    """One page of events matching ``flt``, newest first."""
    _authorise(scope)
    _check_page(page, per_page)
    stmt = _where(select(AuditEvent), flt)
    total = session.scalar(_where(select(func.count()).select_from(AuditEvent), flt))
    events = session.scalars(
        stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    actions, object_types = [], []
    if with_choices:
        actions = list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
        object_types = list(
            session.scalars(
                select(AuditEvent.object_type)
                .distinct()
                .where(AuditEvent.object_type.is_not(None))
                .order_by(AuditEvent.object_type)
            )
        )
    return AuditPage([event_view(e) for e in events], int(total or 0), page, per_page, actions, object_types)


def history(
    session: Session,
    scope: Scope,
    object_type: str | None,
    object_id: str | None,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AuditPage:
    """Everything that happened to one record (``building``, ``42``), newest first."""
    if not (object_type or "").strip():
        raise InvalidInput(N_("%(field)s is required (e.g. building)."), field="object_type")
    if not (object_id or "").strip():
        raise InvalidInput(N_("%(field)s is required (e.g. 42)."), field="object_id")
    flt = parse_filter({"object_type": object_type or "", "object_id": object_id or ""})
    return search(session, scope, flt, page=page, per_page=per_page, with_choices=False)
