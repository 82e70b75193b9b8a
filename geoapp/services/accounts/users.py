"""User accounts: create (with a one-time password), bulk import, roles, disable, passwords."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geoapp.domain.errors import Conflict, InvalidInput, NotFound
from geoapp.domain.i18n import N_
from geoapp.domain.identifiers import normalise_text
from geoapp.domain.inputs import (
    check_text,
    has_hidden_characters,
    id_fits,
    parse_whole_number,
    printable,
    refuse_hidden_characters,
)
from geoapp.domain.roles import Role, Scope, check_role_scope, parse_role
from geoapp.services.accounts import audit, throttle
from geoapp.services.accounts.audit import utcnow
from geoapp.services.accounts.passwords import check_new_password, one_time_password, verify
from geoapp.store.models import ApiToken, Unit, User, UserSession, Village, VillageAssignment

USERNAME_RE = re.compile(r"[A-Za-z0-9_.@-]{3,60}")  # used with fullmatch
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
PHONE_RE = re.compile(r"[0-9+()-]*")
ASCII_DIGITS_RE = re.compile(r"[0-9]+")
PHONE_MAX = 20  # user_account.phone is VARCHAR(20)
NAME_MAX = 100  # user_account.name is VARCHAR(100)
VILLAGE_NAME_MAX = 100
CSV_COLUMNS = {
    "name": ("name", "姓名"),
    "phone": ("phone", "电话", "手机", "手机号"),
    "role": ("role", "角色"),
    "village": ("village", "村", "村名", "所属村"),
}
ROLE_ALIASES = {"村采集员": "collector", "采集员": "collector", "单位采集员": "reporter", "民警": "officer",
                "领导": "leader", "管理员": "admin"}  # fmt: skip
MAX_ROW_PROBLEMS = 20  # shown in one message; the rest are counted


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str  # one-time, shown once, must be changed at first login


class RowsRefused(InvalidInput):
    """A user list with bad lines; ``rows`` holds (line number, what is wrong) for each."""

    def __init__(self, template: str, /, field: str, rows: list[tuple[int, InvalidInput]]) -> None:
        self.rows = rows
        super().__init__(template, field=field, problems="")

    def row_messages(self, translate: Callable[[str], str] | None = None) -> list[str]:
        line = translate(N_("line %(line)d")) if translate else "line %(line)d"
        return [f"{line % {'line': n}}: {exc.render(translate)}" for n, exc in self.rows]

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        messages = self.row_messages(translate)
        problems = "; ".join(messages[:MAX_ROW_PROBLEMS])
        if len(messages) > MAX_ROW_PROBLEMS:
            problems += f"; … (+{len(messages) - MAX_ROW_PROBLEMS})"
        text = translate(self.template) if translate else self.template
        try:
            return text % {**self.params, "problems": problems}
        except (KeyError, ValueError, TypeError):
            return text


def actor_fields(actor: Scope | None) -> dict:
    if actor is None:
        return {"actor": audit.SYSTEM_ACTOR, "user_id": None}
    return {"actor": actor.username, "user_id": actor.user_id}


def user_scope(user: User) -> Scope:
    return Scope(user.id, user.username, Role(user.role), user.village_id, user.unit_id)


def find_village(session: Session, value: str | int | None) -> Village | None:
    """A village by id, 12-digit code or name (None when empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    village = None
    if len(text) <= VILLAGE_NAME_MAX and not has_hidden_characters(text):
        if ASCII_DIGITS_RE.fullmatch(text) and len(text) == 12:
            village = session.scalar(select(Village).where(Village.code == text))
        elif ASCII_DIGITS_RE.fullmatch(text):
            village = session.get(Village, int(text)) if id_fits(int(text)) else None
        else:
            village = session.scalar(select(Village).where(Village.name == text))
    if village is None:
        raise InvalidInput(
            N_("%(field)s: there is no village %(value)s."), field="village", value=printable(text)
        )
    return village


def find_user(session: Session, username: str) -> User:
    name = (username or "").strip()
    user = session.scalar(select(User).where(User.username == name)) if USERNAME_RE.fullmatch(name) else None
    if user is None:
        raise NotFound(N_("There is no user %(name)s."), name=printable(username))
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if id_fits(user_id) else None
    if user is None:
        raise NotFound(N_("There is no user %(name)s."), name=user_id)
    return user


def _check_username(session: Session, username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInput(
            N_("%(field)s must be 3 to 60 letters, digits or . _ @ - (a phone number works)."),
            field="username",
        )
    # Case-insensitive: "Admin" and "admin" would be two accounts nobody can tell apart.
    taken = select(User.id).where(func.lower(User.username) == username.lower())
    if session.scalar(taken) is not None:
        raise Conflict(N_("The user name %(name)s is taken: choose another."), name=username)
    return username


def _check_phone(phone: str | None) -> str | None:
    """Digits, with + - ( ) if needed (full-width digits and spaces are tidied away)."""
    refuse_hidden_characters(phone or "", field="phone")
    phone = normalise_text(phone or "")
    if len(phone) > PHONE_MAX:
        raise InvalidInput(
            N_("%(field)s %(value)s is longer than %(n)d characters."),
            field="phone",
            value=printable(phone),
            n=PHONE_MAX,
        )
    if not PHONE_RE.fullmatch(phone):
        raise InvalidInput(
            N_("%(field)s %(value)s is not a phone number: use digits, and + - ( ) if needed."),
            field="phone",
            value=printable(phone),
        )
    return phone or None


def _check_name(name: str | None) -> str:
    return check_text(name, field="name", max_len=NAME_MAX)


def _check_unit(session: Session, unit: str | int | None) -> int | None:
    """A unit's id (from a form or the command line), or None when empty."""
    unit_id = parse_whole_number(unit, field="unit")
    if unit_id is not None and (not id_fits(unit_id) or session.get(Unit, unit_id) is None):
        raise InvalidInput(
            N_("%(field)s: there is no unit %(value)s."), field="unit", value=printable(unit_id)
        )
    return unit_id


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    username: str,
    role: str | Role,
    name: str = "",
    phone: str | None = None,
    village: str | int | None = None,
    unit_id: str | int | None = None,
    actor: Scope | None = None,
) -> NewUser:
    """Create an account with a random one-time password (there is no default account)."""
    role = parse_role(role)
    username = _check_username(session, username)
    name = _check_name(name)
    phone = _check_phone(phone)
    village_row = find_village(session, village)
    unit_id = _check_unit(session, unit_id)
    village_id = village_row.id if village_row and role == Role.COLLECTOR else None
    unit_id = unit_id if role == Role.REPORTER else None
    check_role_scope(role, village_id, unit_id)
    password = one_time_password()
    user = User(
        username=username,
        name=name,
        phone=phone,
        role=role.value,
        village_id=village_id,
        unit_id=unit_id,
        password_hash=hasher.hash(password),
        must_change_password=True,
        disabled=False,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        object_type="user",
        object_id=user.id,
        changes={"username": username, "role": role.value, "village_id": village_id, "unit_id": unit_id},
        **actor_fields(actor),
    )
    return NewUser(user, password)


def _csv_column(fieldnames: list[str], role: str) -> str | None:
    for name in fieldnames:
        if name and name.strip().lower() in CSV_COLUMNS[role]:
            return name
    return None


def _csv_text(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        N_("%(field)s is neither UTF-8 nor GB18030 text: save the CSV as UTF-8."), field=source
    )


def _csv_phone(value: str) -> str:
    """``138-1234-5678``, ``+86 138 1234 5678``, full-width digits → ``13812345678``."""
    phone = normalise_text(value).replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    return phone


def _check_row(
    session: Session, row: dict, columns: dict, seen: set[str]
) -> tuple[str, str, Role, Village | None]:
    """One CSV line → (phone, name, role, village); raises InvalidInput naming what is wrong."""
    raw_phone = (row.get(columns["phone"]) or "").strip()
    raw_role = (row.get(columns["role"]) or "").strip()
    name = _check_name(row.get(columns["name"]))
    village = (row.get(columns["village"]) or "").strip() if columns["village"] else ""
    if not name:
        raise InvalidInput(N_("%(field)s is empty: write the person's name."), field="name")
    phone = _csv_phone(raw_phone)
    if not MOBILE_RE.match(phone):
        raise InvalidInput(
            N_("%(field)s %(value)s is not a mobile number (11 digits starting with 1)."),
            field="phone",
            value=printable(raw_phone) or "—",
        )
    if phone in seen:
        raise InvalidInput(N_("%(field)s %(value)s appears twice in the file."), field="phone", value=phone)
    seen.add(phone)
    if session.scalar(select(User.id).where(User.username == phone)) is not None:
        raise InvalidInput(N_("%(field)s %(value)s already has an account."), field="phone", value=phone)
    role = parse_role(ROLE_ALIASES.get(raw_role, raw_role))
    if role == Role.REPORTER:
        raise InvalidInput(N_("%(field)s: unit reporters are created one by one."), field="role")
    village_row = find_village(session, village) if village else None
    check_role_scope(role, village_row.id if village_row else None, None)
    return phone, name, role, village_row


def import_users_csv(
    session: Session, hasher: PasswordHasher, data: bytes | str, *, source: str, actor: Scope | None = None
) -> list[NewUser]:
    """One line per user (name, phone, role, village); all or nothing. The phone is the user name.

    Every line is checked before any account is created; a bad line refuses the whole
    file with ``RowsRefused`` naming each bad line (as the file numbers its lines)."""
    source = printable(source, 100)  # an uploaded file's name is the sender's text
    try:
        return _import_rows(session, hasher, _csv_text(data, source), source=source, actor=actor)
    except csv.Error as exc:  # a NUL byte, a field of megabytes …
        raise InvalidInput(
            N_(
                "%(field)s cannot be read as CSV (%(reason)s): save it from Excel as “CSV UTF-8” and try again."
            ),
            field=source,
            reason=printable(exc, 80),
        ) from None


def _import_rows(
    session: Session, hasher: PasswordHasher, text: str, *, source: str, actor: Scope | None
) -> list[NewUser]:
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    columns = {role: _csv_column(fields, role) for role in CSV_COLUMNS}
    missing = [role for role, col in columns.items() if col is None and role != "village"]
    if missing:
        raise InvalidInput(
            N_(
                "%(field)s needs the columns name, phone, role and village (姓名, 电话, 角色, 村); missing: %(missing)s."
            ),
            field=source,
            missing=", ".join(missing),
        )
    problems: list[tuple[int, InvalidInput]] = []
    rows = []
    seen: set[str] = set()
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line, or Excel's ",,,"
        try:
            rows.append(_check_row(session, row, columns, seen))
        except InvalidInput as exc:
            problems.append((reader.line_num, exc))
    if problems:
        raise RowsRefused(
            N_(
                "%(field)s has rows that cannot be imported (line: problem): %(problems)s. Nothing was created; fix them and import again."
            ),
            field=source,
            rows=problems,
        )
    if not rows:
        raise InvalidInput(
            N_("%(field)s lists nobody: write one line per person under the header."), field=source
        )
    created = [
        create_user(
            session,
            hasher,
            username=phone,
            role=role,
            name=name,
            phone=phone,
            village=village_row.id if village_row else None,
            actor=actor,
        )
        for phone, name, role, village_row in rows
    ]
    audit.record(
        session,
        "user.import",
        object_type="user",
        changes={"file": source, "created": len(created)},
        **actor_fields(actor),
    )
    return created


FIRST_ADMIN = "admin"


def ensure_first_admin(
    session: Session, hasher: PasswordHasher, *, actor: Scope | None = None
) -> NewUser | None:
    """An administrator "admin" with a one-time password when no account exists at all
    (a fresh town); None when there is any account."""
    if session.scalar(select(func.count(User.id))):
        return None
    return create_user(session, hasher, username=FIRST_ADMIN, role=Role.ADMIN, actor=actor)


def end_sessions(session: Session, user_id: int) -> int:
    now = utcnow()
    sessions = session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    for s in sessions:
        s.ended_at = now
    return len(sessions)


def _check_not_self(user: User, actor: Scope | None) -> None:
    if actor is not None and actor.user_id is not None and actor.user_id == user.id:
        raise Conflict(N_("You cannot disable yourself or change your own role: ask another administrator."))


def _check_admin_remains(session: Session, user: User) -> None:
    """Never leave the town without an enabled administrator."""
    if user.role != Role.ADMIN.value or user.disabled:
        return
    others = select(func.count(User.id)).where(
        User.role == Role.ADMIN.value, User.disabled.is_(False), User.id != user.id
    )
    if not session.scalar(others):
        raise Conflict(
            N_("%(name)s is the last enabled administrator: make another administrator first."),
            name=user.username,
        )


def revoke_tokens(session: Session, user: User, *, reason: str, actor: Scope | None = None) -> int:
    """Revoke every API token of ``user`` not revoked yet; each revocation is audited."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
        audit.record(
            session, "token.revoke", object_type="api_token", object_id=token.id,
            changes={"user": user.username, "prefix": token.prefix, "reason": reason}, **actor_fields(actor),
        )  # fmt: skip
    return len(tokens)


def set_disabled(session: Session, username: str, disabled: bool, *, actor: Scope | None = None) -> User:
    """Disabling ends the user's sessions at once and revokes their API tokens (enabling the
    account again does not bring them back)."""
    user = find_user(session, username)
    if disabled:
        _check_not_self(user, actor)
        _check_admin_remains(session, user)
    before = user.disabled
    user.disabled = disabled
    ended = end_sessions(session, user.id) if disabled else 0
    revoked = revoke_tokens(session, user, reason="disabled", actor=actor) if disabled else 0
    audit.record(
        session,
        "user.disable" if disabled else "user.enable",
        object_type="user",
        object_id=user.id,
        changes={"disabled": [before, disabled], "sessions_ended": ended, "tokens_revoked": revoked},
        **actor_fields(actor),
    )
    return user


def set_role(
    session: Session,
    username: str,
    role: str | Role,
    *,
    village: str | int | None = None,
    unit_id: str | int | None = None,
    actor: Scope | None = None,
) -> User:
    """A new role (and village or unit). Without a village (unit), a collector (reporter)
    keeps the one they have. Their sessions end: the new role applies at the next login."""
    user = find_user(session, username)
    role = parse_role(role)
    village_row = find_village(session, village)
    unit_id = _check_unit(session, unit_id)
    if role.value != user.role:
        _check_not_self(user, actor)
        _check_admin_remains(session, user)
    village_id = village_row.id if village_row else (user.village_id if village is None else None)
    unit_id = unit_id if unit_id is not None else user.unit_id
    village_id = village_id if role == Role.COLLECTOR else None
    unit_id = unit_id if role == Role.REPORTER else None
    check_role_scope(role, village_id, unit_id)
    before = {"role": user.role, "village_id": user.village_id, "unit_id": user.unit_id}
    user.role, user.village_id, user.unit_id = role.value, village_id, unit_id
    after = {"role": user.role, "village_id": user.village_id, "unit_id": user.unit_id}
    if village_id is not None and village_id != before["village_id"]:  # the village assignment history
        session.add(VillageAssignment(village_id=village_id, user_id=user.id, assigned_at=utcnow(),
                                      assigned_by=actor.user_id if actor else None))  # fmt: skip
    end_sessions(session, user.id)  # a new role takes effect at the next login
    audit.record(
        session,
        "user.set_role",
        object_type="user",
        object_id=user.id,
        changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        **actor_fields(actor),
    )
    return user


def change_password(
    session: Session,
    hasher: PasswordHasher,
    user: User,
    old: str,
    new: str,
    *,
    keep_session_id: int | None = None,
) -> None:
    """The user's own change: checks the old password; ends their other sessions."""
    if not verify(hasher, user.password_hash, old):
        raise InvalidInput(N_("%(field)s is not your current password."), field="old_password")
    check_new_password(new, username=user.username)
    if verify(hasher, user.password_hash, new):
        raise InvalidInput(N_("%(field)s must differ from the current password."), field="new_password")
    user.password_hash = hasher.hash(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    now = utcnow()
    for s in session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ):
        if s.id != keep_session_id:
            s.ended_at = now
    audit.record(
        session, "user.password", object_type="user", object_id=user.id, actor=user.username, user_id=user.id
    )


