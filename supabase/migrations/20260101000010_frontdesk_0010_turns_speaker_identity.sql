-- Generated from agent/store/migrations/versions/0010_turns_speaker_identity.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0009_staff_logins -> 0010_turns_speaker_identity

ALTER TABLE turns ADD COLUMN speaker_identity VARCHAR(128);

UPDATE alembic_version SET version_num='0010_turns_speaker_identity' WHERE alembic_version.version_num = '0009_staff_logins';

COMMIT;

