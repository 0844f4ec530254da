"""Row-level security on real Postgres: a role that is not the tables' owner sees and
writes only its tenant's rows, taken from the JWT claims as Supabase sets them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from agent.store import Store
from agent.store.calls import NewCall, start_call
from agent.store.tables import utcnow

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_a_tenant_user_sees_only_its_tenant(store_url: str) -> None:
    store = Store.from_url(store_url)
    try:
        async with store.transaction() as s:
            for tenant in ("bakery", "gym"):
                call = NewCall(
                    id=f"{tenant}-1", tenant=tenant, source="web", room="r", started_at=utcnow()
                )
                await start_call(s, call)
            await s.execute(text("DROP ROLE IF EXISTS tenant_user"))
            await s.execute(text("CREATE ROLE tenant_user"))
            await s.execute(text("GRANT SELECT, INSERT ON calls TO tenant_user"))

        async def as_user(claims: dict[str, object] | None, sql: str) -> list[str]:
            async with store.transaction() as s:
                await s.execute(text("SET LOCAL ROLE tenant_user"))
                if claims is not None:
                    await s.execute(
                        text("SELECT set_config('request.jwt.claims', :c, true)"),
                        {"c": json.dumps(claims)},
                    )
                return [str(r[0]) for r in (await s.execute(text(sql))).all()]

        bakery = {"sub": "u1", "app_metadata": {"tenant": "bakery"}}
        assert await as_user(bakery, "SELECT id FROM calls") == ["bakery-1"]
        assert await as_user({"sub": "u2"}, "SELECT id FROM calls") == []
        assert await as_user(None, "SELECT id FROM calls") == []
        async with store.transaction() as s:  # the owner (the worker) is not restricted
            assert len((await s.execute(text("SELECT id FROM calls"))).all()) == 2
        with pytest.raises(Exception, match="row-level security"):
            await as_user(
                bakery,
                "INSERT INTO calls (id, tenant, source, room, started_at, status, error_count)"
                " VALUES ('x', 'gym', 'web', 'r', now(), 'active', 0) RETURNING id",
            )
    finally:
        await store.close()
