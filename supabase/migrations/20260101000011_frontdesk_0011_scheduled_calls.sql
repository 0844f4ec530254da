-- Generated from agent/store/migrations/versions/0011_scheduled_calls.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0010_turns_speaker_identity -> 0011_scheduled_calls

CREATE TABLE scheduled_calls (
    id VARCHAR(32) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    phone_number VARCHAR(32) NOT NULL, 
    requested_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    rings_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    status VARCHAR(16) NOT NULL, 
    room VARCHAR(255), 
    outcome VARCHAR(16), 
    sip_status INTEGER, 
    error TEXT, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_scheduled_calls PRIMARY KEY (id)
);

CREATE INDEX ix_scheduled_calls_tenant_rings_at ON scheduled_calls (tenant, rings_at);

ALTER TABLE scheduled_calls ENABLE ROW LEVEL SECURITY;

CREATE POLICY scheduled_calls_tenant_read ON scheduled_calls FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon')
     AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON scheduled_calls FROM anon, authenticated;
    GRANT SELECT ON scheduled_calls TO authenticated;
  END IF;
END
$$;

UPDATE alembic_version SET version_num='0011_scheduled_calls' WHERE alembic_version.version_num = '0010_turns_speaker_identity';

COMMIT;

