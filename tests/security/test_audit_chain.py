"""The audit trail's hash chain (security/audit_chain.py) and, on PostgreSQL, the database's
own refusal to change it (security/migrations/0003_audit_append_only.py)."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client

from security.audit import Actor, audit_record
from security.audit_chain import GENESIS, audit_seal, audit_verify, canonical, chain_keys_forget
from security.models import AuditChainKey, AuditEvent


def _events(n: int) -> list[AuditEvent]:
    return [audit_record(actor=Actor.system("test"), event_type="TEST_EVENT", subject_id=i,
                         detail={"n": i, "nested": {"ok": True}}) for i in range(n)]


def _raw(sql: str, params: list) -> None:
    """What someone with direct database access does, around the app (and on PostgreSQL
    around the trigger too, as the table's owner could)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.fixture(autouse=True)
def _fresh_keys():
    chain_keys_forget()
    yield
    chain_keys_forget()


def test_sealing_chains_every_event_in_order_with_a_key_from_the_key_manager(db):
    _events(5)
    assert audit_seal() == 5
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.chain_hash for a, b in itertools.pairwise(rows))
    key = AuditChainKey.objects.get(active=True)
    assert all(r.chain_key == key.label for r in rows)
    assert len(bytes(key.wrapped)) > 32  # wrapped, not the key itself
    result = audit_verify()
    assert (result.ok, result.checked, result.unsealed, result.head) == (
        True, 5, 0, (5, rows[-1].chain_hash))
    assert audit_seal() == 0  # nothing left


def test_the_hash_is_an_hmac_over_the_place_the_link_and_every_field(db):
    from security.audit_chain import _chain_key

    event = _events(1)[0]
    audit_seal()
    event.refresh_from_db()
    key = _chain_key(event.chain_key)
    expected = hmac.new(key, canonical(event, seq=1, prev_hash=GENESIS), hashlib.sha256)
    assert event.chain_hash == expected.hexdigest()
    # Without the key nobody can make it: a plain SHA-256 of the same bytes differs.
    assert event.chain_hash != hashlib.sha256(canonical(event, seq=1, prev_hash=GENESIS)
                                              ).hexdigest()


def test_a_request_seals_its_events_before_it_ends(db, real_rate_limits):
    real_rate_limits.BANK_RATE_LIMITS = {**real_rate_limits.BANK_RATE_LIMITS,
                                         "login_per_source": ("1/m", 1)}
    client = Client()
    client.post("/consent/no-such-request", {})
    assert client.post("/consent/no-such-request", {}).status_code == 429
    event = AuditEvent.objects.get(event_type="RATE_LIMIT_EXCEEDED")
    assert event.seq is not None and len(event.chain_hash) == 64
    assert audit_verify().ok


def test_audit_events_name_the_requests_client(db, settings):
    from security.interaction import bind_principal_scope, principal_bind, reset_principal

    token = bind_principal_scope()
    try:
        principal_bind(client="sp-123", customer_id=7)
        event = audit_record(actor=Actor.system(), event_type="TEST_EVENT", arrangement_id=42)
    finally:
        reset_principal(token)
    assert (event.software_product_id, event.arrangement_id) == ("sp-123", "42")


def test_verify_names_an_edited_event(db):
    events = _events(4)
    audit_seal()
    _raw("UPDATE security_auditevent SET outcome = %s WHERE id = %s", ["denied", events[2].pk])
    result = audit_verify()
    assert not result.ok and len(result.breaks) == 1 and result.checked == 3
    assert result.broken_at == f"seq 3 (event {events[2].pk})"
    assert "hash mismatch" in result.problem


def test_verify_goes_on_past_a_break_and_finds_the_next_one(db):
    """A planted junk link at the start must not hide an edit further on."""
    events = _events(6)
    audit_seal()
    _raw("UPDATE security_auditevent SET chain_hash = %s WHERE id = %s",
         ["0" * 64, events[0].pk])
    _raw("UPDATE security_auditevent SET subject_id = %s WHERE id = %s", ["999", events[4].pk])
    result = audit_verify()
    assert [b.at for b in result.breaks] == [
        f"seq 1 (event {events[0].pk})", f"seq 2 (event {events[1].pk})",
        f"seq 5 (event {events[4].pk})"]


def test_verify_names_a_deleted_event(db):
    events = _events(4)
    audit_seal()
    _raw("DELETE FROM security_auditevent WHERE id = %s", [events[1].pk])
    result = audit_verify()
    assert not result.ok and result.broken_at == "seq 2" and "missing" in result.problem


