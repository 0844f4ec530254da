"""Staff logins for tests: a user and an API key written straight into a store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.engine import URL

from agent.config import Settings
from agent.control.auth import new_token
from agent.control.passwords import hash_password
from agent.store import staff as repo
from agent.store.engine import Store, database_url
from agent.store.migrate import ensure_embedded_schema

PASSWORD = "correct horse battery"


async def add_staff_key(url: URL | str, tenant: str, email: str = "") -> str:
    """Add a staff user of ``tenant`` (password :data:`PASSWORD`) and return an API key."""
    email = email or f"staff@{tenant}.example"
    store = Store.from_url(url)
    try:
        await ensure_embedded_schema(store.engine.url)
        encoded = await asyncio.to_thread(hash_password, PASSWORD)
        async with store.transaction() as s:
            await repo.add_user(s, tenant=tenant, email=email, password_hash=encoded)
            user = await repo.find_user(s, tenant=tenant, email=email)
            assert user is not None
            token = new_token("api_key")
            now = datetime.now(UTC)
            await repo.add_token(s, user, token, kind="api_key", now=now, expires_at=None)
        return token
    finally:
        await store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def staff_headers(settings: Settings, tenant: str) -> dict[str, str]:
    """``Authorization`` for a new staff API key of ``tenant`` in ``settings``' store."""
    return bearer(await add_staff_key(database_url(settings), tenant))
