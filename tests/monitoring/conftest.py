"""Helpers for the detector's tests: events written as the real producers write them
(security.audit.audit_record), a detector run that also runs what waits for the commit (the
notifiers), and the alert log lines.

The tests that drive the real producers (requests, login) are in real_paths/, with the
seeded demo bank of tests/resources.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from security.audit import Actor, ActorType, Outcome, audit_record
from security.models import AuditEvent
from security.monitoring.detector import detector_run
from security.monitoring.models import Alert
from tests.monitoring import notifiers as test_notifiers

RESOURCE_ACCESS_DENIED = "RESOURCE_ACCESS_DENIED"
TOKEN_REJECTED = "TOKEN_REJECTED"
TOKEN_REQUEST_REJECTED = "TOKEN_REQUEST_REJECTED"
LOGIN_FAILED = "LOGIN_FAILED"
ACCESS_TOKEN_ISSUED = "ACCESS_TOKEN_ISSUED"


def rule_setting(rule: str, key: str) -> int:
    """The configured threshold: tests trigger the real settings, not numbers of their own."""
    return int(settings.BANK_MONITORING[rule][key])


def window(rule: str) -> timedelta:
    return timedelta(seconds=rule_setting(rule, "window_seconds"))


def refusal(product: str, *, event_type: str = RESOURCE_ACCESS_DENIED, reason: str = "scope",
            subject_id: str = "", source_ip: str = "198.51.100.10") -> AuditEvent:
    """A refused API call, as security/refusals.py writes it."""
    return audit_record(
        actor=Actor(ActorType.CLIENT, product), event_type=event_type, outcome=Outcome.DENIED,
        subject_type="resource_id" if reason == "foreign_id" else "",
        subject_id=subject_id, source_ip=source_ip, software_product_id=product,
        detail={"reason": reason, "status": 403, "method": "GET", "endpoint": "AccountListApi"},
    )


def token_request_refusal(product: str, reason: str, *, error: str = "invalid_grant",
                          grant_type: str = "refresh_token") -> AuditEvent:
    """A refused token request, as security/refusals.py oauth_refusal_audit writes it."""
    return audit_record(
        actor=Actor(ActorType.CLIENT, product), event_type=TOKEN_REQUEST_REJECTED,
        outcome=Outcome.DENIED, source_ip="198.51.100.10", software_product_id=product,
        detail={"endpoint": "token", "error": error, "reason": reason,
                "grant_type": grant_type},
    )


def login_failure(identifier_digest: str, *, source_ip: str,
                  reason: str = "bad_credentials") -> AuditEvent:
    """A failed login, as security/login/services.py writes it."""
    return audit_record(
        actor=Actor(ActorType.ANONYMOUS), event_type=LOGIN_FAILED, outcome=Outcome.DENIED,
        subject_type="login_identifier", subject_id=identifier_digest[:16], source_ip=source_ip,
        detail={"reason": reason, "failures": 1},
    )


def token_issued(*, product: str, client_id: str, thumbprint: str,
                 event_type: str = ACCESS_TOKEN_ISSUED) -> AuditEvent:
    """A token issued to a client under a certificate, as security/oauth/tokens.py writes it."""
    return audit_record(
        actor=Actor(ActorType.CLIENT, client_id), event_type=event_type,
        subject_type="arrangement", subject_id="1", software_product_id=product,
        detail={"expires_in": 300, "bound": bool(thumbprint), "cert_thumbprint": thumbprint},
    )


def alert_row(alert: Alert) -> dict[str, Any]:
    """Every field an alert shows staff, to compare whole rows."""
    return {
        "rule": alert.rule, "severity": alert.severity, "status": alert.status,
        "count": alert.count, "software_product_id": alert.software_product_id,
        "source_ip": alert.source_ip, "detail": alert.detail,
        "first_seen": alert.first_seen, "last_seen": alert.last_seen,
        "last_event_id": alert.last_event_id, "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at,
    }


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[..., list[Alert]]:
    """`run(now=None)`: one detector run, with its after-commit notifications."""

    def call(now: datetime | None = None) -> list[Alert]:
        with django_capture_on_commit_callbacks(execute=True):
            return detector_run(now or timezone.now())

    return call


@pytest.fixture
def alert_lines(caplog: pytest.LogCaptureFixture) -> Callable[[str], list[logging.LogRecord]]:
    """`alert_lines("security.alert.credential_stuffing")`: the records of that event."""
    caplog.set_level(logging.WARNING, logger="bank.security.alert")

    def lines(event: str) -> list[logging.LogRecord]:
        return [r for r in caplog.records
                if r.name == "bank.security.alert" and getattr(r, "event", None) == event]

    return lines


@pytest.fixture
def received(settings: Any) -> Iterator[list[int]]:
    """The alert ids the test notifier was handed (it is the only notifier)."""
    settings.BANK_ALERT_NOTIFIERS = ["tests.monitoring.notifiers.record_notify"]
    test_notifiers.RECEIVED.clear()
    yield test_notifiers.RECEIVED
    test_notifiers.RECEIVED.clear()


#: Lines that mean a rule or check broke. The detector logs and carries on (it must), so
#: without this a broken rule would pass its "does not alert" tests.
DETECTOR_FAILURES = {"security.detector.rule_failed", "security.detector.finding_failed",
                     "security.detector.inline_failed"}


@pytest.fixture(autouse=True)
def _no_detector_failures(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
                          ) -> Iterator[None]:
    """Every test fails if a rule failed, unless it is marked `detector_failure_expected`."""
    caplog.set_level(logging.WARNING, logger="bank.security.alert")
    yield
    if request.node.get_closest_marker("detector_failure_expected"):
        return
    failures = [r for r in caplog.records if getattr(r, "event", None) in DETECTOR_FAILURES]
    assert not failures, [(r.getMessage(), r.exc_text) for r in failures]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "detector_failure_expected: the test breaks a rule "
                            "on purpose")
