-- Generated from agent/store/migrations/versions/0002_usage_recordings_once.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0001 -> 0002

ALTER TABLE recordings ADD CONSTRAINT uq_recordings_call_id_uri UNIQUE (call_id, uri);

ALTER TABLE usage ADD CONSTRAINT uq_usage_call_id_kind_provider_model UNIQUE (call_id, kind, provider, model);

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

COMMIT;

