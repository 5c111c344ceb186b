"""BANK_ALERT_NOTIFIERS: plugged in by dotted path; a failing one stops nothing; the log and
webhook notifiers shipped with the bank."""

from __future__ import annotations

import json
import logging
import socket
import traceback
from typing import Any
from unittest import mock

import pytest
import requests
from django.utils import timezone

from bank.celery import app
from security.monitoring.models import Alert
from security.monitoring.notifiers import WebhookUnavailable, alert_notify, alert_webhook_post
from security.monitoring.tasks import alert_webhook_send
from tests.monitoring import notifiers as test_notifiers
from tests.monitoring.conftest import login_failure, refusal, rule_setting

pytestmark = pytest.mark.django_db

WEBHOOK = "https://alerts.example.test/hooks/T0K3N-in-the-path"


def _alert() -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        rule="foreign_id_enumeration", severity="high", dedupe_key="e" * 64, first_seen=now,
        last_seen=now, count=11, software_product_id="sp-a",
        detail={"distinct_ids": 10}, last_event_id=42)


def _stuffing_and_burst() -> None:
    """Findings for two rules in one run."""
    for n in range(rule_setting("credential_stuffing", "distinct_identifiers")):
        login_failure(f"id-{n}", source_ip="203.0.113.9")
    for _ in range(rule_setting("authorization_failure_burst", "threshold")):
        refusal("sp-a", reason="scope")


@pytest.mark.django_db(transaction=True)
def test_a_failing_notifier_stops_neither_the_others_nor_the_detector(settings, alert_lines):
    # Committed for real, as in the Celery task: notifiers run between the findings.
    from security.monitoring.detector import detector_run

    settings.BANK_ALERT_NOTIFIERS = ["tests.monitoring.notifiers.failing_notify",
                                     "tests.monitoring.notifiers.record_notify"]
    test_notifiers.RECEIVED.clear()
    _stuffing_and_burst()

    alerts = detector_run()

    assert sorted(a.rule for a in alerts) == ["authorization_failure_burst",
                                              "credential_stuffing"]
    assert sorted(test_notifiers.RECEIVED) == sorted(a.pk for a in alerts)
    failures = alert_lines("security.alert.notifier_failed")
    assert sorted((r.alert_id, r.notifier, r.levelname) for r in failures) == sorted(
        (a.pk, "tests.monitoring.notifiers.failing_notify", "ERROR") for a in alerts)
    test_notifiers.RECEIVED.clear()


def test_a_notifier_that_does_not_import_is_logged_and_skipped(settings, alert_lines):
    settings.BANK_ALERT_NOTIFIERS = ["tests.monitoring.notifiers.no_such_notifier",
                                     "tests.monitoring.notifiers.record_notify"]
    test_notifiers.RECEIVED.clear()
    alert = _alert()
    alert_notify(alert.pk)
    assert test_notifiers.RECEIVED == [alert.pk]
    (line,) = alert_lines("security.alert.notifier_failed")
    assert line.notifier == "tests.monitoring.notifiers.no_such_notifier"
    test_notifiers.RECEIVED.clear()


def test_log_notifier_writes_one_warning_with_ids_only(settings, alert_lines):
    settings.BANK_ALERT_NOTIFIERS = ["security.monitoring.notifiers.log_notify"]
    alert = _alert()
    alert_notify(alert.pk)
    (line,) = alert_lines("security.alert.notified")
    assert (line.levelname, line.alert_id, line.rule, line.severity, line.software_product_id,
            line.source_network) == ("WARNING", alert.pk, "foreign_id_enumeration", "high",
                                     "sp-a", None)


