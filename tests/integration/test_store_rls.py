"""Row-level security and grants on real Postgres, set up the way Supabase sets a
project up: the roles ``anon``, ``authenticated`` and ``service_role`` (which bypasses
RLS), Supabase's default privileges (every new table granted to all three), and the
signed-in user's JWT claims in the ``request.jwt.claims`` setting, as PostgREST sets
them. The schema comes from ``supabase/migrations/`` (what ``supabase db push`` runs)
and, separately, from the Alembic migrations.

A tenant user reads its own tenant's rows of the tables it should see and writes
nothing; ``outbox``, ``recordings`` and ``alembic_version`` are closed to it; an
anonymous client reads and writes nothing; the service reads and writes everything.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from agent.config import ROOT
from agent.errors import StoreError
from agent.store import Store
from agent.store.engine import normalize_url
from agent.store.migrate import upgrade
from agent.store.tables import TENANT_TABLES
from tests.pg import PostgresServer

pytestmark = pytest.mark.integration

SUPABASE_ROLES = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END $$;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
"""

# what a tenant's users may read (their tenant's rows only); the rest is the service's
TENANT_READABLE = (
    "calls",
    "participants",
    "turns",
    "flow_events",
    "consents",
    "analyses",
    "leads",
    "handoffs",
    "usage",
    "web_visits",
    "meetings",
    "scheduled_calls",
)
SERVICE_ONLY = ("outbox", "recordings", "alembic_version", "apscheduler_jobs")
# password hashes and token digests of the staff logins: the service's alone
STAFF_SECRETS = ("staff_users", "staff_tokens")
_numbers = itertools.count(1)


@dataclass
class Project:
    """A Supabase-like database: the owner's store and a way to act as a role."""

    store: Store

    async def run(self, role: str, sql: str, claims: dict[str, object] | None = None) -> list[str]:
        async with self.store.transaction() as s:
            await s.execute(text(f"SET LOCAL ROLE {role}"))
            if claims is not None:
                await s.execute(
                    text("SELECT set_config('request.jwt.claims', :c, true)"),
                    {"c": json.dumps(claims)},
                )
            result = await s.execute(text(sql))
            return [str(r[0]) for r in result.all()] if result.returns_rows else []


SEED = [
    "INSERT INTO calls (id, tenant, source, room, started_at, status, error_count)"
    " VALUES ('{t}-1', '{t}', 'web', 'r', now(), 'completed', 0)",
    "INSERT INTO participants (call_id, tenant, identity, role, joined_at)"
    " VALUES ('{t}-1', '{t}', 'caller', 'caller', now())",
    "INSERT INTO turns (call_id, tenant, seq, speaker, text, started_at, interrupted, latency)"
    " VALUES ('{t}-1', '{t}', 1, 'caller', 'hello', now(), false, '{{}}')",
    "INSERT INTO flow_events (call_id, tenant, seq, type, payload, at)"
    " VALUES ('{t}-1', '{t}', 1, 'NodeEntered', '{{}}', now())",
    "INSERT INTO consents (call_id, tenant, wording, granted, at)"
    " VALUES ('{t}-1', '{t}', 'ok?', true, now())",
    "INSERT INTO analyses (call_id, tenant, method, fields, created_at)"
    " VALUES ('{t}-1', '{t}', 'deterministic', '{{}}', now())",
    "INSERT INTO leads (tenant, contact_key, score, status, priority, signals, created_at,"
    " updated_at) VALUES ('{t}', '+4420{n}', 10, 'new', 'low', '[]', now(), now())",
    "INSERT INTO handoffs (call_id, tenant, status, at)"
    " VALUES ('{t}-1', '{t}', 'requested', now())",
    "INSERT INTO usage (call_id, tenant, kind, provider, model, tokens_in, tokens_out,"
    " audio_seconds, characters, cost_usd, at)"
    " VALUES ('{t}-1', '{t}', 'stt', 'p', 'm', 0, 0, 1, 0, 0, now())",
    "INSERT INTO recordings (call_id, tenant, storage, uri, format, channels, bytes,"
    " created_at, expires_at) VALUES ('{t}-1', '{t}', 'local', '/r/{t}.ogg', 'ogg', 2, 1,"
    " now(), now())",
    "INSERT INTO web_visits (tenant, campaign, room, at) VALUES ('{t}', 'spring', 'r', now())",
    "INSERT INTO meetings (id, tenant, title, starts_at, duration_min, timezone, attendees,"
    " mode, status, sequence, created_at, updated_at) VALUES ('{t}-m', '{t}', 'Intro', now(),"
    " 30, 'UTC', '[]', 'discovery', 'scheduled', 0, now(), now())",
    "INSERT INTO scheduled_calls (id, tenant, phone_number, requested_at, rings_at, status,"
    " created_at, updated_at) VALUES ('{t}-s', '{t}', '+15550001234', now(), now(),"
    " 'scheduled', now(), now())",
    "INSERT INTO outbox (tenant, call_id, channel, target, payload, idempotency_key, status,"
    " attempts, next_attempt_at, created_at) VALUES ('{t}', '{t}-1', 'webhook',"
    " 'https://hook.example', '{{}}', '{t}-key', 'delivered', 1, now(), now())",
]


