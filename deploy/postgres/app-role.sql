-- The serving processes' database role: the ordinary rights on the bank's tables.
--
-- Run by the migration step (deploy/compose.yaml `migrate`, deploy/k8s/migrate/job.yaml) as
-- the database owner, BEFORE `manage.py migrate`, in one transaction:
--
--   python manage.py dbshell -- --no-psqlrc --quiet --single-transaction \
--       --set ON_ERROR_STOP=1 --set app_role=bank_app --file deploy/postgres/app-role.sql
--
-- after which `manage.py migrate` runs, then `manage.py audit grant-app-role bank_app` narrows
-- the audit tables (insert, read, seal; the purge function). docs/deployment.md, "Database
-- roles", says why.
--
-- Default privileges, not a re-grant on every run: a `GRANT ... ON ALL TABLES` would widen
-- the audit tables again (UPDATE and DELETE on the chain keys and the archive records, which
-- no trigger guards) for the previous release, which keeps serving as this role until the
-- rollout, until grant-app-role narrowed them. Default privileges never touch an existing
-- table: a table the owner creates later (each later migration) gets the ordinary rights as
-- it is created. Only when the role has no right on any table yet (its first run, also on a
-- database migrated before the roles were split) are the existing tables granted.
--
-- The role itself is made by whoever makes the database (compose: the `postgres-app-role`
-- service; a managed database: its provisioning), with LOGIN and nothing else.

SET LOCAL bank.app_role = :'app_role';

DO $$
DECLARE
  app text := current_setting('bank.app_role');
  first_grant boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app) THEN
    RAISE EXCEPTION 'app role % does not exist: create it with the database', app;
  END IF;
  -- The audit trail's triggers and revoked privileges bind only a role that cannot get round
  -- them: not the owner (it may disable triggers), nor a role that can become it or any
  -- other role, read everything by replication, or ignore privileges.
  IF app = current_user
     OR pg_has_role(app, current_user, 'MEMBER')
     OR EXISTS (SELECT FROM pg_roles WHERE rolname = app
                AND (rolsuper OR rolcreaterole OR rolreplication OR rolbypassrls))
     OR EXISTS (SELECT FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                WHERE r.rolname = app AND c.relnamespace = 'public'::regnamespace) THEN
    RAISE EXCEPTION 'app role % may not be the owner, a member of it, own a table, or be '
                    'a superuser, CREATEROLE, REPLICATION or BYPASSRLS role', app;
  END IF;

  first_grant := NOT EXISTS (
    SELECT FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      AND has_table_privilege(app, c.oid, 'SELECT'));

  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app);
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                 'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                 'GRANT USAGE, SELECT ON SEQUENCES TO %I', app);
  IF first_grant THEN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public '
                   'TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
  END IF;
END $$;
