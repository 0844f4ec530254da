-- Generated from agent/store/migrations/versions/0001_initial.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE TABLE calls (
    id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    source VARCHAR(16) NOT NULL, 
    room VARCHAR(255) NOT NULL, 
    caller_identity VARCHAR(255), 
    caller_number VARCHAR(32), 
    started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    ended_at TIMESTAMP WITH TIME ZONE, 
    duration_s FLOAT, 
    status VARCHAR(16) NOT NULL, 
    end_reason VARCHAR(255), 
    flow_id VARCHAR(128), 
    end_node VARCHAR(128), 
    error_count INTEGER NOT NULL, 
    CONSTRAINT pk_calls PRIMARY KEY (id)
);

CREATE INDEX ix_calls_tenant ON calls (tenant);

CREATE INDEX ix_calls_tenant_started_at ON calls (tenant, started_at);

CREATE TABLE leads (
    id BIGSERIAL NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    contact_key VARCHAR(255) NOT NULL, 
    name VARCHAR(255), 
    email VARCHAR(255), 
    phone VARCHAR(32), 
    campaign VARCHAR(128), 
    score INTEGER NOT NULL, 
    status VARCHAR(32) NOT NULL, 
    priority VARCHAR(16) NOT NULL, 
    last_call_id VARCHAR(64), 
    signals JSONB NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_leads PRIMARY KEY (id), 
    CONSTRAINT uq_leads_tenant_contact_key UNIQUE (tenant, contact_key)
);

CREATE INDEX ix_leads_last_call_id ON leads (last_call_id);

CREATE TABLE analyses (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    method VARCHAR(16) NOT NULL, 
    call_type VARCHAR(64), 
    fields JSONB NOT NULL, 
    summary TEXT, 
    sentiment FLOAT, 
    meeting JSONB, 
    error TEXT, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_analyses PRIMARY KEY (id), 
    CONSTRAINT fk_analyses_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE INDEX ix_analyses_call_id ON analyses (call_id);

CREATE TABLE consents (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    who VARCHAR(255), 
    wording TEXT NOT NULL, 
    granted BOOLEAN NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_consents PRIMARY KEY (id), 
    CONSTRAINT fk_consents_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE INDEX ix_consents_call_id ON consents (call_id);

CREATE TABLE flow_events (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    seq INTEGER NOT NULL, 
    type VARCHAR(64) NOT NULL, 
    node VARCHAR(128), 
    payload JSONB NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_flow_events PRIMARY KEY (id), 
    CONSTRAINT fk_flow_events_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE, 
    CONSTRAINT uq_flow_events_call_id_seq UNIQUE (call_id, seq)
);

CREATE TABLE handoffs (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    reason TEXT, 
    summary TEXT, 
    status VARCHAR(16) NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_handoffs PRIMARY KEY (id), 
    CONSTRAINT fk_handoffs_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE INDEX ix_handoffs_call_id ON handoffs (call_id);

CREATE TABLE outbox (
    id BIGSERIAL NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    call_id VARCHAR(64), 
    channel VARCHAR(16) NOT NULL, 
    target TEXT NOT NULL, 
    template VARCHAR(128), 
    payload JSONB NOT NULL, 
    idempotency_key VARCHAR(255) NOT NULL, 
    status VARCHAR(16) NOT NULL, 
    attempts INTEGER NOT NULL, 
    next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    last_error TEXT, 
    claimed_by VARCHAR(128), 
    claimed_at TIMESTAMP WITH TIME ZONE, 
    delivered_at TIMESTAMP WITH TIME ZONE, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_outbox PRIMARY KEY (id), 
    CONSTRAINT fk_outbox_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE, 
    CONSTRAINT uq_outbox_idempotency_key UNIQUE (idempotency_key)
);

CREATE INDEX ix_outbox_call_id ON outbox (call_id);

CREATE INDEX ix_outbox_status_next_attempt_at ON outbox (status, next_attempt_at);

CREATE TABLE participants (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    identity VARCHAR(255) NOT NULL, 
    role VARCHAR(16) NOT NULL, 
    name VARCHAR(255), 
    joined_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    left_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_participants PRIMARY KEY (id), 
    CONSTRAINT fk_participants_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE, 
    CONSTRAINT uq_participants_call_id_identity UNIQUE (call_id, identity)
);

CREATE INDEX ix_participants_call_id ON participants (call_id);

CREATE TABLE recordings (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    storage VARCHAR(16) NOT NULL, 
    uri TEXT NOT NULL, 
    format VARCHAR(8) NOT NULL, 
    channels INTEGER NOT NULL, 
    bytes BIGINT NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_recordings PRIMARY KEY (id), 
    CONSTRAINT fk_recordings_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE INDEX ix_recordings_call_id ON recordings (call_id);

CREATE INDEX ix_recordings_expires_at ON recordings (expires_at);

CREATE TABLE turns (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    seq INTEGER NOT NULL, 
    speaker VARCHAR(16) NOT NULL, 
    text TEXT NOT NULL, 
    started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    ended_at TIMESTAMP WITH TIME ZONE, 
    stt_confidence FLOAT, 
    interrupted BOOLEAN NOT NULL, 
    latency JSONB NOT NULL, 
    CONSTRAINT pk_turns PRIMARY KEY (id), 
    CONSTRAINT fk_turns_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE, 
    CONSTRAINT uq_turns_call_id_seq UNIQUE (call_id, seq)
);

CREATE TABLE usage (
    id BIGSERIAL NOT NULL, 
    call_id VARCHAR(64) NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    kind VARCHAR(8) NOT NULL, 
    provider VARCHAR(64) NOT NULL, 
    model VARCHAR(128) NOT NULL, 
    tokens_in INTEGER NOT NULL, 
    tokens_out INTEGER NOT NULL, 
    audio_seconds FLOAT NOT NULL, 
    characters INTEGER NOT NULL, 
    cost_usd FLOAT NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_usage PRIMARY KEY (id), 
    CONSTRAINT fk_usage_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE INDEX ix_usage_call_id ON usage (call_id);

ALTER TABLE calls ENABLE ROW LEVEL SECURITY;

CREATE POLICY calls_tenant_isolation ON calls USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE participants ENABLE ROW LEVEL SECURITY;

CREATE POLICY participants_tenant_isolation ON participants USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE turns ENABLE ROW LEVEL SECURITY;

CREATE POLICY turns_tenant_isolation ON turns USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE flow_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY flow_events_tenant_isolation ON flow_events USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE consents ENABLE ROW LEVEL SECURITY;

CREATE POLICY consents_tenant_isolation ON consents USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE analyses ENABLE ROW LEVEL SECURITY;

CREATE POLICY analyses_tenant_isolation ON analyses USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE leads ENABLE ROW LEVEL SECURITY;

CREATE POLICY leads_tenant_isolation ON leads USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE handoffs ENABLE ROW LEVEL SECURITY;

CREATE POLICY handoffs_tenant_isolation ON handoffs USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE usage ENABLE ROW LEVEL SECURITY;

CREATE POLICY usage_tenant_isolation ON usage USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE recordings ENABLE ROW LEVEL SECURITY;

CREATE POLICY recordings_tenant_isolation ON recordings USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;

CREATE POLICY outbox_tenant_isolation ON outbox USING (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant')) WITH CHECK (tenant = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'tenant'));

INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING alembic_version.version_num;

COMMIT;

