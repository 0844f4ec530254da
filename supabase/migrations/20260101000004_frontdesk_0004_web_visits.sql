-- Generated from agent/store/migrations/versions/0004_web_visits_per_campaign.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0003 -> 0004_web_visits

CREATE TABLE web_visits (
    id BIGSERIAL NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    campaign VARCHAR(128) NOT NULL, 
    room VARCHAR(255) NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_web_visits PRIMARY KEY (id)
);

CREATE INDEX ix_web_visits_tenant_campaign_at ON web_visits (tenant, campaign, at);

ALTER TABLE web_visits ENABLE ROW LEVEL SECURITY;

CREATE POLICY web_visits_tenant_isolation ON web_visits USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

UPDATE alembic_version SET version_num='0004_web_visits' WHERE alembic_version.version_num = '0003';

COMMIT;

