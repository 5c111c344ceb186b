"""On PostgreSQL, the database itself keeps the audit trail append-only.

A trigger refuses any UPDATE of an audit event except its one sealing (the chain columns
going from empty to set, nothing else changing), even to the table's owner, and any DELETE
outside the retention job (which sets `bank.audit_purge` for its own transaction). Together
with the privileges `manage.py audit grant-app-role` gives the app's database role (INSERT and
SELECT, UPDATE of the chain columns only; no DELETE, no TRUNCATE), a compromised app cannot
rewrite history, and the hash chain shows what someone with the owner's rights did anyway
(TRUNCATE is left to privileges: Django's test flush uses it). SQLite (the embedded demo) has
the chain only.
"""

from django.db import migrations

_COLUMNS = ("id", "occurred_at", "event_type", "outcome", "actor_type", "actor_id",
            "subject_type", "subject_id", "interaction_id", "source_ip", "software_product_id",
            "arrangement_id", "detail")
_UNCHANGED = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _COLUMNS)

CREATE = f"""
CREATE OR REPLACE FUNCTION bank_audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_UNCHANGED} THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (update refused)'
      USING ERRCODE = 'insufficient_privilege';
  ELSIF TG_OP = 'DELETE' THEN
    IF current_setting('bank.audit_purge', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (delete refused)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS bank_audit_event_guard_rows ON security_auditevent;
CREATE TRIGGER bank_audit_event_guard_rows BEFORE UPDATE OR DELETE ON security_auditevent
  FOR EACH ROW EXECUTE FUNCTION bank_audit_event_guard();
REVOKE UPDATE, DELETE, TRUNCATE ON security_auditevent FROM PUBLIC;
"""

DROP = """
DROP TRIGGER IF EXISTS bank_audit_event_guard_rows ON security_auditevent;
DROP FUNCTION IF EXISTS bank_audit_event_guard();
"""


def _on_postgres(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("security", "0002_audit_chain")]

    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
