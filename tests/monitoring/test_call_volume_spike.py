"""call_volume_spike: a client calling far above its own baseline (the CDR metrics' counts)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from bank.metrics.recorder import recorder
from bank.metrics.selectors import metrics_flush
from security.monitoring.models import Alert
from tests.monitoring.conftest import alert_row, rule_setting

pytestmark = pytest.mark.django_db

RULE = "call_volume_spike"


@pytest.fixture
def now() -> datetime:
    """Half a minute into a minute: the window is the whole minutes before it."""
    recorder.drain()  # nothing from other tests' requests
    return timezone.now().replace(second=30, microsecond=0)


def _window(now: datetime) -> tuple[datetime, datetime]:
    end = now.replace(second=0)
    return end - timedelta(seconds=rule_setting(RULE, "window_seconds")), end


def _calls(product: str, count: int, at: datetime) -> None:
    for _ in range(count):
        recorder.record(at=at.timestamp(), tier="lowPriority", software_product_id=product,
                        status_code=200, authenticated=True, customer_present=False,
                        latency_us=1000, within_threshold=True)


def _baseline(product: str, per_window: int, now: datetime) -> int:
    """Calls over the trailing baseline at `per_window` calls per window length."""
    start, _ = _window(now)
    windows = rule_setting(RULE, "baseline_seconds") // rule_setting(RULE, "window_seconds")
    _calls(product, per_window * windows, start - timedelta(hours=3))
    return per_window * windows


def test_spike_over_the_baseline_alerts_exactly_at_the_factor(now, run, alert_lines, received):
    factor, min_calls = rule_setting(RULE, "factor"), rule_setting(RULE, "min_calls")
    usual = min_calls  # so that factor x usual is the binding threshold, above min_calls
    baseline = _baseline("sp-busy", usual, now)
    start, end = _window(now)
    _calls("sp-busy", factor * usual - 1, start + timedelta(seconds=10))
    metrics_flush()
    assert run(now) == []

    _calls("sp-busy", 1, end - timedelta(seconds=1))
    metrics_flush()
    (alert,) = run(now)

    assert alert_row(alert) == {
        "rule": RULE, "severity": "medium", "status": "open", "count": factor * usual,
        "software_product_id": "sp-busy", "source_ip": None,
        "detail": {"thresholds": {"window_seconds": 300, "baseline_seconds": 86_400,
                                  "factor": factor, "min_calls": min_calls},
                   "window_calls": factor * usual, "baseline_calls": baseline},
        "first_seen": start, "last_seen": end, "last_event_id": 0,
        "acknowledged_by": None, "acknowledged_at": None,
    }
    (line,) = alert_lines("security.alert.call_volume_spike")
    assert (line.alert_id, line.software_product_id, line.count) == (alert.pk, "sp-busy",
                                                                    factor * usual)
    assert received == [alert.pk]


def test_new_client_alerts_exactly_at_the_minimum_volume(now, run):
    min_calls = rule_setting(RULE, "min_calls")
    start, _ = _window(now)
    _calls("sp-new", min_calls - 1, start)
    metrics_flush()
    assert run(now) == []

    _calls("sp-new", 1, start)
    metrics_flush()
    (alert,) = run(now)
    assert (alert.count, alert.detail["baseline_calls"]) == (min_calls, 0)


def test_spike_goes_on_into_the_next_minute_and_counts_each_call_once(now, run):
    min_calls = rule_setting(RULE, "min_calls")
    start, end = _window(now)
    # In the window's second minute: still inside it a minute later.
    _calls("sp-new", min_calls, start + timedelta(minutes=1))
    metrics_flush()
    (alert,) = run(now)
    assert run(now + timedelta(seconds=20)) == []  # same minute: already counted

    _calls("sp-new", 7, end + timedelta(seconds=5))
    metrics_flush()
    (grown,) = run(now + timedelta(minutes=1))
    assert (grown.pk, grown.count, grown.last_seen) == (alert.pk, min_calls + 7,
                                                        end + timedelta(minutes=1))


def test_normal_traffic_does_not_alert(now, run):
    factor, min_calls = rule_setting(RULE, "factor"), rule_setting(RULE, "min_calls")
    start, end = _window(now)
    # A busy client at its usual rate, and a little above it.
    _baseline("sp-steady", min_calls, now)
    _calls("sp-steady", min_calls * 2, start)
    # A quiet client many times over its tiny baseline, but under the minimum volume.
    _baseline("sp-quiet", 1, now)
    _calls("sp-quiet", min_calls - 1, start)
    # Calls of the minute still running belong to the next window.
    _calls("sp-late", factor * min_calls, end)
    # Calls that identified no client are nobody's baseline.
    _calls("", factor * min_calls, start)
    metrics_flush()

    assert run(now) == []
    assert not Alert.objects.exists()
