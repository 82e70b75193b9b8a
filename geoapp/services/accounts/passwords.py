"""Password hashing (argon2id) and one-time passwords."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geoapp.domain.errors import InvalidInput
from geoapp.domain.i18n import N_
from geoapp.domain.inputs import refuse_hidden_characters, refuse_longer

# No 0/O, 1/l/I: one-time passwords are read aloud and typed on phones.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_LENGTH = 10
MAX_LENGTH = 128


def make_hasher(time_cost: int = 3, memory_kib: int = 65536) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


@cache
def _dummy_hash(
    time_cost: int, memory_cost: int, parallelism: int, hash_len: int, salt_len: int, type: Type
) -> str:
    hasher = PasswordHasher(time_cost, memory_cost, parallelism, hash_len, salt_len, type=type)
    return hasher.hash(secrets.token_urlsafe(24))


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password made with ``hasher``'s parameters: verifying against it
    costs what verifying a real account's password costs (and never succeeds)."""
    return _dummy_hash(
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
        hasher.type,
    )


def one_time_password(length: int = 12) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def check_new_password(password: str, *, username: str = "", field: str = "new_password") -> None:
    refuse_hidden_characters(password or "", field=field)  # not typeable at a login form
    refuse_longer(password or "", field=field, max_len=MAX_LENGTH)
    if len(password or "") < MIN_LENGTH:
        raise InvalidInput(N_("%(field)s must have at least %(n)d characters."), field=field, n=MIN_LENGTH)
    if username and username.lower() in password.lower():
        raise InvalidInput(N_("%(field)s must not contain the user name."), field=field)
    if password.isdigit() or password.isalpha():
        raise InvalidInput(N_("%(field)s must mix letters with digits or signs."), field=field)


def verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
