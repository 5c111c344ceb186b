"""Hardening of the PostgreSQL side of the audit trail (independent review of 0008).

1. bank_audit_purge is replaced: its search_path names pg_temp last and every table is
   schema-qualified, so a role that can create temporary tables cannot shadow
   security_auditevent with its own table and trigger and run code as the function's owner
   (PostgreSQL searches pg_temp first unless it is named); and it records the archive's key
   label and MAC (verified by `audit verify`, so a hand-written archive row cannot hide a
   cut-off start of the chain).
2. The row guard now also checks the one sealing update's place: seq must be the next one
   after the newest sealed event (or archived stretch) and prev_hash that event's hash. A
   role that may seal can no longer jump the chain to the top of bigint (stopping every later
   sealing) or leave holes; only the HMAC itself needs the key to check (audit verify).
"""

from django.db import migrations

_COLUMNS = ("id", "occurred_at", "event_type", "outcome", "actor_type", "actor_id",
            "subject_type", "subject_id", "interaction_id", "source_ip", "software_product_id",
            "arrangement_id", "detail")
_UNCHANGED = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _COLUMNS)
LEGAL_MINIMUM_DAYS = 2192
GENESIS = "0" * 64

GUARD = f"""
CREATE OR REPLACE FUNCTION bank_audit_event_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_UNCHANGED} THEN
      SELECT e.seq, e.chain_hash INTO last_seq, last_hash FROM public.security_auditevent e
        WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
      IF last_seq IS NULL THEN
        SELECT a.last_seq, a.last_hash INTO last_seq, last_hash FROM public.security_auditarchive a
          ORDER BY a.last_seq DESC LIMIT 1;
      END IF;
      IF NEW.seq = COALESCE(last_seq, 0) + 1
         AND NEW.prev_hash = COALESCE(last_hash, '{GENESIS}') THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit events are sealed in order (seal refused)'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'audit events are append-only (update refused)'
      USING ERRCODE = 'insufficient_privilege';
  ELSIF TG_OP = 'DELETE' THEN
    IF current_setting('bank.audit_purge', true) = 'on'
       AND current_user = (SELECT r.rolname FROM pg_catalog.pg_class c
                           JOIN pg_catalog.pg_roles r ON r.oid = c.relowner
                           WHERE c.oid = TG_RELID) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (delete refused)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
"""

PURGE = f"""
DROP FUNCTION IF EXISTS bank_audit_purge(text, bigint, bigint, text, text);
CREATE OR REPLACE FUNCTION bank_audit_purge(
    p_name text, p_first bigint, p_last bigint, p_last_hash text, p_sha256 text,
    p_key text, p_mac text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  lowest bigint;
  n bigint;
  newest timestamptz;
  head text;
  before text;
BEGIN
  PERFORM pg_catalog.pg_advisory_xact_lock(7161746502155756900);
  SELECT min(seq) INTO lowest FROM public.security_auditevent WHERE seq IS NOT NULL;
  IF lowest IS NULL OR p_first <> lowest OR p_last < p_first THEN
    RAISE EXCEPTION 'audit purge refused: not the oldest stretch of the chain'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT count(*), max(occurred_at) INTO n, newest
    FROM public.security_auditevent WHERE seq BETWEEN p_first AND p_last;
  IF n <> p_last - p_first + 1 THEN
    RAISE EXCEPTION 'audit purge refused: the stretch has gaps'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF newest >= pg_catalog.clock_timestamp() - interval '{LEGAL_MINIMUM_DAYS} days' THEN
    RAISE EXCEPTION 'audit purge refused: events younger than the legal minimum'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT chain_hash INTO head FROM public.security_auditevent WHERE seq = p_last;
  SELECT prev_hash INTO before FROM public.security_auditevent WHERE seq = p_first;
  IF head IS DISTINCT FROM p_last_hash THEN
    RAISE EXCEPTION 'audit purge refused: the archive does not end where the chain does'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO public.security_auditarchive
    (name, first_seq, last_seq, events, prev_hash, last_hash, sha256, key, mac, purged_at)
    VALUES (p_name, p_first, p_last, n, before, p_last_hash, p_sha256, p_key, p_mac, now());
  PERFORM pg_catalog.set_config('bank.audit_purge', 'on', true);
  DELETE FROM public.security_auditevent WHERE seq BETWEEN p_first AND p_last;
  PERFORM pg_catalog.set_config('bank.audit_purge', 'off', true);
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION bank_audit_purge(text, bigint, bigint, text, text, text, text)
  FROM PUBLIC;
"""


def _on_postgres(*statements: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return run


def _previous(apps, schema_editor):
    from importlib import import_module

    before = import_module("security.migrations.0008_audit_purge_function")
    _on_postgres(
        "DROP FUNCTION IF EXISTS bank_audit_purge(text, bigint, bigint, text, text, text, text);",
        before.GUARD, before.PURGE)(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("security", "0009_audit_archive_mac")]

    operations = [migrations.RunPython(_on_postgres(GUARD, PURGE), _previous)]
