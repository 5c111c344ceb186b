"""On PostgreSQL, audit events leave only through `bank_audit_purge`, a security-definer
function owned by the migrating role.

The app's role may call it (`manage.py audit grant-app-role`) but cannot delete a row itself:
it has no DELETE privilege, and the row trigger now lets a DELETE through only when the purge
flag is set *and* the current user owns the table, which inside the function is its owner and
outside it is not the app. The function deletes only the oldest stretch of the chain, without
gaps, ending at the hash the archive ends with, and only events older than six years (the
CDR's record-keeping period, rule 9.3; BANK_AUDIT_RETENTION_DAYS cannot go below it), and it
records the stretch in security_auditarchive, which the app's role can only read. So even a
compromised app can neither punch a hole in the trail nor cut off recent events.
"""

from django.db import migrations

_COLUMNS = ("id", "occurred_at", "event_type", "outcome", "actor_type", "actor_id",
            "subject_type", "subject_id", "interaction_id", "source_ip", "software_product_id",
            "arrangement_id", "detail")
_UNCHANGED = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _COLUMNS)
#: Six years and a leap day or two: the least any configuration may keep.
LEGAL_MINIMUM_DAYS = 2192

GUARD = f"""
CREATE OR REPLACE FUNCTION bank_audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_UNCHANGED} THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (update refused)'
      USING ERRCODE = 'insufficient_privilege';
  ELSIF TG_OP = 'DELETE' THEN
    IF current_setting('bank.audit_purge', true) = 'on'
       AND current_user = (SELECT r.rolname FROM pg_class c JOIN pg_roles r
                           ON r.oid = c.relowner WHERE c.oid = TG_RELID) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (delete refused)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
"""

PURGE = f"""
CREATE OR REPLACE FUNCTION bank_audit_purge(
    p_name text, p_first bigint, p_last bigint, p_last_hash text, p_sha256 text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  lowest bigint;
  n bigint;
  newest timestamptz;
  head text;
  before text;
BEGIN
  PERFORM pg_advisory_xact_lock(7161746502155756900);
  SELECT min(seq) INTO lowest FROM security_auditevent WHERE seq IS NOT NULL;
  IF lowest IS NULL OR p_first <> lowest OR p_last < p_first THEN
    RAISE EXCEPTION 'audit purge refused: not the oldest stretch of the chain'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT count(*), max(occurred_at) INTO n, newest
    FROM security_auditevent WHERE seq BETWEEN p_first AND p_last;
  IF n <> p_last - p_first + 1 THEN
    RAISE EXCEPTION 'audit purge refused: the stretch has gaps'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF newest >= clock_timestamp() - interval '{LEGAL_MINIMUM_DAYS} days' THEN
    RAISE EXCEPTION 'audit purge refused: events younger than the legal minimum'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT chain_hash INTO head FROM security_auditevent WHERE seq = p_last;
  SELECT prev_hash INTO before FROM security_auditevent WHERE seq = p_first;
  IF head IS DISTINCT FROM p_last_hash THEN
    RAISE EXCEPTION 'audit purge refused: the archive does not end where the chain does'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO security_auditarchive
    (name, first_seq, last_seq, events, prev_hash, last_hash, sha256, purged_at)
    VALUES (p_name, p_first, p_last, n, before, p_last_hash, p_sha256, now());
  PERFORM set_config('bank.audit_purge', 'on', true);
  DELETE FROM security_auditevent WHERE seq BETWEEN p_first AND p_last;
  PERFORM set_config('bank.audit_purge', 'off', true);
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION bank_audit_purge(text, bigint, bigint, text, text) FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON security_auditarchive FROM PUBLIC;
"""

DROP = "DROP FUNCTION IF EXISTS bank_audit_purge(text, bigint, bigint, text, text);"


def _on_postgres(*statements: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return run


def _previous_guard():
    from importlib import import_module

    return import_module("security.migrations.0003_audit_append_only").CREATE


class Migration(migrations.Migration):
    dependencies = [("security", "0007_audit_archive")]

    operations = [
        migrations.RunPython(_on_postgres(GUARD, PURGE),
                             lambda apps, editor: _on_postgres(DROP, _previous_guard())(
                                 apps, editor)),
    ]
