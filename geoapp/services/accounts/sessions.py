"""Logging in (throttled), server-side sessions and personal API tokens.

Raw session and token values exist only in the user's cookie or program; the
database keeps their SHA-256, so a copy of the database opens no account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.errors import InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.roles import Role, Scope
from geoapp.services.accounts import audit, throttle
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.passwords import verify
from geoapp.store.models import ApiToken, User, UserSession

TOKEN_PREFIX = "gat_"
TOUCH_EVERY = timedelta(seconds=60)  # write last-seen times at most this often


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked: bool = False
    retry_after_s: int = 0


def _keys(username: str, remote_addr: str | None) -> tuple[str, str]:
    return f"login:user:{username.strip().lower()}", f"login:addr:{remote_addr or '-'}"


def authenticate(
    session: Session,
    hasher: PasswordHasher,
    settings: Settings,
    username: str,
    password: str,
    remote_addr: str | None,
) -> LoginResult:
    """Check a login. Failures count per account and per address; past the limit
    both are locked for the lockout period, even for the right password."""
    window = timedelta(minutes=settings.login_lockout_minutes)
    user_key, addr_key = _keys(username, remote_addr)
    for key in (user_key, addr_key):
        if throttle.count(session, key, window) >= settings.login_max_failures:
            retry = throttle.retry_after_s(session, key, window)
            audit.record(
                session,
                "login.locked",
                actor=username[:100] or "-",
                remote_addr=remote_addr,
                changes={"key": key},
            )
            return LoginResult(None, locked=True, retry_after_s=retry)
    user = session.scalar(select(User).where(User.username == username.strip()))
    ok = user is not None and not user.disabled and verify(hasher, user.password_hash, password)
    if not ok:
        throttle.add(session, user_key)
        throttle.add(session, addr_key)
        audit.record(
            session,
            "login.failure",
            actor=username[:100] or "-",
            user_id=user.id if user else None,
            remote_addr=remote_addr,
            changes={"reason": "disabled" if user is not None and user.disabled else "credentials"},
        )
        return LoginResult(None)
    throttle.clear(session, user_key)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    audit.record(session, "login.success", actor=user.username, user_id=user.id, remote_addr=remote_addr)
    return LoginResult(user)


def start_session(session: Session, user: User, remote_addr: str | None) -> str:
    """A new session (and a new id) at every login."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=digest(raw), user_id=user.id, created_at=now, last_seen_at=now, remote_addr=remote_addr
        )
    )
    return raw


@dataclass(frozen=True)
class Resolved:
    user: User
    session_id: int | None
    needs_touch: bool


def resolve_session(session: Session, settings: Settings, raw: str | None) -> Resolved | None:
    """The live session for a cookie token, or None (ended, idle too long, too old, user disabled)."""
    if not raw:
        return None
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == digest(raw))
    ).first()
    if row is None:
        return None
    s, user = row
    now = utcnow()
    if (
        s.ended_at is not None
        or user.disabled
        or now - s.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
        or now - s.created_at > timedelta(hours=settings.session_lifetime_hours)
    ):
        return None
    return Resolved(user, s.id, now - s.last_seen_at > TOUCH_EVERY)


def touch_session(session: Session, session_id: int) -> None:
    s = session.get(UserSession, session_id)
    if s is not None:
        s.last_seen_at = utcnow()


def end_session(session: Session, raw: str | None) -> None:
    if not raw:
        return
    row = session.execute(
        select(UserSession, User.username)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == digest(raw))
    ).first()
    if row is not None and row[0].ended_at is None:
        row[0].ended_at = utcnow()
        audit.record(
            session,
            "logout",
            actor=row[1],
            object_type="user",
            object_id=row[0].user_id,
            user_id=row[0].user_id,
        )


# -- API tokens ----------------------------------------------------------------------------


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(
            N_("%(field)s: give the token a name of 1 to 100 characters (e.g. QGIS)."), field="name"
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=raw[:10], token_hash=digest(raw), created_at=utcnow())
    session.add(token)
    session.flush()
    audit.record(
        session, "token.create", actor=user.username, user_id=user.id, object_type="api_token", object_id=token.id,
        changes={"name": name, "prefix": token.prefix},
    )  # fmt: skip
    return token, raw


def revoke_token(session: Session, actor: Scope, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and actor.role != Role.ADMIN):
        raise NotFound(N_("There is no token %(id)s."), id=token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session, "token.revoke", actor=actor.username, user_id=actor.user_id, object_type="api_token",
            object_id=token.id,
        )  # fmt: skip
    return token


def resolve_token(session: Session, raw: str | None) -> tuple[User, ApiToken] | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or user.disabled:
        return None
    return user, token


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc()))
    )
