"""Celery entry points of security monitoring (STYLE.md §9): ids in, services do the work."""

from __future__ import annotations

import logging
from typing import Any

from bank.celery import DATABASE_UNAVAILABLE, app
from security.monitoring.notifiers import WebhookUnavailable

logger = logging.getLogger("bank.security.alert")


#: A rule's run not started within this is dropped: a backlog (workers down for an hour) does
#: not turn into sixty runs of each rule. Well beyond the minute, so that on a worker with one
#: process the other rules still get their turn behind one that runs to its hard limit.
RULE_RUN_EXPIRES_SECONDS = 300


@app.task(soft_time_limit=20, time_limit=25, acks_late=True)
def detector_run_task() -> int:
    """Every minute: queue one detector_rule_run_task per windowed rule, all over the same
    window; how many were queued. One task per rule, so that a rule that fails or runs into
    its time limit (an attack producing a huge window) holds up none of the others."""
    from django.utils import timezone

    from security.monitoring.rules import RULE_NAMES

    now = timezone.now().isoformat()
    for name in RULE_NAMES:
        detector_rule_run_task.apply_async((name, now), expires=RULE_RUN_EXPIRES_SECONDS)
    return len(RULE_NAMES)


# No retry: the next run is a minute away and looks at the same window (minus its oldest
# minute). acks_late: a run lost with its worker is simply done again; it counts nothing twice
# (services.finding_record).
@app.task(soft_time_limit=50, time_limit=55, acks_late=True)
def detector_rule_run_task(rule_name: str, now: str) -> int:
    """Run the windowed rule `rule_name` over the window ending at `now` (ISO 8601); how many
    alerts it opened or grew."""
    from datetime import datetime

    from security.monitoring.detector import rule_run
    from security.monitoring.rules import WINDOWED_RULES

    rule = next((rule for rule in WINDOWED_RULES if rule.name == rule_name), None)
    if rule is None:
        # Queued by a release that had this rule: nothing to run.
        logger.error("Unknown security rule %s", rule_name,
                     extra={"event": "security.detector.rule_unknown", "rule": rule_name})
        return 0
    return len(rule_run(rule, now=datetime.fromisoformat(now)))


class _WebhookTask(app.Task):
    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        # The alert itself stands (admin, log line); only this delivery is given up.
        logger.error("Alert webhook delivery given up", extra={
            "event": "security.alert.webhook_failed",
            "alert_id": kwargs.get("alert_id", args[0] if args else None),
            "reason": getattr(exc, "reason", type(exc).__name__)})


@app.task(
    base=_WebhookTask,
    # The receiver unreachable, down or busy, or the database briefly gone: all pass. A
    # requests error never reaches here (its text has the URL): notifiers turns it into
    # WebhookUnavailable.
    autoretry_for=(WebhookUnavailable, *DATABASE_UNAVAILABLE),
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
