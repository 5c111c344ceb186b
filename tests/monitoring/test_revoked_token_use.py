"""revoked_token_use: raised inline, the moment the event is written; one use is enough."""

from __future__ import annotations

import pytest

from security.models import AuditEvent
from security.monitoring import detector
from security.monitoring.models import Alert
from tests.monitoring.conftest import TOKEN_REJECTED, alert_row, login_failure, refusal

pytestmark = pytest.mark.django_db

RULE = "revoked_token_use"


def _revoked_use(product: str = "sp-a") -> AuditEvent:
    return refusal(product, event_type=TOKEN_REJECTED, reason="revoked")


def test_one_use_of_a_revoked_token_alerts_at_once(django_capture_on_commit_callbacks,
                                                   alert_lines, received):
    with django_capture_on_commit_callbacks(execute=True):
        event = _revoked_use()
    # No detector run: the inline check raised it as the event was written.
    alert = Alert.objects.get()
    assert alert_row(alert) == {
        "rule": RULE, "severity": "high", "status": "open", "count": 1,
        "software_product_id": "sp-a", "source_ip": None,
        "detail": {"thresholds": {"window_seconds": 900}},
        "first_seen": event.occurred_at, "last_seen": event.occurred_at,
        "last_event_id": event.pk, "acknowledged_by": None, "acknowledged_at": None,
    }
    (line,) = alert_lines("security.alert.revoked_token_use")
    assert (line.alert_id, line.software_product_id, line.opened) == (alert.pk, "sp-a", True)
    assert received == [alert.pk]


def test_further_uses_grow_the_alert_and_the_minute_run_counts_none_twice(run):
    _revoked_use()
    last = _revoked_use()
    assert run() == []  # the backstop finds nothing the inline check did not count
    alert = Alert.objects.get()
    assert (alert.count, alert.last_event_id, alert.last_seen) == (2, last.pk, last.occurred_at)


def test_other_events_cost_no_query(django_assert_num_queries):
    # The inline check reads only the event it is handed: writing any other event is the
    # INSERT alone.
    with django_assert_num_queries(1):
        refusal("sp-a", event_type=TOKEN_REJECTED, reason="expired")
    with django_assert_num_queries(1):
        login_failure("someone", source_ip="203.0.113.9")


def test_normal_traffic_does_not_alert(run):
    for reason in ("expired", "unknown", "certificate", "client_mismatch"):
        refusal("sp-a", event_type=TOKEN_REJECTED, reason=reason)
    refusal("sp-a", reason="consent_revoked")  # a revoked consent, not a revoked token
    assert run() == []
    assert not Alert.objects.exists()


@pytest.mark.detector_failure_expected
def test_a_failing_inline_check_never_fails_the_writer_and_the_run_catches_up(
        monkeypatch, run, alert_lines):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(detector, "finding_record", broken)
    event = _revoked_use()  # does not raise

    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert not Alert.objects.exists()
    (line,) = alert_lines("security.detector.inline_failed")
    assert (line.levelname, line.audit_event_id) == ("ERROR", event.pk)

    monkeypatch.undo()
    (alert,) = run()
    assert (alert.rule, alert.count, alert.last_event_id) == (RULE, 1, event.pk)
