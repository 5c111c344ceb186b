"""On PostgreSQL, an audit event is born unsealed and dated now.

Whoever inserts (the app's role included, or an injected statement) cannot pre-fill the chain
columns (a forged "sealed" event, or a seq near the top of bigint that would stop every later
sealing) nor date an event outside a few minutes of the database's clock (a forged event
slipped into the past would otherwise be sealed as if it were history).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION bank_audit_event_insert_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.seq := NULL;
  NEW.prev_hash := '';
  NEW.chain_hash := '';
  NEW.chain_key := '';
  NEW.sealed_at := NULL;
  IF NEW.occurred_at < clock_timestamp() - interval '5 minutes'
     OR NEW.occurred_at > clock_timestamp() + interval '5 minutes' THEN
    RAISE EXCEPTION 'audit events are dated now (occurred_at refused)'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS bank_audit_event_insert_guard ON security_auditevent;
CREATE TRIGGER bank_audit_event_insert_guard BEFORE INSERT ON security_auditevent
  FOR EACH ROW EXECUTE FUNCTION bank_audit_event_insert_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS bank_audit_event_insert_guard ON security_auditevent;
DROP FUNCTION IF EXISTS bank_audit_event_insert_guard();
"""


def _on_postgres(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("security", "0003_audit_append_only")]

    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
