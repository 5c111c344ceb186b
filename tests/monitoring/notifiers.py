"""Notifiers plugged in through BANK_ALERT_NOTIFIERS by the tests."""

from __future__ import annotations

from security.monitoring.models import Alert

RECEIVED: list[int] = []


def record_notify(alert: Alert) -> None:
    RECEIVED.append(alert.pk)


def failing_notify(alert: Alert) -> None:
    raise RuntimeError("the pager is down")


NOT_CALLABLE = "a string"
