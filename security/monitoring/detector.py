"""The detector: every windowed rule once a minute, and the inline checks as events are written.

Queries (per rule, one grouped aggregate over the window, then a few per candidate) rely on
the audit trail's indexes on `occurred_at` (the window) and `event_type` (the rule's types),
and on `software_product_id` (a candidate's events; a client's certificate history).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from security.models import AuditEvent
from security.monitoring.models import Alert
from security.monitoring.rules import WINDOWED_RULES, revoked_token_use
from security.monitoring.services import finding_record

logger = logging.getLogger("bank.security.alert")


def detector_run(now: datetime | None = None) -> list[Alert]:
    """Run every windowed rule over the window ending at `now`; the alerts opened or grown.

    A rule that fails is logged at ERROR and the others still run; so is one finding that
    cannot be written.
    """
    now = now or timezone.now()
    alerts: list[Alert] = []
    for rule in WINDOWED_RULES:
        try:
            findings = rule.candidates(now=now, db=DEFAULT_DB_ALIAS)
        except Exception:
            logger.exception("Security rule %s failed", rule.name,
                             extra={"event": "security.detector.rule_failed", "rule": rule.name})
            continue
        for finding in findings:
            try:
                alert = finding_record(finding, now=now)
            except Exception:
                logger.exception("Recording a %s finding failed", rule.name,
                                 extra={"event": "security.detector.finding_failed",
                                        "rule": rule.name,
                                        "software_product_id":
                                            finding.subject.software_product_id})
                continue
            if alert is not None:
                alerts.append(alert)
    return alerts


def audit_event_inline_check(sender: Any, instance: AuditEvent, created: bool, using: str,
                             **kwargs: Any) -> None:
    """post_save of AuditEvent: raise the alerts that cannot wait for the minute run.

    Only a revoked token's use is checked here; every other event returns before any query.
    The alert is written on the event's connection and in its transaction (a savepoint), so
    it stands or falls with the event: an event rolled back with its request takes its alert
    along, and the event written again after the rollback (security/audit.py) brings it
    back. Whatever goes wrong is logged, never raised into the request that wrote the event;
    the minute run then picks the event up.
    """
    if not created or kwargs.get("raw") or not revoked_token_use.matches(instance):
        return
    try:
        finding_record(revoked_token_use.inline_finding(instance), now=timezone.now(), db=using)
    except Exception:
        logger.exception("The inline security check failed",
                         extra={"event": "security.detector.inline_failed",
                                "rule": revoked_token_use.name, "audit_event_id": instance.pk})