def reset_password(
    session: Session, hasher: PasswordHasher, username: str, *, actor: Scope | None = None
) -> str:
    """An administrator's reset: a new one-time password, sessions ended, API tokens revoked
    (whoever took over the account may hold one), login delays lifted."""
    user = find_user(session, username)
    password = one_time_password()
    user.password_hash = hasher.hash(password)
    user.must_change_password = True
    end_sessions(session, user.id)
    revoked = revoke_tokens(session, user, reason="password_reset", actor=actor)
    # Failed logins of this account no longer slow its owner: the new password works at once.
    throttle.clear_prefix(session, throttle.login_pair_prefix(user.username))
    audit.record(
        session, "user.reset_password", object_type="user", object_id=user.id,
        changes={"tokens_revoked": revoked}, **actor_fields(actor),
    )  # fmt: skip
    return password


def list_users(session: Session) -> list[tuple[User, str | None]]:
    rows = session.execute(
        select(User, Village.name).outerjoin(Village, Village.id == User.village_id).order_by(User.username)
    ).all()
    return [(u, v) for u, v in rows]


@dataclass(frozen=True)
class ScopeChoices:
    """What a user's village or unit may be set to: (id, name) pairs."""

    villages: list[tuple[int, str]]
    units: list[tuple[int, str]]


def scope_choices(session: Session) -> ScopeChoices:
    villages = session.execute(select(Village.id, Village.name).order_by(Village.code)).all()
    units = session.execute(select(Unit.id, Unit.name).order_by(Unit.name, Unit.id)).all()
    return ScopeChoices([(i, n) for i, n in villages], [(i, n) for i, n in units])


def token_count(session: Session, user_id: int) -> int:
    """API tokens of the user that still work (neither revoked nor expired)."""
    live = select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()
    )
    return session.scalar(live) or 0
