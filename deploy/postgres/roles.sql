-- Database roles for running Slipway on PostgreSQL with an append-only audit log.
--
-- Run once as the owner of the database (the role that runs `slipway db upgrade`), after the
-- first upgrade, and again after each upgrade that adds tables:
--     psql "$OWNER_URL" -v ON_ERROR_STOP=1 -f deploy/postgres/roles.sql
-- then give the login roles passwords (ALTER ROLE slipway_app PASSWORD '...') and point the
-- services at slipway_app, migrations at the owner, and auditors' tools at slipway_auditor.
--
-- slipway_app      what every service connects as: reads and writes the suite's tables, but may
--                  only INSERT and SELECT audit events (no UPDATE, DELETE or TRUNCATE), and only
--                  move the chain head. The append-only trigger refuses changes to events even
--                  for roles that hold the privilege; this role does not hold it to begin with.
-- slipway_auditor  read-only access to the audit log, for offline verification and exports.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'slipway_app') THEN
        CREATE ROLE slipway_app LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'slipway_auditor') THEN
        CREATE ROLE slipway_auditor LOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO slipway_app, slipway_auditor;

-- The suite's own tables: full data access (never DDL: migrations run as the owner).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO slipway_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO slipway_app;

-- The audit log: append and read only.
REVOKE ALL ON audit_events FROM slipway_app;
GRANT SELECT, INSERT ON audit_events TO slipway_app;
REVOKE ALL ON audit_chain_head FROM slipway_app;
GRANT SELECT, UPDATE ON audit_chain_head TO slipway_app;
-- Schema history is the migrations' business.
REVOKE ALL ON alembic_version FROM slipway_app;
GRANT SELECT ON alembic_version TO slipway_app;

GRANT SELECT ON audit_events, audit_chain_head, alembic_version TO slipway_auditor;
