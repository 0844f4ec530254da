"""Webhook signatures: HMAC-SHA256 over the timestamp and the body, in one header.

Every webhook Frontdesk sends carries::

    Frontdesk-Signature: t=1767225600,v1=5257a869e7ec...e108d8bd   (64 hex digits)

``t`` is the Unix time (seconds) when the request was signed; ``v1`` is the lowercase
hex HMAC-SHA256, keyed by the tenant's webhook secret, of the bytes ``"<t>." + body``
(the exact request body). A receiver recomputes it, compares in constant time, and
rejects a timestamp more than ``tolerance`` seconds from its clock (replay protection);
:func:`verify_signature` does all three. Deliveries also carry
``Frontdesk-Idempotency-Key`` (the same on every retry of one notification: dedupe on it)
and ``Frontdesk-Event`` (``call.analyzed``).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Frontdesk-Signature"
IDEMPOTENCY_HEADER = "Frontdesk-Idempotency-Key"
EVENT_HEADER = "Frontdesk-Event"
DEFAULT_TOLERANCE_S = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The ``Frontdesk-Signature`` header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(secret, t, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """True when ``header`` is a valid signature of ``body`` made within ``tolerance_s``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, timestamp, body)
    return any(
        hmac.compare_digest(expected, value)
        for key, value in (p.split("=", 1) for p in header.split(",") if "=" in p)
        if key.strip() == "v1"
    )
