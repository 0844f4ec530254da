-- Generated from agent/store/migrations/versions/0008_calls_called_number.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0007_meetings -> 0008_calls_called_number

ALTER TABLE calls ADD COLUMN called_number VARCHAR(32);

ALTER TABLE calls ADD COLUMN sip_status INTEGER;

UPDATE alembic_version SET version_num='0008_calls_called_number' WHERE alembic_version.version_num = '0007_meetings';

COMMIT;

