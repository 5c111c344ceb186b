"""authorization_failure_burst: many refused tokens or authorization denials from one client."""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle

import pytest

from security.monitoring.models import Alert
from tests.monitoring.conftest import (
    TOKEN_REJECTED,
    alert_row,
    refusal,
    rule_setting,
    token_issued,
    window,
)

pytestmark = pytest.mark.django_db

RULE = "authorization_failure_burst"
PRODUCT = "sp-burst"


def _failures(count: int, product: str = PRODUCT) -> list:
    """Every kind the rule counts, in turn: scope, foreign ID, certificate, refused tokens."""
    kinds = cycle([("RESOURCE_ACCESS_DENIED", "scope"), ("RESOURCE_ACCESS_DENIED", "foreign_id"),
                   ("RESOURCE_ACCESS_DENIED", "certificate"), (TOKEN_REJECTED, "expired"),
                   (TOKEN_REJECTED, "certificate")])
    return [refusal(product, event_type=event_type, reason=reason, subject_id=str(i))
            for i, (event_type, reason) in zip(range(count), kinds, strict=False)]


def test_burst_alerts_exactly_at_the_threshold(run, alert_lines, received):
    threshold = rule_setting(RULE, "threshold")
    below = _failures(threshold - 1)
    assert run() == []
    assert not Alert.objects.exists()

    last = _failures(1)[0]
    (alert,) = run()

    assert alert_row(alert) == {
        "rule": RULE, "severity": "medium", "status": "open", "count": threshold,
        "software_product_id": PRODUCT, "source_ip": None,
        "detail": {"thresholds": {"window_seconds": 300, "threshold": threshold},
                   "window_events": threshold},
        "first_seen": below[0].occurred_at, "last_seen": last.occurred_at,
        "last_event_id": last.pk, "acknowledged_by": None, "acknowledged_at": None,
    }
    (line,) = alert_lines("security.alert.authorization_failure_burst")
    assert (line.levelname, line.alert_id, line.rule, line.software_product_id, line.count,
            line.opened) == ("WARNING", alert.pk, RULE, PRODUCT, threshold, True)
    assert received == [alert.pk]


def test_burst_counts_only_the_window(run):
    threshold = rule_setting(RULE, "threshold")
    events = _failures(threshold)
    # The first failure just left the window: one short.
    assert run(events[0].occurred_at + window(RULE)) == []
    (alert,) = run(events[0].occurred_at + window(RULE) - timedelta(microseconds=1))
    assert alert.count == threshold


def test_normal_traffic_does_not_alert(run):
    threshold = rule_setting(RULE, "threshold")
    # Two clients each one short of the threshold: failures are counted per client.
    _failures(threshold - 1, "sp-one")
    _failures(threshold - 1, "sp-two")
    for _ in range(threshold * 2):
        # Denials that are not the client probing: a consent the customer let expire, a
        # call without a token, a malformed request; and its tokens being issued.
        refusal("sp-one", reason="consent_expired")
        refusal("sp-one", reason="no_token")
        refusal("sp-one", event_type="INPUT_REJECTED", reason="invalid_input")
        token_issued(product="sp-one", client_id="client-one", thumbprint="tp-1")
    # Refused tokens nobody can be blamed for (an unknown token names no client).
    _failures(threshold, product="")

    assert run() == []
    assert not Alert.objects.exists()
