"""scheduled_calls: outbound phone calls the dispatcher places later

Revision ID: 0011_scheduled_calls
Revises: 0010_turns_speaker_identity
Create Date: 2026-12-07 21:00:00.000000

Tenant data: a tenant user may read its tenant's rows (one ``FOR SELECT`` policy),
nothing more. Their jobs live in ``apscheduler_jobs`` with the meetings' (0007).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_scheduled_calls"
down_revision: str | None = "0010_turns_speaker_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_OF_REQUEST = (
    "(nullif(current_setting('request.jwt.claims', true), '')::jsonb"
    " -> 'app_metadata' ->> 'tenant')"
)
GRANTS = """DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon')
     AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON scheduled_calls FROM anon, authenticated;
    GRANT SELECT ON scheduled_calls TO authenticated;
  END IF;
END
$$"""


def upgrade() -> None:
    op.create_table(
        "scheduled_calls",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("phone_number", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rings_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("room", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("sip_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_calls")),
    )
    op.create_index(
        op.f("ix_scheduled_calls_tenant_rings_at"),
        "scheduled_calls",
        ["tenant", "rings_at"],
        unique=False,
    )
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE scheduled_calls ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY scheduled_calls_tenant_read ON scheduled_calls FOR SELECT "
        f"USING (tenant = {TENANT_OF_REQUEST})"
    )
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_index(op.f("ix_scheduled_calls_tenant_rings_at"), table_name="scheduled_calls")
    op.drop_table("scheduled_calls")