def test_verify_names_a_deleted_first_event(db):
    events = _events(3)
    audit_seal()
    _raw("DELETE FROM security_auditevent WHERE id = %s", [events[0].pk])
    result = audit_verify()
    # The chain starts at 1 (or right after the newest retention archive).
    assert not result.ok and result.broken_at == "seq 1"
    assert result.problem == "missing: the chain jumps from 0 to 2"


def test_verify_names_an_inserted_event(db):
    events = _events(3)
    audit_seal()
    forged = events[1]
    # A forged event slipped in after seq 3, linked to it, with a made-up hash.
    _raw("INSERT INTO security_auditevent (occurred_at, event_type, outcome, actor_type, "
         "actor_id, subject_type, subject_id, interaction_id, software_product_id, "
         "arrangement_id, detail, seq, prev_hash, chain_hash, chain_key, sealed_at) VALUES "
         "(%s, 'CONSENT_GRANTED', 'success', 'customer', '1', '', '', '', '', '', '{}', 4, %s, "
         "%s, %s, %s)",
         [forged.occurred_at, AuditEvent.objects.get(seq=3).chain_hash,
          hashlib.sha256(b"forged").hexdigest(), AuditEvent.objects.get(seq=3).chain_key,
          forged.occurred_at])
    result = audit_verify()
    assert not result.ok and result.broken_at.startswith("seq 4") and result.checked == 3
    assert len(result.breaks) == 1


def test_verify_names_swapped_events(db):
    events = _events(3)
    audit_seal()
    first, second = (AuditEvent.objects.get(pk=e.pk) for e in events[:2])
    _raw("UPDATE security_auditevent SET seq = -1 WHERE id = %s", [first.pk])
    _raw("UPDATE security_auditevent SET seq = 1, prev_hash = %s WHERE id = %s",
         [GENESIS, second.pk])
    _raw("UPDATE security_auditevent SET seq = 2, prev_hash = %s WHERE id = %s",
         [second.chain_hash, first.pk])
    result = audit_verify()
    assert not result.ok and result.broken_at == f"seq 1 (event {second.pk})"


def test_an_anchor_from_the_logs_shows_a_cut_off_tail(db):
    _events(4)
    audit_seal()
    head = AuditEvent.objects.get(seq=4)
    assert audit_verify(expect_head=(4, head.chain_hash)).ok
    _raw("DELETE FROM security_auditevent WHERE seq >= %s", [3])  # the newest two, cleanly
    assert audit_verify().ok  # the chain alone cannot see it...
    result = audit_verify(expect_head=(4, head.chain_hash))
    assert not result.ok and "cut off" in result.problem  # ...the anchor does


def test_manage_audit_verify_reports_and_fails(db):
    events = _events(2)
    out = io.StringIO()
    call_command("audit", "seal", stdout=out)
    assert out.getvalue().strip() == "sealed 2 event(s)"
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().startswith("audit chain OK: 2 event(s) verified, head seq 2 ")
    _raw("UPDATE security_auditevent SET detail = %s WHERE id = %s", ['{"n": 99}', events[0].pk])
    with pytest.raises(CommandError, match=r"BROKEN at seq 1 .*hash mismatch.*1 broken link"):
        call_command("audit", "verify")


def test_a_vanished_chain_key_stops_sealing_instead_of_starting_afresh(db):
    _events(2)
    audit_seal()
    _raw("DELETE FROM security_auditchainkey", [])
    chain_keys_forget()
    _events(1)
    with pytest.raises(RuntimeError, match="key is missing"):
        audit_seal()
    result = audit_verify()
    assert not result.ok and result.problem == "sealed with an unknown key"


def test_events_written_after_sealing_join_the_same_chain(db):
    _events(2)
    audit_seal()
    _events(2)
    assert audit_verify().unsealed == 2
    audit_seal()
    assert audit_verify().ok and audit_verify().checked == 4


# --- PostgreSQL: the database refuses, whatever the app does ------------------------------

