"""Logging in (throttled), server-side sessions and personal API tokens.

Raw session and token values exist only in the user's cookie or program; the
database keeps their SHA-256, so a copy of the database opens no account.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.config import Settings
from geoapp.domain.clock import beijing_text
from geoapp.domain.errors import InvalidInput, NotFound, TooManyRequests, Unauthenticated
from geoapp.domain.i18n import N_
from geoapp.domain.inputs import check_text, id_fits, parse_whole_number, printable
from geoapp.domain.roles import Role, Scope
from geoapp.services.accounts import audit, throttle
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.passwords import dummy_hash, verify
from geoapp.services.accounts.users import USERNAME_RE
from geoapp.store.models import ApiToken, User, UserSession

TOKEN_PREFIX = "gat_"
TOUCH_EVERY = timedelta(seconds=60)  # write last-seen times at most this often


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked: bool = False  # refused unchecked: wait retry_after_s seconds
    retry_after_s: int = 0

    def wait_error(self) -> TooManyRequests:
        """What a refused-unchecked login tells the person (with the wait for Retry-After)."""
        seconds = self.retry_after_s
        if seconds < 120:
            return TooManyRequests(
                N_(
                    "Too many failed logins: wait %(seconds)d seconds before the next try, or ask the station office."
                ),
                retry_after_s=seconds,
                seconds=seconds,
            )
        return TooManyRequests(
            N_("Too many failed logins: try again in %(minutes)d minutes, or ask the station office."),
            retry_after_s=seconds,
            minutes=math.ceil(seconds / 60),
        )


def _wait_s(session: Session, settings: Settings, pair_key: str, addr_key: str) -> tuple[int, str]:
    """Seconds to wait before the next attempt, and the key (pair or address) that says so."""
    window = timedelta(minutes=settings.login_failure_window_minutes)
    limits = ((pair_key, settings.login_free_failures), (addr_key, settings.login_addr_free_failures))
    return max(
        (throttle.backoff_s(session, key, free=free, window=window, cap_s=settings.login_max_delay_s), key)
        for key, free in limits
    )


def _find_login(session: Session, username: str) -> User | None:
    name = username.strip()
    if not USERNAME_RE.fullmatch(name):  # no account has such a name (and NUL breaks PostgreSQL)
        return None
    return session.scalar(select(User).where(User.username == name))


def authenticate(
    session: Session,
    hasher: PasswordHasher,
    settings: Settings,
    username: str,
    password: str,
    remote_addr: str | None,
) -> LoginResult:
    """Check a login.

    Failures count per (account, address) pair and per address, never per account alone:
    failures from elsewhere never stop the owner at their own address. After
    ``login_free_failures`` failures of one account from one address, each further attempt
    from that pair waits 2, 4, 8 … seconds (at most ``login_max_delay_s``) after the latest
    failure; after ``login_addr_free_failures`` failures from one address over any accounts,
    that address waits the same way. A waiting attempt is refused unchecked (and audited).

    Unknown, disabled and real accounts cost the same password hash, so the time a refusal
    takes does not tell which user names exist."""
    actor = printable(username.strip(), 100) or "-"
    pair_key, addr_key = throttle.login_keys(username, remote_addr)
    wait, key = _wait_s(session, settings, pair_key, addr_key)
    if wait:
        audit.record(
            session,
            "login.locked",
            actor=actor,
            remote_addr=remote_addr,
            changes={"key": key, "retry_after_s": wait},
        )
        return LoginResult(None, locked=True, retry_after_s=wait)
    user = _find_login(session, username)
    usable = user is not None and not user.disabled and bool(user.password_hash)
    stored = user.password_hash if usable else dummy_hash(hasher)
    ok = verify(hasher, stored, password) and usable
    if not ok:
        throttle.add(session, pair_key)
        throttle.add(session, addr_key)
        audit.record(
            session,
            "login.failure",
            actor=actor,
            user_id=user.id if user else None,
            remote_addr=remote_addr,
            changes={"reason": "disabled" if user is not None and user.disabled else "credentials"},
        )
        return LoginResult(None)
    throttle.clear(session, pair_key)  # the owner's own typing mistakes at this address are forgiven
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


TOKEN_DAY_CHOICES = (7, 30, 90)  # lifetimes offered on the tokens page (up to the setting)


def token_day_choices(max_days: int) -> list[int]:
    return sorted({d for d in TOKEN_DAY_CHOICES if d < max_days} | {max_days})


def _token_days(value: str | int | None, max_days: int) -> int:
    days = parse_whole_number(value, field="days")
    if days is None:
        return max_days
    if not 1 <= days <= max_days:
        raise InvalidInput(N_("%(field)s: choose a lifetime of 1 to %(n)d days."), field="days", n=max_days)
    return days


def create_token(
    session: Session, user: User, name: str, days: str | int | None = None, *, max_days: int = 90
) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid ``days`` days (at most, and by default, ``max_days``)."""
    name = check_text(name, field="name", max_len=100)
    if not name:
        raise InvalidInput(
            N_("%(field)s: give the token a name of 1 to 100 characters (e.g. QGIS)."), field="name"
        )
    days = _token_days(days, max_days)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name, prefix=raw[:10], token_hash=digest(raw), created_at=now,
                     expires_at=now + timedelta(days=days))  # fmt: skip
    session.add(token)
    session.flush()
    audit.record(
        session, "token.create", actor=user.username, user_id=user.id, object_type="api_token", object_id=token.id,
        changes={"name": name, "prefix": token.prefix, "days": days},
    )  # fmt: skip
    return token, raw


def revoke_token(session: Session, actor: Scope, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id) if id_fits(token_id) else None
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
    """The user and token for a raw token; None when unknown, revoked or its user is disabled.
    An expired token is refused with its own message: its holder should make a new one."""
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
    if token.expires_at <= utcnow():
        raise Unauthenticated(
            N_("The API token %(prefix)s… expired on %(date)s: create a new one on the “API tokens” page."),
            prefix=token.prefix,
            date=beijing_text(token.expires_at, "%Y-%m-%d"),
        )
    return user, token


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc()))
    )
