"""web visits per campaign: one row per widget token request

Revision ID: 0004_web_visits
Revises: 0003
Create Date: 2026-12-02 15:31:33.451578
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_web_visits"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as in 0001: a signed-in Supabase user sees only their tenant's rows
TENANT_OF_REQUEST = (
    "(nullif(current_setting('request.jwt.claims', true), '')::jsonb"
    " -> 'app_metadata' ->> 'tenant')"
)


def upgrade() -> None:
    op.create_table(
        "web_visits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("campaign", sa.String(length=128), nullable=False),
        sa.Column("room", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_visits")),
    )
    with op.batch_alter_table("web_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_visits_tenant_campaign_at"),
            ["tenant", "campaign", "at"],
            unique=False,
        )
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE web_visits ENABLE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY web_visits_tenant_isolation ON web_visits "
            f"USING (tenant = {TENANT_OF_REQUEST}) WITH CHECK (tenant = {TENANT_OF_REQUEST})"
        )


def downgrade() -> None:
    with op.batch_alter_table("web_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_visits_tenant_campaign_at"))
    op.drop_table("web_visits")
