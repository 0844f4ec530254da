"""Participant identities Frontdesk gives out, so a room's participants can be told apart
without trusting anything they say about themselves (identities are set by the token
the dispatcher mints, never by the client)."""

from __future__ import annotations

STAFF_PREFIX = "staff-"  # a person of the tenant's staff: staff-<their staff user id>


def staff_identity(staff_id: int) -> str:
    return f"{STAFF_PREFIX}{staff_id}"


def is_staff(identity: str) -> bool:
    return identity.startswith(STAFF_PREFIX)