@pytest.mark.postgres
def test_the_table_refuses_updates_and_deletes_even_to_its_owner(db):
    event = _events(1)[0]
    audit_seal()
    for sql in ("UPDATE security_auditevent SET outcome = 'denied' WHERE id = %s",
                "UPDATE security_auditevent SET chain_hash = 'x' WHERE id = %s",
                "DELETE FROM security_auditevent WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk] if "%s" in sql else [])


@pytest.mark.postgres
@pytest.mark.parametrize("forged", [
    "seq = 9223372036854775807",  # would stop every later sealing
    "chain_hash = repeat('0', 64)",  # a pre-sealed event
])
def test_an_insert_cannot_arrive_sealed(db, forged):
    column = forged.split(" =")[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO security_auditevent (occurred_at, event_type, outcome, actor_type, "  # noqa: S608 (a fixed column name)
            "actor_id, subject_type, subject_id, interaction_id, software_product_id, "
            "arrangement_id, detail, prev_hash, chain_hash, chain_key, seq) VALUES (now(), "
            "'TEST_EVENT', 'success', 'system', '', '', '', '', '', '', '{}', '', "
            "repeat('0', 64), 'k', 9223372036854775807) RETURNING " + column)
        assert cursor.fetchone()[0] in (None, "")
    assert audit_seal() == 1 and audit_verify().ok


@pytest.mark.postgres
def test_an_insert_cannot_be_backdated(db):
    with pytest.raises(Exception, match="dated now"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO security_auditevent (occurred_at, event_type, outcome, actor_type, "
                "actor_id, subject_type, subject_id, interaction_id, software_product_id, "
                "arrangement_id, detail, prev_hash, chain_hash, chain_key) VALUES "
                "(now() - interval '90 days', 'AUTHORIZATION_APPROVED', 'success', 'customer', "
                "'1', '', '', '', '', '', '{}', '', '', '')")


@pytest.mark.postgres
def test_the_apps_role_may_insert_read_and_seal_but_not_alter(db):
    role = f"bank_app_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    try:
        call_command("audit", "grant-app-role", role, stdout=io.StringIO())
        _events(1)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
            cursor.execute("SELECT count(*) FROM security_auditevent")
            cursor.execute(
                "INSERT INTO security_auditevent (occurred_at, event_type, outcome, actor_type, "
                "actor_id, subject_type, subject_id, interaction_id, software_product_id, "
                "arrangement_id, detail, prev_hash, chain_hash, chain_key) VALUES (now(), "
                "'TEST_EVENT', 'success', 'system', '', '', '', '', '', '', '{}', '', '', '') "
                "RETURNING id")
            inserted = cursor.fetchone()[0]
            for sql in ("UPDATE security_auditevent SET outcome = 'denied' WHERE id = %s",
                        "DELETE FROM security_auditevent WHERE id = %s",
                        "TRUNCATE security_auditevent"):
                cursor.execute("SAVEPOINT attempt")
                with pytest.raises(Exception, match="permission denied"):
                    cursor.execute(sql, [inserted] if "%s" in sql else [])
                cursor.execute("ROLLBACK TO SAVEPOINT attempt")
            # Sealing (the chain columns only, once, in the next place) is what the role may
            # do; not a jump (to the top of bigint, which would stop every later sealing),
            # not a link that is not the previous event's hash.
            cursor.execute("SELECT seq, chain_hash FROM security_auditevent "
                           "WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
            last_seq, last_hash = cursor.fetchone() or (0, GENESIS)
            for seq, prev in ((9223372036854775807, last_hash), (last_seq + 2, last_hash),
                              (last_seq + 1, "f" * 64)):
                cursor.execute("SAVEPOINT attempt")
                with pytest.raises(Exception, match="sealed in order"):
                    cursor.execute("UPDATE security_auditevent SET seq = %s, prev_hash = %s, "
                                   "chain_hash = 'h', chain_key = 'k', sealed_at = now() "
                                   "WHERE id = %s", [seq, prev, inserted])
                cursor.execute("ROLLBACK TO SAVEPOINT attempt")
            cursor.execute("UPDATE security_auditevent SET seq = %s, prev_hash = %s, "
                           "chain_hash = 'h', chain_key = 'k', sealed_at = now() WHERE id = %s",
                           [last_seq + 1, last_hash, inserted])
            cursor.execute("RESET ROLE")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            for table in ("security_auditevent", "security_auditchainkey"):
                cursor.execute(f"REVOKE ALL ON {table} FROM {role}")
                cursor.execute(f"REVOKE ALL ON SEQUENCE {table}_id_seq FROM {role}")
            cursor.execute(f"REVOKE ALL ON security_auditarchive FROM {role}")
            cursor.execute("REVOKE ALL ON FUNCTION bank_audit_purge(text, bigint, bigint, "
                           f"text, text, text, text) FROM {role}")
            cursor.execute(f"DROP ROLE {role}")
