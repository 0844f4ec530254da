"""turns name their speaker's participant: who said what when several people talk

Revision ID: 0010_turns_speaker_identity
Revises: 0009_staff_logins
Create Date: 2026-12-07 21:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_turns_speaker_identity"
down_revision: str | None = "0009_staff_logins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speaker_identity", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_column("speaker_identity")
