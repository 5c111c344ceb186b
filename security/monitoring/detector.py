"""The detector: every windowed rule once a minute, and the inline checks as events are written.

Each rule reads its window in a fixed number of queries (rules/base.py), on the audit trail's
indexes on `occurred_at` (the window), `event_type` (the rule's types) and
`software_product_id` (a client's certificate history); then each finding is written under
its alert's lock (services.finding_record).

The minute task runs each rule as its own Celery task (tasks.py), so that a rule that fails,
or is slow enough to meet its time limit, holds up none of the others.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from security.models import AuditEvent
from security.monitoring.models import Alert
from security.monitoring.rules import INLINE_RULES, WINDOWED_RULES, Rule
from security.monitoring.services import finding_record

logger = logging.getLogger("bank.security.alert")


def detector_run(now: datetime | None = None) -> list[Alert]:
    """Run every windowed rule, here and one after the other, over the window ending at
    `now`; the alerts opened or grown. A rule that fails does not stop the others."""
    now = now or timezone.now()
    return [alert for rule in WINDOWED_RULES for alert in rule_run(rule, now=now)]


def rule_run(rule: Rule, *, now: datetime) -> list[Alert]:
    """Run one rule over the window ending at `now`; the alerts opened or grown.

    A rule that fails is logged at ERROR and returns nothing; so is one finding that cannot
    be written, and the other findings are still written.
    """
    try:
        findings = rule.candidates(now=now, db=DEFAULT_DB_ALIAS)
    except Exception:
        logger.exception("Security rule %s failed", rule.name,
                         extra={"event": "security.detector.rule_failed", "rule": rule.name})
        return []
    alerts: list[Alert] = []
    for finding in findings:
        try:
            alert = finding_record(finding, now=now)
        except Exception:
            logger.exception("Recording a %s finding failed", rule.name,
                             extra={"event": "security.detector.finding_failed",
                                    "rule": rule.name,
                                    "software_product_id": finding.subject.software_product_id})
            continue
        if alert is not None:
            alerts.append(alert)
    return alerts


def audit_event_inline_check(sender: Any, instance: AuditEvent, created: bool, using: str,
                             **kwargs: Any) -> None:
    """post_save of AuditEvent: raise the alerts that cannot wait for the minute run.

    Only the INLINE_RULES' events are checked here (a revoked token used, a refresh token
    misused); every other event returns before any query. The alert is written on the
    event's connection and in its transaction (a savepoint), so it stands or falls with the
    event: an event rolled back with its request takes its alert along, and the event
    written again after the rollback (security/audit.py) brings it back. Whatever goes wrong
    is logged, never raised into the request that wrote the event; the minute run then picks
    the event up.
    """
    if not created or kwargs.get("raw"):
        return
    rule = next((rule for rule in INLINE_RULES if rule.matches(instance)), None)
    if rule is None:
        return
    try:
        finding_record(rule.inline_finding(instance, db=using), now=timezone.now(), db=using)
    except Exception:
        logger.exception("The inline security check failed",
                         extra={"event": "security.detector.inline_failed",
                                "rule": rule.name, "audit_event_id": instance.pk})
