"""refresh_token_misuse: a refresh token presented after its revocation, or by a client it was
not issued to, alerts the moment the token endpoint refuses it; one is enough."""

from __future__ import annotations

import json
import logging

import pytest

from security.audit import Actor, ActorType, Outcome, audit_record
from security.models import AuditEvent
from security.monitoring.models import Alert
from tests.monitoring.conftest import TOKEN_REQUEST_REJECTED, alert_row, token_request_refusal
from tests.oauth import test_token
from tests.oauth.conftest import make_client  # noqa: F401  (fixture)
from tests.oauth.test_introspection_revocation import revoke
from tests.oauth.test_token import refresh, tokens_for

pytestmark = pytest.mark.django_db

RULE = "refresh_token_misuse"

seeded_bank = test_token.seeded_bank
bank = test_token.bank


@pytest.mark.parametrize("reason", ["revoked", "other_client"])
def test_one_misused_refresh_token_alerts_at_once(reason, django_capture_on_commit_callbacks,
                                                  alert_lines, received):
    with django_capture_on_commit_callbacks(execute=True):
        event = token_request_refusal("sp-a", reason)
    # No detector run: the inline check raised it as the event was written.
    alert = Alert.objects.get()
    assert alert_row(alert) == {
        "rule": RULE, "severity": "high", "status": "open", "count": 1,
        "software_product_id": "sp-a", "source_ip": None,
        "detail": {"thresholds": {"window_seconds": 900}},
        "first_seen": event.occurred_at, "last_seen": event.occurred_at,
        "last_event_id": event.pk, "acknowledged_by": None, "acknowledged_at": None,
    }
    (line,) = alert_lines(f"security.alert.{RULE}")
    assert (line.alert_id, line.software_product_id, line.opened, line.levelname) == (
        alert.pk, "sp-a", True, "WARNING")
    assert received == [alert.pk]


def test_further_misuse_grows_the_alert_and_the_minute_run_counts_none_twice(run):
    token_request_refusal("sp-a", "revoked")
    last = token_request_refusal("sp-a", "other_client")
    other_product = token_request_refusal("sp-b", "revoked")
    assert run() == []  # the backstop finds nothing the inline check did not count
    alerts = {a.software_product_id: a for a in Alert.objects.all()}
    assert {p: (a.rule, a.count, a.last_event_id) for p, a in alerts.items()} == {
        "sp-a": (RULE, 2, last.pk), "sp-b": (RULE, 1, other_product.pk)}


def test_normal_refresh_traffic_does_not_alert(run):
    # Tokens that expired or were never ours, a closed arrangement, bad requests: refused,
    # but not a leaked token.
    for reason in ("expired", "unknown", "arrangement_inactive", ""):
        token_request_refusal("sp-a", reason)
    token_request_refusal("sp-a", "", error="invalid_client")
    # "revoked" on the API is the other rule's (an access token), not this one's.
    audit_record(actor=Actor(ActorType.CLIENT, "sp-a"), event_type="TOKEN_REJECTED",
                 outcome=Outcome.DENIED, software_product_id="sp-a",
                 detail={"reason": "expired"})
    assert run() == []
    assert not Alert.objects.exists()


def test_other_token_refusals_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(1):  # the INSERT alone
        token_request_refusal("sp-a", "expired")


@pytest.mark.detector_failure_expected
def test_a_failing_inline_check_never_fails_the_token_request_and_the_run_catches_up(
        monkeypatch, run, alert_lines):
    from security.monitoring import detector

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(detector, "finding_record", broken)
    event = token_request_refusal("sp-a", "other_client")  # does not raise
    assert not Alert.objects.exists()
    (line,) = alert_lines("security.detector.inline_failed")
    assert (line.rule, line.audit_event_id) == (RULE, event.pk)

    monkeypatch.undo()
    (alert,) = run()
    assert (alert.rule, alert.count, alert.last_event_id) == (RULE, 1, event.pk)


# --- through the token endpoint ---------------------------------------------------------------


def test_a_revoked_or_stolen_refresh_token_at_the_token_endpoint_alerts(bank, make_client,  # noqa: F811
                                                                        caplog):
    caplog.set_level(logging.DEBUG)
    owner, thief = make_client(), make_client(name="Other App")
    tokens = tokens_for(owner)
    owner_product = owner.registration.software_product.software_product_id
    thief_product = thief.registration.software_product.software_product_id

    # A normal refresh: no alert.
    assert refresh(owner, tokens["refresh_token"]).status_code == 200
    assert not Alert.objects.exists()

    # Another client presents it: told only invalid_grant, and an alert about that client.
    assert refresh(thief, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    (stolen,) = Alert.objects.all()
    assert (stolen.rule, stolen.software_product_id, stolen.count) == (RULE, thief_product, 1)

    # Revoked, then presented again by its own client.
    assert revoke(owner, tokens["refresh_token"]).status_code == 200
    assert refresh(owner, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    reused = Alert.objects.get(software_product_id=owner_product)
    assert (reused.rule, reused.count) == (RULE, 1)

    reasons = [e.detail["reason"] for e in AuditEvent.objects.filter(
        event_type=TOKEN_REQUEST_REJECTED).order_by("id")]
    assert reasons == ["other_client", "revoked"]
    # The token is in no alert and no log line.
    everything = json.dumps([[a.detail for a in Alert.objects.all()],
                             [r.__dict__ for r in caplog.records]], default=str)
    assert tokens["refresh_token"] not in everything
