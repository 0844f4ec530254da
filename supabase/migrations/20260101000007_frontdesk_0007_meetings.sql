-- Generated from agent/store/migrations/versions/0007_meetings.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0006_outbox_retry_horizon -> 0007_meetings

CREATE TABLE meetings (
    id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    title VARCHAR(255) NOT NULL, 
    starts_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    duration_min INTEGER NOT NULL, 
    timezone VARCHAR(64) NOT NULL, 
    attendees JSONB NOT NULL, 
    organizer VARCHAR(255), 
    mode VARCHAR(16) NOT NULL, 
    status VARCHAR(16) NOT NULL, 
    sequence INTEGER NOT NULL, 
    room VARCHAR(255), 
    joined_at TIMESTAMP WITH TIME ZONE, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_meetings PRIMARY KEY (id)
);

CREATE INDEX ix_meetings_tenant_starts_at ON meetings (tenant, starts_at);

CREATE TABLE apscheduler_jobs (
    id VARCHAR(191) NOT NULL, 
    next_run_time FLOAT(25), 
    job_state BYTEA NOT NULL, 
    CONSTRAINT pk_apscheduler_jobs PRIMARY KEY (id)
);

CREATE INDEX ix_apscheduler_jobs_next_run_time ON apscheduler_jobs (next_run_time);

ALTER TABLE meetings ENABLE ROW LEVEL SECURITY;

ALTER TABLE apscheduler_jobs ENABLE ROW LEVEL SECURITY;

CREATE POLICY meetings_tenant_read ON meetings FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon')
     AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON meetings, apscheduler_jobs FROM anon, authenticated;
    GRANT SELECT ON meetings TO authenticated;
  END IF;
END
$$;

UPDATE alembic_version SET version_num='0007_meetings' WHERE alembic_version.version_num = '0006_outbox_retry_horizon';

COMMIT;

