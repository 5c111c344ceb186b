"""foreign_id_enumeration: one client asking for many distinct IDs that are not its own."""

from __future__ import annotations

import pytest

from security.monitoring.models import Alert
from tests.monitoring.conftest import alert_row, refusal, rule_setting

pytestmark = pytest.mark.django_db

RULE = "foreign_id_enumeration"
PRODUCT = "sp-prober"


def _probe(product: str, probed: str) -> object:
    # subject_id is what security/refusals.py stores: a short digest of the probed IDs.
    return refusal(product, reason="foreign_id", subject_id=f"digest-{probed}")


def test_enumeration_alerts_exactly_at_the_distinct_ids_threshold(run, alert_lines, received):
    distinct = rule_setting(RULE, "distinct_ids")
    first = _probe(PRODUCT, "0")
    for n in range(1, distinct - 1):
        _probe(PRODUCT, str(n))
    _probe(PRODUCT, "0")  # asked again: still distinct - 1 IDs
    assert run() == []

    last = _probe(PRODUCT, str(distinct - 1))
    (alert,) = run()

    assert alert_row(alert) == {
        "rule": RULE, "severity": "high", "status": "open", "count": distinct + 1,
        "software_product_id": PRODUCT, "source_ip": None,
        "detail": {"thresholds": {"window_seconds": 600, "distinct_ids": distinct},
                   "window_distinct_ids": distinct, "distinct_ids": distinct},
        "first_seen": first.occurred_at, "last_seen": last.occurred_at,
        "last_event_id": last.pk, "acknowledged_by": None, "acknowledged_at": None,
    }
    (line,) = alert_lines("security.alert.foreign_id_enumeration")
    assert (line.alert_id, line.software_product_id, line.severity) == (alert.pk, PRODUCT, "high")
    assert received == [alert.pk]


def test_normal_traffic_does_not_alert(run):
    distinct = rule_setting(RULE, "distinct_ids")
    # A client retrying one stale ID (an account the customer closed).
    for _ in range(distinct):
        _probe("sp-retrier", "closed-account")
    # Two clients each one ID short: IDs are counted per client.
    for n in range(distinct - 1):
        _probe("sp-one", str(n))
        _probe("sp-two", str(n))
    # Other denials with distinct subjects are not probes.
    for n in range(distinct):
        refusal("sp-one", reason="scope", subject_id=f"arrangement-{n}")

    assert run() == []
    assert not Alert.objects.exists()
