"""One ongoing pattern is one alert: runs over the same window add nothing, new events grow
it, and once acknowledged only a pattern that comes back opens another."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from security.monitoring import services
from security.monitoring.detector import detector_run
from security.monitoring.models import Alert
from tests.monitoring.conftest import refusal, rule_setting

pytestmark = pytest.mark.django_db

RULE = "authorization_failure_burst"


def _burst(count: int, product: str = "sp-a") -> list:
    return [refusal(product, reason="scope") for _ in range(count)]


def test_running_twice_over_the_same_window_counts_nothing_twice(run, alert_lines, received):
    threshold = rule_setting(RULE, "threshold")
    _burst(threshold)
    now = timezone.now()
    (alert,) = run(now)
    assert run(now) == []
    assert run() == []

    assert Alert.objects.get().count == threshold
    assert len(alert_lines("security.alert.authorization_failure_burst")) == 1
    assert received == [alert.pk]


def test_the_ongoing_pattern_grows_its_open_alert(run, alert_lines, received):
    threshold = rule_setting(RULE, "threshold")
    _burst(threshold)
    (alert,) = run()
    more = _burst(3)
    (grown,) = run()

    assert grown.pk == alert.pk
    assert Alert.objects.count() == 1
    grown.refresh_from_db()
    assert (grown.count, grown.last_seen, grown.last_event_id, grown.first_seen) == (
        threshold + 3, more[-1].occurred_at, more[-1].pk, alert.first_seen)
    lines = alert_lines("security.alert.authorization_failure_burst")
    assert [(line.opened, line.count, line.added) for line in lines] == [
        (True, threshold, threshold), (False, threshold + 3, 3)]
    assert received == [alert.pk]  # notifiers hear of the alert once, when it opens


def test_after_acknowledgement_only_a_new_burst_opens_an_alert(run):
    threshold = rule_setting(RULE, "threshold")
    _burst(threshold)
    (first,) = run()
    first.status = Alert.Status.ACKNOWLEDGED
    first.save()

    # The burst staff saw is still in the window, and a few more failures follow.
    _burst(threshold - 1)
    assert run() == []
    # A whole new burst since the acknowledgement opens a new alert.
    _burst(1)
    (second,) = run()

    assert second.pk != first.pk
    assert (second.status, second.count) == (Alert.Status.OPEN, threshold)
    first.refresh_from_db()
    assert (first.status, first.count) == (Alert.Status.ACKNOWLEDGED, threshold)


def test_patterns_of_different_clients_are_different_alerts(run):
    threshold = rule_setting(RULE, "threshold")
    _burst(threshold, "sp-a")
    _burst(threshold, "sp-b")
    alerts = run()
    assert sorted(a.software_product_id for a in alerts) == ["sp-a", "sp-b"]
    assert len({a.dedupe_key for a in alerts}) == 2


def test_the_database_refuses_a_second_open_alert_for_one_pattern(run):
    _burst(rule_setting(RULE, "threshold"))
    (alert,) = detector_run()
    duplicate = Alert(rule=alert.rule, severity=alert.severity, dedupe_key=alert.dedupe_key,
                      first_seen=alert.first_seen, last_seen=alert.last_seen, count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_run_that_loses_the_race_to_open_the_alert_adds_to_the_winners(monkeypatch, run):
    events = _burst(rule_setting(RULE, "threshold"))
    (winner,) = detector_run()
    real_latest = services._latest_alert_locked
    looked_up = []

    def latest_read_before_the_winner_committed(key, *, db):
        looked_up.append(key)
        return None if len(looked_up) == 1 else real_latest(key, db=db)

    monkeypatch.setattr(services, "_latest_alert_locked", latest_read_before_the_winner_committed)
    # This run's insert meets the one-open-alert constraint; its retry finds the winner,
    # which has counted every event already.
    assert run() == []

    assert len(looked_up) == 2
    assert list(Alert.objects.values_list("pk", "count")) == [(winner.pk, len(events))]
