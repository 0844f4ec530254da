"""staff logins: staff users (argon2 password hashes) and their bearer tokens

Revision ID: 0009_staff_logins
Revises: 0008_calls_called_number
Create Date: 2026-12-07 21:00:00.000000

``staff_users`` and ``staff_tokens`` are the service's alone: they hold password hashes
and token digests, so nobody but the service may read or write them (RLS with no
policy, every grant to ``anon`` and ``authenticated`` revoked). Without Supabase's roles
(plain Postgres) the grants are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_staff_logins"
down_revision: str | None = "0008_calls_called_number"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS = """DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon')
     AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON staff_users, staff_tokens FROM anon, authenticated;
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated',
      pg_get_serial_sequence('staff_users', 'id'));
  END IF;
END
$$"""


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "staff_users",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("tenant", "email", name=op.f("uq_staff_users_tenant_email")),
    )
    op.create_table(
        "staff_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", big_id, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_tokens_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_tokens")),
    )
    op.create_index(op.f("ix_staff_tokens_staff_id"), "staff_tokens", ["staff_id"])
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE staff_users ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE staff_tokens ENABLE ROW LEVEL SECURITY")
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_tokens_staff_id"), table_name="staff_tokens")
    op.drop_table("staff_tokens")
    op.drop_table("staff_users")
