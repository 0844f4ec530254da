-- Generated from agent/store/migrations/versions/0006_outbox_retry_horizon.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0005_tenant_users_read_only -> 0006_outbox_retry_horizon

ALTER TABLE outbox ADD COLUMN revived_at TIMESTAMP WITH TIME ZONE;

ALTER TABLE outbox ADD COLUMN timeouts INTEGER DEFAULT '0' NOT NULL;

UPDATE alembic_version SET version_num='0006_outbox_retry_horizon' WHERE alembic_version.version_num = '0005_tenant_users_read_only';

COMMIT;

