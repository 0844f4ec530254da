"""Text made storable before it reaches the store, whatever wrote it.

Postgres refuses a NUL in ``text`` and ``\\u0000`` in ``jsonb``, and a lone UTF-16
surrogate cannot be encoded at all; a recognizer, an LLM or a SIP header can produce
any of them. The column types of :mod:`.tables` pass every bound string through
:func:`clean_text` (and JSON through :func:`clean_json`), so no write is refused for
them. Descriptive columns (a room name, a participant's identity, an end reason) are
also cut to their column's size; identifiers (call ids, tenant ids, keys) never are:
one too long is refused, since cutting it could merge two calls.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("frontdesk.store")

ELLIPSIS = "…"


def clean_text(value: str, *, limit: int | None = None) -> str:
    """``value`` without NUL characters or lone surrogates, cut to ``limit`` characters."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    if limit is not None and len(value) > limit:
        logger.info("text cut to its column's size", extra={"length": len(value), "limit": limit})
        value = value[: limit - 1] + ELLIPSIS
    return value


def clean_json(value: Any) -> Any:
    """A JSON-ready value with every string (and key) passed through :func:`clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value