@pytest.fixture(params=["supabase-sql", "alembic"])
async def project(
    request: pytest.FixtureRequest, postgres: PostgresServer
) -> AsyncIterator[Project]:
    name = f"rls{next(_numbers)}"
    await asyncio.to_thread(postgres.psql, f"CREATE DATABASE {name}")
    await asyncio.to_thread(postgres.psql, SUPABASE_ROLES, name)
    if request.param == "supabase-sql":
        for path in sorted((ROOT / "supabase" / "migrations").glob("*.sql")):
            await asyncio.to_thread(postgres.psql_file, path, name)
    else:
        await asyncio.to_thread(upgrade, normalize_url(postgres.url(name)))
    store = Store.from_url(postgres.url(name))
    async with store.transaction() as s:
        for n, tenant in enumerate(("bakery", "gym")):
            for sql in SEED:
                await s.execute(text(sql.format(t=tenant, n=n)))
    yield Project(store)
    await store.close()


BAKERY_USER = {"sub": "u1", "role": "authenticated", "app_metadata": {"tenant": "bakery"}}


def test_the_tables_under_test_are_all_the_tables() -> None:
    assert sorted((*TENANT_READABLE, *SERVICE_ONLY[:2], *STAFF_SECRETS)) == sorted(TENANT_TABLES)


async def test_a_tenant_user_reads_only_its_tenants_rows(project: Project) -> None:
    for table in TENANT_READABLE:
        tenants = await project.run("authenticated", f"SELECT tenant FROM {table}", BAKERY_USER)
        assert tenants == ["bakery"], table
    # signed in, but no tenant in app_metadata (user_metadata is the user's own to set)
    forged = {"sub": "u2", "user_metadata": {"tenant": "gym"}}
    assert await project.run("authenticated", "SELECT id FROM calls", forged) == []
    assert await project.run("authenticated", "SELECT id FROM calls") == []


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO calls (id, tenant, source, room, started_at, status, error_count)"
        " VALUES ('x', 'bakery', 'web', 'r', now(), 'active', 0)",
        "UPDATE calls SET status = 'failed' WHERE tenant = 'bakery'",
        "DELETE FROM turns WHERE tenant = 'bakery'",
        "UPDATE leads SET score = 100 WHERE tenant = 'bakery'",
        "INSERT INTO web_visits (tenant, campaign, room, at)"
        " VALUES ('bakery', 'spring', 'r', now())",
        # an outbox row naming another tenant's webhook secret
        "INSERT INTO outbox (tenant, call_id, channel, target, payload, idempotency_key,"
        " status, attempts, next_attempt_at, created_at) VALUES ('bakery', 'bakery-1',"
        ' \'webhook\', \'https://evil.example\', \'{"kind": "webhook", "url":'
        ' "https://evil.example", "secret_env": "GYM_SECRET", "event": "call.analyzed",'
        " \"body\": {}}', 'forged', 'pending', 0, now(), now())",
        "UPDATE outbox SET status = 'pending' WHERE tenant = 'bakery'",  # send it again
        # a recording row pointing at any file, for retention to delete
        "INSERT INTO recordings (call_id, tenant, storage, uri, format, channels, bytes,"
        " created_at, expires_at) VALUES ('bakery-1', 'bakery', 'local', '/etc/passwd',"
        " 'ogg', 2, 1, now(), now())",
        "UPDATE recordings SET uri = '/etc/passwd' WHERE tenant = 'bakery'",
        "SELECT tenant FROM outbox",
        "SELECT uri FROM recordings",
        "SELECT version_num FROM alembic_version",
        "UPDATE alembic_version SET version_num = '0000'",
        # the scheduler's pickled jobs: a forged one would run in the dispatcher
        "SELECT id FROM apscheduler_jobs",
        "INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES ('x', 0, 'x')",
        "UPDATE meetings SET status = 'cancelled' WHERE tenant = 'bakery'",
        # staff logins: a tenant user must not read hashes nor make itself a login
        "SELECT password_hash FROM staff_users",
        "SELECT token_hash FROM staff_tokens",
        "INSERT INTO staff_users (tenant, email, password_hash, disabled, created_at)"
        " VALUES ('bakery', 'x@y.z', 'x', false, now())",
    ],
)
async def test_a_tenant_user_writes_nothing_and_never_sees_service_tables(
    project: Project, sql: str
) -> None:
    with pytest.raises(StoreError, match="permission denied"):
        await project.run("authenticated", sql, BAKERY_USER)


async def test_an_anonymous_client_reads_and_writes_nothing(project: Project) -> None:
    for table in (*TENANT_READABLE, *SERVICE_ONLY, *STAFF_SECRETS):
        for sql in (f"SELECT 1 FROM {table}", f"DELETE FROM {table}"):
            for claims in (None, BAKERY_USER):  # claims an anonymous client made up
                with pytest.raises(StoreError, match="permission denied"):
                    await project.run("anon", sql, claims)
    with pytest.raises(StoreError, match="permission denied"):
        await project.run("anon", "UPDATE alembic_version SET version_num = '0000'")


async def test_the_service_reads_and_writes_everything(project: Project) -> None:
    for table in (*TENANT_READABLE, *SERVICE_ONLY[:2]):
        assert sorted(await project.run("service_role", f"SELECT tenant FROM {table}")) == [
            "bakery",
            "gym",
        ], table
    await project.run("service_role", "UPDATE outbox SET status = 'pending'")
    await project.run("service_role", "DELETE FROM recordings WHERE tenant = 'gym'")
    async with project.store.transaction() as s:  # the owner (the worker) too
        assert len((await s.execute(text("SELECT id FROM calls"))).all()) == 2
        assert (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar()
