-- Generated from agent/store/migrations/versions/0005_tenant_users_read_only.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0004_web_visits -> 0005_tenant_users_read_only

DROP POLICY IF EXISTS calls_tenant_isolation ON calls;

ALTER TABLE calls ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS participants_tenant_isolation ON participants;

ALTER TABLE participants ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS turns_tenant_isolation ON turns;

ALTER TABLE turns ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS flow_events_tenant_isolation ON flow_events;

ALTER TABLE flow_events ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS consents_tenant_isolation ON consents;

ALTER TABLE consents ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS analyses_tenant_isolation ON analyses;

ALTER TABLE analyses ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS leads_tenant_isolation ON leads;

ALTER TABLE leads ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS handoffs_tenant_isolation ON handoffs;

ALTER TABLE handoffs ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS usage_tenant_isolation ON usage;

ALTER TABLE usage ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS web_visits_tenant_isolation ON web_visits;

ALTER TABLE web_visits ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS outbox_tenant_isolation ON outbox;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS recordings_tenant_isolation ON recordings;

ALTER TABLE recordings ENABLE ROW LEVEL SECURITY;

CREATE POLICY calls_tenant_read ON calls FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY participants_tenant_read ON participants FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY turns_tenant_read ON turns FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY flow_events_tenant_read ON flow_events FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY consents_tenant_read ON consents FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY analyses_tenant_read ON analyses FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY leads_tenant_read ON leads FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY handoffs_tenant_read ON handoffs FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY usage_tenant_read ON usage FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

CREATE POLICY web_visits_tenant_read ON web_visits FOR SELECT USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE alembic_version ENABLE ROW LEVEL SECURITY;

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon')
     AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON calls, participants, turns, flow_events, consents, analyses, leads, handoffs, usage, web_visits, outbox, recordings, alembic_version FROM anon, authenticated;
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('participants', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('turns', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('flow_events', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('consents', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('analyses', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('leads', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('handoffs', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('usage', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('web_visits', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('outbox', 'id'));
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated', pg_get_serial_sequence('recordings', 'id'));
    GRANT SELECT ON calls, participants, turns, flow_events, consents, analyses, leads, handoffs, usage, web_visits TO authenticated;
  END IF;
END
$$;

UPDATE alembic_version SET version_num='0005_tenant_users_read_only' WHERE alembic_version.version_num = '0004_web_visits';

COMMIT;

