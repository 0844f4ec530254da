"""meetings: scheduled meetings, and the dispatcher's APScheduler job table

Revision ID: 0007_meetings
Revises: 0006_outbox_retry_horizon
Create Date: 2026-12-07 18:00:00.000000

``meetings`` is tenant data: a tenant user may read its tenant's rows (one ``FOR
SELECT`` policy), nothing more. ``apscheduler_jobs`` is the dispatcher's job store
(APScheduler's ``SQLAlchemyJobStore``, the same columns it would create itself): its
``job_state`` is a pickle the dispatcher unpickles, so nobody but the service may read
or write it (RLS with no policy, every grant to ``anon`` and ``authenticated`` revoked).
Without Supabase's roles (plain Postgres) the grants are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_meetings"
down_revision: str | None = "0006_outbox_retry_horizon"
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
    REVOKE ALL ON meetings, apscheduler_jobs FROM anon, authenticated;
    GRANT SELECT ON meetings TO authenticated;
  END IF;
END
$$"""


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("attendees", json_type, nullable=False),
        sa.Column("organizer", sa.String(length=255), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=255), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_index(
        op.f("ix_meetings_tenant_starts_at"), "meetings", ["tenant", "starts_at"], unique=False
    )
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    op.create_index(
        op.f("ix_apscheduler_jobs_next_run_time"), "apscheduler_jobs", ["next_run_time"]
    )
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE meetings ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE apscheduler_jobs ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY meetings_tenant_read ON meetings FOR SELECT "
        f"USING (tenant = {TENANT_OF_REQUEST})"
    )
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_index(op.f("ix_apscheduler_jobs_next_run_time"), table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_index(op.f("ix_meetings_tenant_starts_at"), table_name="meetings")
    op.drop_table("meetings")
