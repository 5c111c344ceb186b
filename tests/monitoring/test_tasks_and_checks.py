"""The minute task and its beat entry; the system checks that keep monitoring switched on."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from billiard.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from security.monitoring.checks import monitoring_check
from security.monitoring.models import Alert
from security.monitoring.rules import RULE_NAMES
from security.monitoring.tasks import detector_rule_run_task, detector_run_task
from tests.monitoring.conftest import login_failure, refusal, rule_setting

pytestmark = pytest.mark.django_db


def test_beat_runs_the_detector_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["security-detector-run"]
    assert entry == {"task": "security.monitoring.tasks.detector_run_task", "schedule": 60.0,
                     "options": {"expires": 55}}
    assert detector_run_task.name == entry["task"]
    assert (detector_run_task.soft_time_limit, detector_run_task.time_limit) == (20, 25)
    # Each rule has the whole minute to itself.
    assert (detector_rule_run_task.soft_time_limit, detector_rule_run_task.time_limit) == (50, 55)


def test_the_minute_task_queues_one_task_per_rule_over_one_window():
    with mock.patch.object(detector_rule_run_task, "apply_async") as queued:
        assert detector_run_task.delay().get() == len(RULE_NAMES)
    assert [c.args[0][0] for c in queued.call_args_list] == list(RULE_NAMES)
    assert "refresh_token_misuse" in RULE_NAMES
    windows = {c.args[0][1] for c in queued.call_args_list}
    assert len(windows) == 1
    assert abs(datetime.fromisoformat(windows.pop()) - timezone.now()) < timedelta(seconds=5)
    # Dropped only after a few minutes in the queue: the other rules wait out a slow one
    # on a single worker process (55 s at most), and a backlog does not build up.
    assert {c.kwargs["expires"] for c in queued.call_args_list} == {300}


def test_the_task_runs_the_detector_and_is_idempotent(django_capture_on_commit_callbacks):
    for _ in range(rule_setting("authorization_failure_burst", "threshold")):
        refusal("sp-a", reason="scope")
    with django_capture_on_commit_callbacks(execute=True):
        assert detector_run_task.delay().get() == len(RULE_NAMES)
        assert detector_run_task.delay().get() == len(RULE_NAMES)
    assert Alert.objects.get().count == rule_setting("authorization_failure_burst", "threshold")


def test_one_rule_task_alerts_and_counts_nothing_twice():
    for _ in range(rule_setting("authorization_failure_burst", "threshold")):
        refusal("sp-a", reason="scope")
    now = timezone.now().isoformat()
    assert detector_rule_run_task.delay("credential_stuffing", now).get() == 0
    assert detector_rule_run_task.delay("authorization_failure_burst", now).get() == 1
    assert detector_rule_run_task.delay("authorization_failure_burst", now).get() == 0
    assert Alert.objects.get().rule == "authorization_failure_burst"


@pytest.mark.detector_failure_expected
def test_a_rule_that_fails_or_runs_out_of_time_stops_no_other(monkeypatch, alert_lines):
    from security.monitoring.rules import WINDOWED_RULES

    for n in range(rule_setting("credential_stuffing", "distinct_identifiers")):
        login_failure(f"id-{n}", source_ip="203.0.113.9")
    for _ in range(rule_setting("authorization_failure_burst", "threshold")):
        refusal("sp-a", reason="scope")
    # The first rule reaches its soft time limit (what Celery raises in the task then).
    first = WINDOWED_RULES[0]
    assert first.name == "authorization_failure_burst"

    def out_of_time(**kwargs: Any) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(first, "candidates", out_of_time)

    assert detector_run_task.delay().get() == len(RULE_NAMES)

    assert [a.rule for a in Alert.objects.all()] == ["credential_stuffing"]
    (failed,) = alert_lines("security.detector.rule_failed")
    assert (failed.rule, failed.levelname) == ("authorization_failure_burst", "ERROR")


def test_an_unknown_rule_name_runs_nothing(alert_lines):
    assert detector_rule_run_task.delay("no_such_rule", timezone.now().isoformat()).get() == 0
    (line,) = alert_lines("security.detector.rule_unknown")
    assert (line.rule, line.levelname) == ("no_such_rule", "ERROR")


def test_shipped_settings_pass_the_checks():
    assert monitoring_check() == []


def _ids(settings: Any) -> list[str]:
    return [problem.id for problem in monitoring_check()]


@pytest.mark.parametrize("broken, expected", [
    ({"threshold": 0}, "monitoring.E001"),
    ({"threshold": "20"}, "monitoring.E001"),
    ({"threshold": None}, "monitoring.E001"),
    ({"severity": "urgent"}, "monitoring.E001"),
])
def test_a_rule_without_a_usable_threshold_stops_the_bank(settings, broken, expected):
    rule = settings.BANK_MONITORING["authorization_failure_burst"]
    settings.BANK_MONITORING = {**settings.BANK_MONITORING,
                                "authorization_failure_burst": {**rule, **broken}}
    assert _ids(settings) == [expected]


def test_a_missing_rule_and_an_unknown_one_are_refused(settings):
    configured = dict(settings.BANK_MONITORING)
    del configured["credential_stuffing"]
    configured["credential_stufing"] = {"severity": "high", "window_seconds": 60}
    settings.BANK_MONITORING = configured
    assert _ids(settings) == ["monitoring.E001", "monitoring.E002"]


def test_notifiers_must_exist(settings):
    settings.BANK_ALERT_NOTIFIERS = []
    assert _ids(settings) == ["monitoring.E003"]
    settings.BANK_ALERT_NOTIFIERS = ["tests.monitoring.notifiers.nope",
                                     "tests.monitoring.notifiers.NOT_CALLABLE"]
    assert _ids(settings) == ["monitoring.E004", "monitoring.E004"]


def test_the_webhook_notifier_needs_an_https_url_and_a_short_timeout(settings):
    settings.BANK_ALERT_NOTIFIERS = ["security.monitoring.notifiers.webhook_notify"]
    settings.BANK_MONITORING = {**settings.BANK_MONITORING, "webhook_url": "",
                                "webhook_timeout_seconds": 5}
    assert _ids(settings) == ["monitoring.E005"]
    settings.BANK_MONITORING = {**settings.BANK_MONITORING,
                                "webhook_url": "http://alerts.example.test/hook",
                                "webhook_timeout_seconds": 300}
    assert _ids(settings) == ["monitoring.E005", "monitoring.E006"]
    settings.BANK_MONITORING = {**settings.BANK_MONITORING,
                                "webhook_url": "https://alerts.example.test/hook",
                                "webhook_timeout_seconds": 5}
    assert _ids(settings) == []
