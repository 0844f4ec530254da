"""calls record the dialled number, and the SIP status of an outbound call that failed

Revision ID: 0008_calls_called_number
Revises: 0007_meetings
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_calls_called_number"
down_revision: str | None = "0007_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("called_number", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("sip_status", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("sip_status")
        batch_op.drop_column("called_number")
