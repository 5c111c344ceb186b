"""The minute task and its beat entry; the system checks that keep monitoring switched on."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from security.monitoring.checks import monitoring_check
from security.monitoring.models import Alert
from security.monitoring.tasks import detector_run_task
from tests.monitoring.conftest import refusal, rule_setting

pytestmark = pytest.mark.django_db


def test_beat_runs_the_detector_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["security-detector-run"]
    assert entry == {"task": "security.monitoring.tasks.detector_run_task", "schedule": 60.0,
                     "options": {"expires": 55}}
    assert detector_run_task.name == entry["task"]
    assert (detector_run_task.soft_time_limit, detector_run_task.time_limit) == (50, 55)


def test_the_task_runs_the_detector_and_is_idempotent(django_capture_on_commit_callbacks):
    for _ in range(rule_setting("authorization_failure_burst", "threshold")):
        refusal("sp-a", reason="scope")
    with django_capture_on_commit_callbacks(execute=True):
        assert detector_run_task.delay().get() == 1
        assert detector_run_task.delay().get() == 0
    assert Alert.objects.get().count == rule_setting("authorization_failure_burst", "threshold")


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
