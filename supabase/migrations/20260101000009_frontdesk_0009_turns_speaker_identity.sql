-- Generated from agent/store/migrations/versions/0009_turns_speaker_identity.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0008_calls_called_number -> 0009_turns_speaker_identity

ALTER TABLE turns ADD COLUMN speaker_identity VARCHAR(128);

UPDATE alembic_version SET version_num='0009_turns_speaker_identity' WHERE alembic_version.version_num = '0008_calls_called_number';

COMMIT;

