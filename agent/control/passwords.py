"""Staff passwords, hashed with argon2id (argon2-cffi's defaults), never by hand.

Hashing and verifying are deliberately slow (tens of milliseconds of CPU): the
dispatcher calls them through ``asyncio.to_thread`` so the event loop keeps serving.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_hasher = PasswordHasher()
# verified against when the email is unknown, so both answers take the same time
_DUMMY = _hasher.hash("frontdesk: no such staff user")


class WeakPasswordError(ValueError):
    """A password too short to be set."""


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a staff password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(encoded: str | None, password: str) -> bool:
    """``True`` when ``password`` matches ``encoded`` (``None``: no such user, still
    spending the time of one verification)."""
    try:
        return _hasher.verify(encoded or _DUMMY, password) and encoded is not None
    except (VerificationError, InvalidHashError):
        return False
