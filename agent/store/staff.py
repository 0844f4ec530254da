"""Staff users and their bearer tokens (login sessions and API keys).

Only digests are stored: the password as argon2id's encoded hash (made by
:mod:`agent.control.passwords`, never here), a token as the SHA-256 of its random value
(a 256-bit secret needs no slow hash). :func:`token_owner` is the one lookup every
authenticated request makes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import StaffToken, StaffUser

TokenKind = Literal["session", "api_key"]


@dataclass(frozen=True)
class StaffMember:
    """Who a valid token belongs to."""

    id: int
    tenant: str
    email: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


async def add_user(s: AsyncSession, *, tenant: str, email: str, password_hash: str) -> bool:
    """Add a staff user, or set a new password for one that exists (``False`` then)."""
    email = email.strip().lower()
    found = await find_user(s, tenant=tenant, email=email)
    if found is not None:
        found.password_hash = password_hash
        found.disabled = False
        return False
    s.add(StaffUser(tenant=tenant, email=email, password_hash=password_hash, disabled=False))
    await s.flush()
    return True


async def find_user(s: AsyncSession, *, tenant: str, email: str) -> StaffUser | None:
    stmt = select(StaffUser).where(
        StaffUser.tenant == tenant, StaffUser.email == email.strip().lower()
    )
    return (await s.scalars(stmt)).first()


async def add_token(
    s: AsyncSession,
    user: StaffUser,
    token: str,
    *,
    kind: TokenKind,
    now: datetime,
    expires_at: datetime | None,
) -> None:
    s.add(
        StaffToken(
            token_hash=token_digest(token),
            staff_id=user.id,
            tenant=user.tenant,
            kind=kind,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def token_owner(s: AsyncSession, token: str, *, now: datetime) -> StaffMember | None:
    """The staff member a token opens, or ``None`` for an unknown, expired or revoked
    token, or one of a disabled user."""
    stmt = (
        select(StaffToken, StaffUser)
        .join(StaffUser, StaffUser.id == StaffToken.staff_id)
        .where(StaffToken.token_hash == token_digest(token))
    )
    row = (await s.execute(stmt)).first()
    if row is None:
        return None
    found, user = row[0], row[1]
    if found.revoked_at is not None or user.disabled:
        return None
    if found.expires_at is not None and found.expires_at <= now:
        return None
    return StaffMember(id=user.id, tenant=user.tenant, email=user.email)


async def revoke_token(s: AsyncSession, token: str, *, now: datetime) -> None:
    await s.execute(
        update(StaffToken)
        .where(StaffToken.token_hash == token_digest(token), StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
