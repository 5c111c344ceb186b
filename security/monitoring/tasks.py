"""Celery entry points of security monitoring (STYLE.md §9): ids in, services do the work."""

from __future__ import annotations

import logging
from typing import Any

import requests

from bank.celery import DATABASE_UNAVAILABLE, app

logger = logging.getLogger("bank.security.alert")


# No retry: the next run is a minute away and looks at the same window (minus its oldest
# minute). acks_late: a run lost with its worker is simply done again; it counts nothing twice
# (services.finding_record).
@app.task(soft_time_limit=50, time_limit=55, acks_late=True)
def detector_run_task() -> int:
    """Every minute: run every windowed rule; how many alerts it opened or grew."""
    from security.monitoring.detector import detector_run

    return len(detector_run())


class _WebhookTask(app.Task):
    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        # The alert itself stands (admin, log line); only this delivery is given up.
        logger.error("Alert webhook delivery given up", extra={
            "event": "security.alert.webhook_failed",
            "alert_id": kwargs.get("alert_id", args[0] if args else None),
            "reason": type(exc).__name__})


@app.task(
    base=_WebhookTask,
    # The receiver down or busy, or the database briefly gone: both pass.
    autoretry_for=(requests.RequestException, *DATABASE_UNAVAILABLE),
    max_retries=5,
    retry_backoff=30,  # 30 s, 60 s, 120 s... (doubling, with jitter)
    retry_backoff_max=600,
    retry_jitter=True,
    acks_late=True,
    soft_time_limit=30,
    time_limit=40,
)
def alert_webhook_send(alert_id: int) -> None:
    """POST alert `alert_id` to the alert webhook (notifiers.webhook_notify queues it)."""
    from security.monitoring.models import Alert
    from security.monitoring.notifiers import alert_webhook_post

    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return
    alert_webhook_post(alert=alert)
