-- Generated from agent/store/migrations/versions/0009_staff_logins.py by
-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.

BEGIN;

-- Running upgrade 0008_calls_called_number -> 0009_staff_logins

CREATE TABLE staff_users (
    id BIGSERIAL NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    email VARCHAR(255) NOT NULL, 
    password_hash VARCHAR(255) NOT NULL, 
    disabled BOOLEAN NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_staff_users PRIMARY KEY (id), 
    CONSTRAINT uq_staff_users_tenant_email UNIQUE (tenant, email)
);

CREATE TABLE staff_tokens (
    token_hash VARCHAR(64) NOT NULL, 
    staff_id BIGINT NOT NULL, 
    tenant VARCHAR(64) NOT NULL, 
    kind VARCHAR(16) NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE, 
    revoked_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_staff_tokens PRIMARY KEY (token_hash), 
    CONSTRAINT fk_staff_tokens_staff_id_staff_users FOREIGN KEY(staff_id) REFERENCES staff_users (id) ON DELETE CASCADE
);

CREATE INDEX ix_staff_tokens_staff_id ON staff_tokens (staff_id);

ALTER TABLE staff_users ENABLE ROW LEVEL SECURITY;

ALTER TABLE staff_tokens ENABLE ROW LEVEL SECURITY;

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon')
     AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON staff_users, staff_tokens FROM anon, authenticated;
    EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM anon, authenticated',
      pg_get_serial_sequence('staff_users', 'id'));
  END IF;
END
$$;

UPDATE alembic_version SET version_num='0009_staff_logins' WHERE alembic_version.version_num = '0008_calls_called_number';

COMMIT;

