"""tenant users read only: read-only RLS policies, explicit grants for anon/authenticated

Revision ID: 0005_tenant_users_read_only
Revises: 0004_web_visits
Create Date: 2026-11-23 10:00:00.000000

The policies of 0001 and 0004_web_visits covered writes as well as reads, and Supabase grants
every new table to ``anon`` and ``authenticated`` by default: a signed-in tenant user
could insert and update its own ``outbox`` and ``recordings`` rows (a webhook signed
with another tenant's secret, a recording row pointing at any file for retention to
delete, a delivered notification reset to pending) and ``anon`` could update
``alembic_version``. Now:

- a tenant user (``authenticated``, with ``app_metadata.tenant`` in its JWT) may only
  SELECT its tenant's rows of the tables below (one ``FOR SELECT`` policy each);
- ``outbox``, ``recordings`` and ``alembic_version`` have RLS and no policy at all;
- ``anon`` and ``authenticated`` lose every privilege on every table and sequence of
  Frontdesk's, and ``authenticated`` gets back SELECT on the tenant tables only;
- the service (the tables' owner, or ``service_role``, which bypasses RLS) is unchanged.

A table added by a later migration must state its grants the same way (Supabase's
default privileges would grant it to ``anon`` and ``authenticated``);
``tests/integration/test_store_rls.py`` fails for a table it does not classify.
Without Supabase's roles (plain Postgres) the grants are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_tenant_users_read_only"
down_revision: str | None = "0004_web_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
)
SERVICE_ONLY = ("outbox", "recordings")
WITH_ID_SEQUENCE = (*TENANT_READABLE[1:], *SERVICE_ONLY)  # calls.id is a string
TENANT_OF_REQUEST = (
    "(nullif(current_setting('request.jwt.claims', true), '')::jsonb"
    " -> 'app_metadata' ->> 'tenant')"
)


def _grants() -> str:
    tables = ", ".join((*TENANT_READABLE, *SERVICE_ONLY, "alembic_version"))
    sequences = "\n".join(
        f"    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated',"
        f" pg_get_serial_sequence('{table}', 'id'));"
        for table in WITH_ID_SEQUENCE
    )
    return f"""DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon')
     AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON {tables} FROM anon, authenticated;
{sequences}
    GRANT SELECT ON {", ".join(TENANT_READABLE)} TO authenticated;
  END IF;
END
$$"""


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in (*TENANT_READABLE, *SERVICE_ONLY):
        op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for table in TENANT_READABLE:
        op.execute(
            f"CREATE POLICY {table}_tenant_read ON {table} FOR SELECT "
            f"USING (tenant = {TENANT_OF_REQUEST})"
        )
    op.execute("ALTER TABLE alembic_version ENABLE ROW LEVEL SECURITY")
    op.execute(_grants())


def downgrade() -> None:
    """Back to the first migration's read-write policies (the grants stay revoked)."""
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE alembic_version DISABLE ROW LEVEL SECURITY")
    for table in TENANT_READABLE:
        op.execute(f"DROP POLICY IF EXISTS {table}_tenant_read ON {table}")
    for table in (*TENANT_READABLE, *SERVICE_ONLY):
        op.execute(
            f"CREATE POLICY {table}_tenant_isolation ON {table} "
            f"USING (tenant = {TENANT_OF_REQUEST}) WITH CHECK (tenant = {TENANT_OF_REQUEST})"
        )
