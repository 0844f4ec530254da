"""outbox retry horizon: when a row was revived, and how many sends timed out

Revision ID: 0006_outbox_retry_horizon
Revises: 0005_tenant_users_read_only
Create Date: 2026-11-23 14:00:00.000000

A notification is retried until it is ``FRONTDESK_OUTBOX_HORIZON_HOURS`` old, counted
from ``revived_at`` once ``frontdesk outbox retry`` revived it (else ``created_at``).
``timeouts`` counts the sends the receiver did not answer in time (it may have taken
them: each retry carries the same idempotency key). Columns of an existing table: the
grants of 0005_tenant_users_read_only cover them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_outbox_retry_horizon"
down_revision: str | None = "0005_tenant_users_read_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("timeouts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("timeouts")
        batch_op.drop_column("revived_at")
