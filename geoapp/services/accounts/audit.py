"""Append-only audit trail: every write leaves one event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from geoapp.domain.roles import Scope
from geoapp.store.models import AuditEvent

SYSTEM_ACTOR = "system"


def utcnow() -> datetime:
    """Naive UTC time, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def record(
    session: Session,
    action: str,
    *,
    actor: str = SYSTEM_ACTOR,
    user_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    changes: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEvent:
    """Add one audit event to the session's transaction (committed with the write)."""
    event = AuditEvent(
        at=utcnow(),
        user_id=user_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        changes=orjson.dumps(changes, default=str).decode() if changes is not None else None,
        remote_addr=remote_addr,
    )
    session.add(event)
    return event


def record_by(session: Session, scope: Scope, action: str, **details: Any) -> AuditEvent:
    """``record`` for a write made by the logged-in user of ``scope``."""
    return record(session, action, actor=scope.username, user_id=scope.user_id, **details)
