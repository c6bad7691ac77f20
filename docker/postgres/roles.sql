-- The clinic's two database roles (docs/security.md, "Database roles"). Run by psql as a superuser, in the clinic's
-- database, with the variables owner, owner_password, app, app_password and dbname; safe to run again.
--
--   owner  owns the database, its schema and every table: `manage.py migrate` (the compose service `migrate`) uses it.
--   app    what web, worker and beat use: reads and writes rows, owns nothing, so it can neither change the schema,
--          TRUNCATE a table nor switch off a trigger; on the audit table it may only SELECT and INSERT.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'owner', :'owner_password')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app', :'app_password')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"app" NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;

ALTER DATABASE :"dbname" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- Tables the owner creates from now on (every migration), and those that exist already.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";

-- The audit trail is append-only. Migration clinic 0003 revokes this when it creates the chain; this covers a
-- database that already has it.
SELECT to_regclass('public.clinic_auditevent') IS NOT NULL AS has_audit_table \gset
\if :has_audit_table
REVOKE UPDATE, DELETE, TRUNCATE ON clinic_auditevent FROM :"app";
\endif
