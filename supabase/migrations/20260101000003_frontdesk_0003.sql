-- Generated from agent/store/migrations/versions/0003_calls_record_their_campaign.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0002 -> 0003

ALTER TABLE calls ADD COLUMN campaign VARCHAR(128);

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

COMMIT;