def _response(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    return response


@pytest.fixture
def webhook(settings: Any) -> Any:
    settings.BANK_ALERT_NOTIFIERS = ["security.monitoring.notifiers.webhook_notify"]
    settings.BANK_MONITORING = {**settings.BANK_MONITORING, "webhook_url": WEBHOOK,
                                "webhook_timeout_seconds": 3}
    return settings


def test_webhook_notifier_posts_the_alert_as_json(webhook):
    alert = _alert()
    with mock.patch("security.monitoring.notifiers.requests.post",
                    return_value=_response(204)) as post:
        alert_notify(alert.pk)

    post.assert_called_once_with(
        WEBHOOK,
        json={"alert_id": alert.pk, "rule": "foreign_id_enumeration", "severity": "high",
              "status": "open", "first_seen": alert.first_seen.isoformat(),
              "last_seen": alert.last_seen.isoformat(), "count": 11,
              "software_product_id": "sp-a", "source_network": None,
              "detail": {"distinct_ids": 10}},
        timeout=3, allow_redirects=False, verify=True,
    )


@pytest.fixture
def worker_retries(monkeypatch: Any) -> None:
    """Let eager tasks retry as a worker would (test settings propagate the first Retry
    to the caller instead; turned off, Celery re-runs the task until it succeeds or its
    retries are spent)."""
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


def test_webhook_retries_while_the_receiver_is_down(webhook, worker_retries, caplog):
    alert = _alert()
    answers = [requests.ConnectionError("refused"), _response(503), _response(429),
               _response(200)]
    with mock.patch("security.monitoring.notifiers.requests.post",
                    side_effect=answers) as post:
        alert_webhook_send.delay(alert.pk)
    assert post.call_count == 4
    # The URL (it often carries the receiver's secret) is in no log line.
    assert WEBHOOK not in caplog.text and "T0K3N" not in caplog.text


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog with every logger there is (Celery's, requests', urllib3's...) at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as text: message, extras, and the traceback a handler would print."""
    formatter = logging.Formatter()
    return "\n".join(
        [caplog.text, json.dumps([r.__dict__ for r in caplog.records], default=str)]
        + [formatter.formatException(r.exc_info) for r in caplog.records if r.exc_info])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_no_log_line_has_the_webhook_url_through_every_retry_and_the_failure(
        webhook, worker_retries, every_logger_at_debug):
    # A real POST to a port nobody listens on: requests' own ConnectionError, whose text
    # quotes the URL ("Max retries exceeded with url: /hooks/...").
    webhook.BANK_MONITORING = {**webhook.BANK_MONITORING, "webhook_url":
                               f"https://127.0.0.1:{_closed_port()}/hooks/T0K3N-path?key=K3Y-q"}
    alert = _alert()
    with mock.patch("security.monitoring.notifiers.requests.post",
                    wraps=requests.post) as post:
        result = alert_webhook_send.delay(alert.pk)

    assert post.call_count == 6  # the first try and five retries, all refused
    assert isinstance(result.result, WebhookUnavailable)
    assert result.result.args == ("ConnectionError",)
    records = every_logger_at_debug.records
    # Celery did log each retry and the failure, with their tracebacks...
    retries = [r for r in records if r.name == "celery.app.trace" and "retry" in r.getMessage()]
    assert len(retries) == 5
    (given_up,) = [r for r in records if getattr(r, "event", "") == "security.alert.webhook_failed"]
    assert given_up.reason == "ConnectionError"
    assert any(r.exc_info or r.exc_text for r in records)
    # ...and none of them has the URL's path or query.
    logged = _everything_logged(every_logger_at_debug)
    for part in ("/hooks/", "T0K3N", "K3Y-q"):
        assert part not in logged


def test_a_requests_error_quoting_the_url_becomes_its_type_name_only(webhook):
    alert = _alert()
    leaky = requests.exceptions.InvalidURL(f"Invalid URL {WEBHOOK}")
    with mock.patch("security.monitoring.notifiers.requests.post", side_effect=leaky), \
            pytest.raises(WebhookUnavailable) as raised:
        alert_webhook_post(alert=alert)
    assert raised.value.args == ("InvalidURL",)
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert "T0K3N" not in "".join(traceback.format_exception(raised.value))


def test_webhook_gives_up_after_five_retries_without_touching_the_detector(
        webhook, worker_retries, run, alert_lines):
    for _ in range(rule_setting("authorization_failure_burst", "threshold")):
        refusal("sp-a", reason="scope")
    with mock.patch("security.monitoring.notifiers.requests.post",
                    side_effect=requests.ConnectionError("down")) as post:
        (alert,) = run()
    assert post.call_count == 6  # the first try and five retries
    assert Alert.objects.get().pk == alert.pk
    (given_up,) = alert_lines("security.alert.webhook_failed")
    assert (given_up.levelname, given_up.alert_id, given_up.reason) == (
        "ERROR", alert.pk, "ConnectionError")


def test_webhook_refusal_is_not_retried(webhook, alert_lines):
    alert = _alert()
    with mock.patch("security.monitoring.notifiers.requests.post",
                    return_value=_response(400)) as post:
        alert_webhook_send.delay(alert.pk)
    assert post.call_count == 1
    (line,) = [r for r in alert_lines("security.alert.webhook_refused")]
    assert (line.alert_id, line.status) == (alert.pk, 400)


def test_webhook_never_posts_in_clear_text(webhook, alert_lines):
    webhook.BANK_MONITORING = {**webhook.BANK_MONITORING,
                               "webhook_url": "http://alerts.example.test/hook"}
    alert = _alert()
    with mock.patch("security.monitoring.notifiers.requests.post") as post:
        alert_notify(alert.pk)
    post.assert_not_called()
    (line,) = alert_lines("security.alert.notifier_failed")
    assert "http://alerts.example.test" not in str(line.__dict__)
