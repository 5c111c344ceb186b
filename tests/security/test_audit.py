"""The audit door: one row and one JSON log line per event, no secrets, append-only."""

import json
import logging

import pytest

from security.audit import Actor, ActorType, audit_record
from security.interaction import bind_interaction_id, reset_interaction_id
from security.logging import InteractionIdFilter, JsonFormatter
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_record_writes_a_row_with_the_interaction_id(caplog):
    caplog.set_level(logging.INFO, logger="bank.audit")
    token = bind_interaction_id("7f1c1c4e-61e2-4f51-8f3c-3b4d8f6f4a11")
    try:
        event = audit_record(actor=Actor(ActorType.STAFF, "12"), event_type="OUTAGE_CHANGED",
                             subject_type="outage", subject_id=3, detail={"action": "created"})
    finally:
        reset_interaction_id(token)
    row = AuditEvent.objects.get()
    assert (row.event_type, row.outcome, row.actor_type, row.actor_id, row.subject_type, row.subject_id) == (
        "OUTAGE_CHANGED", "success", "staff", "12", "outage", "3")
    assert row.interaction_id == "7f1c1c4e-61e2-4f51-8f3c-3b4d8f6f4a11"
    assert row.detail == {"action": "created"}
    assert event.pk == row.pk
    record = next(r for r in caplog.records if r.name == "bank.audit")
    assert record.event_type == "OUTAGE_CHANGED"


@pytest.mark.parametrize("key", ["password", "Token", "account_number", "otp", "client_assertion"])
def test_audit_detail_refuses_secret_keys(key):
    with pytest.raises(ValueError, match="secrets"):
        audit_record(actor=Actor.system(), event_type="X_DONE", detail={key: "value"})
    assert not AuditEvent.objects.exists()


def test_audit_rows_are_append_only():
    event = audit_record(actor=Actor.system(), event_type="X_DONE")
    event.event_type = "Y_DONE"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert AuditEvent.objects.get().event_type == "X_DONE"


def test_json_log_lines_carry_the_interaction_id_and_extras():
    record = logging.LogRecord("bank.audit", logging.INFO, __file__, 1, "audit %s", ("X",), None)
    record.event_type = "X"
    token = bind_interaction_id("0b5a1e3c-3f7b-4c8e-9a51-2e0d9c7b6a55")
    try:
        InteractionIdFilter().filter(record)
    finally:
        reset_interaction_id(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "audit X"
    assert line["interaction_id"] == "0b5a1e3c-3f7b-4c8e-9a51-2e0d9c7b6a55"
    assert line["event_type"] == "X"
    assert line["level"] == "INFO"


def test_audit_detail_refuses_secret_keys_nested_anywhere():
    with pytest.raises(ValueError, match="secrets"):
        audit_record(actor=Actor.system(), event_type="X_DONE", detail={"req": [{"headers": {"Authorization": "x"}}]})
    assert not AuditEvent.objects.exists()


# Refusals survive the rollback of their request; successes go with it ----------------------
def _request_that_rolls_back(write) -> bool:
    from django.db import transaction

    from security.audit import audit_request_end, audit_request_scope

    token = audit_request_scope()
    try:
        with transaction.atomic():  # the request's transaction (ATOMIC_REQUESTS)
            write()
            transaction.set_rollback(True)  # what DRF's exception handler does
    finally:
        wrote = audit_request_end(token)
    return wrote


def test_a_denial_rolled_back_with_its_request_is_written_again_with_its_time():
    written = {}

    def deny():
        written["event"] = audit_record(actor=Actor(ActorType.CLIENT, "sp-1"),
                                        event_type="RESOURCE_ACCESS_DENIED", outcome="denied",
                                        detail={"reason": "scope"})

    assert _request_that_rolls_back(deny) is True
    row = AuditEvent.objects.get()
    assert row.detail == {"reason": "scope", "rolled_back": True}
    assert (row.event_type, row.outcome, row.actor_id) == ("RESOURCE_ACCESS_DENIED", "denied", "sp-1")
    assert row.occurred_at == written["event"].occurred_at


def test_a_success_rolled_back_with_its_request_stays_rolled_back():
    def succeed():
        audit_record(actor=Actor(ActorType.CLIENT, "sp-1"), event_type="ARRANGEMENT_CREATED")

    _request_that_rolls_back(succeed)
    assert not AuditEvent.objects.exists()


def test_a_denial_in_a_transaction_already_broken_is_written_after_it():
    from django.db import IntegrityError, connection, transaction

    from security.models import AuditChainKey

    def break_then_deny():
        AuditChainKey.objects.create(label="dup", kek_label="k", wrapped=b"x", active=False)
        try:
            with transaction.atomic(savepoint=False):
                AuditChainKey.objects.create(label="dup", kek_label="k", wrapped=b"x")
        except IntegrityError:
            pass
        assert connection.needs_rollback  # nothing more can be written in this transaction
        audit_record(actor=Actor(ActorType.ANONYMOUS), event_type="LOGIN_FAILED",
                     outcome="denied", detail={"reason": "bad_password"})

    assert _request_that_rolls_back(break_then_deny) is True
    (row,) = AuditEvent.objects.all()
    assert (row.event_type, row.detail) == ("LOGIN_FAILED", {"reason": "bad_password", "rolled_back": True})
    assert not AuditChainKey.objects.filter(label="dup").exists()


def test_a_denial_that_committed_is_not_written_twice():
    from security.audit import audit_request_end, audit_request_scope

    token = audit_request_scope()
    audit_record(actor=Actor(ActorType.ANONYMOUS), event_type="LOGIN_FAILED", outcome="denied")
    assert audit_request_end(token) is True
    assert AuditEvent.objects.count() == 1
