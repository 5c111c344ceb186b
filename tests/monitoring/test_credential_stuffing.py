"""credential_stuffing: login failures across many identifiers from one source network."""

from __future__ import annotations

import pytest

from security.monitoring.models import Alert
from tests.monitoring.conftest import alert_row, login_failure, rule_setting

pytestmark = pytest.mark.django_db

RULE = "credential_stuffing"


def test_stuffing_from_one_ipv4_address_alerts_exactly_at_the_threshold(run, alert_lines,
                                                                       received):
    distinct = rule_setting(RULE, "distinct_identifiers")
    first = login_failure("id-0", source_ip="203.0.113.9")
    for n in range(1, distinct - 1):
        login_failure(f"id-{n}", source_ip="203.0.113.9")
    assert run() == []

    last = login_failure(f"id-{distinct - 1}", source_ip="203.0.113.9", reason="locked_out")
    (alert,) = run()

    assert alert_row(alert) == {
        "rule": RULE, "severity": "high", "status": "open", "count": distinct,
        "software_product_id": "", "source_ip": "203.0.113.9",
        "detail": {"thresholds": {"window_seconds": 600, "distinct_identifiers": distinct},
                   "window_distinct_ids": distinct, "distinct_ids": distinct},
        "first_seen": first.occurred_at, "last_seen": last.occurred_at,
        "last_event_id": last.pk, "acknowledged_by": None, "acknowledged_at": None,
    }
    (line,) = alert_lines("security.alert.credential_stuffing")
    assert (line.alert_id, line.source_network, line.rule) == (alert.pk, "203.0.113.9", RULE)
    # The log line names the source and the counts, never an identifier tried.
    assert not any(f"id-{n}" in str(line.__dict__) for n in range(distinct))
    assert received == [alert.pk]


def test_stuffing_rotating_addresses_of_one_ipv6_64_alerts(run):
    distinct = rule_setting(RULE, "distinct_identifiers")
    for n in range(distinct):
        # Every try from another address of the same /64.
        login_failure(f"id-{n}", source_ip=f"2001:db8:1:2::{n + 1:x}")
    (alert,) = run()
    assert (alert.source_ip, alert.count, alert.detail["distinct_ids"]) == (
        "2001:db8:1:2::/64", distinct, distinct)


def test_normal_traffic_does_not_alert(run):
    distinct = rule_setting(RULE, "distinct_identifiers")
    # A customer who forgot their password, trying again and again.
    for _ in range(distinct * 2):
        login_failure("forgetful", source_ip="203.0.113.20")
    # Customers behind different addresses, and different /64s, each one short.
    for n in range(distinct - 1):
        login_failure(f"a-{n}", source_ip="203.0.113.21")
        login_failure(f"b-{n}", source_ip="203.0.113.22")
        login_failure(f"c-{n}", source_ip=f"2001:db8:1:{n + 10:x}::1")
    # Failures with no known source are not a source's.
    for n in range(distinct):
        login_failure(f"d-{n}", source_ip=None)  # type: ignore[arg-type]

    assert run() == []
    assert not Alert.objects.exists()
