"""Writes of the monitoring app: a finding into its alert, and staff acknowledging one."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone

from security.audit import Actor, ActorType, audit_record
from security.monitoring.models import Alert
from security.monitoring.notifiers import alert_notify
from security.monitoring.rules import Finding, Measure

logger = logging.getLogger("bank.security.alert")

ALERT_ACKNOWLEDGED = "ALERT_ACKNOWLEDGED"


def finding_record(finding: Finding, *, now: datetime, db: str = DEFAULT_DB_ALIAS
                   ) -> Alert | None:
    """Bring the finding's alert up to date: grow the open one, or open one; None if the
    finding adds nothing (already counted, or below the threshold for a new alert).

    The pattern's latest alert is locked while the rule measures against it, so overlapping
    runs (and the inline check) count each event once; two runs opening the same alert at
    once meet the one-open-alert constraint, and the loser adds to the winner's instead.
    """
    for attempt in range(2):
        try:
            with transaction.atomic(using=db):
                written = _finding_apply(finding, now=now, db=db)
            break
        except IntegrityError:
            if attempt:
                raise
    if written is None:
        return None
    alert, measure, opened = written
    _finding_log(alert, measure, opened=opened)
    if opened:
        # After commit: a notifier (the webhook task) loads the alert by id, and an alert
        # rolled back with its request is never announced.
        transaction.on_commit(partial(alert_notify, alert.pk, db=db), using=db)
    return alert


def _finding_apply(finding: Finding, *, now: datetime, db: str
                   ) -> tuple[Alert, Measure, bool] | None:
    rule, subject = finding.rule, finding.subject
    key = subject.dedupe_key(rule.name)
    latest = _latest_alert_locked(key, db=db)
    measure = rule.assess(finding, now=now, latest=latest, db=db)
    if measure is None or measure.events < 1:
        return None
    detail = _detail(finding, measure)
    if latest is not None and latest.status == Alert.Status.OPEN:
        latest.count += measure.events
        latest.last_seen = max(latest.last_seen, measure.last_at)
        latest.last_event_id = max(latest.last_event_id, measure.last_event_id)
        latest.detail = detail
        latest.save(using=db, update_fields=["count", "last_seen", "last_event_id", "detail"])
        return latest, measure, False
    alert = Alert.objects.using(db).create(
        rule=rule.name, severity=rule.severity, dedupe_key=key,
        first_seen=measure.first_at, last_seen=measure.last_at, count=measure.events,
        software_product_id=subject.software_product_id, source_ip=subject.source_network,
        detail=detail, last_event_id=measure.last_event_id,
    )
    return alert, measure, True


def _latest_alert_locked(key: str, *, db: str) -> Alert | None:
    """The pattern's latest alert, locked until the caller's transaction ends."""
    return (Alert.objects.using(db).select_for_update().filter(dedupe_key=key)
            .order_by("-id").first())


def _detail(finding: Finding, measure: Measure) -> dict[str, Any]:
    subject = finding.subject
    about = {"client_id": subject.client_id, "cert_thumbprint": subject.cert_thumbprint}
    return {
        "thresholds": finding.rule.thresholds(),
        **{key: value for key, value in about.items() if value},
        **finding.facts,
        **measure.detail,
    }


def _finding_log(alert: Alert, measure: Measure, *, opened: bool) -> None:
    """The SIEM's line for every finding: a stable event name per rule, IDs and counts."""
    logger.warning(
        "Security alert %s %s", alert.rule, "opened" if opened else "continues",
        extra={
            "event": f"security.alert.{alert.rule}",
            "alert_id": alert.pk,
            "rule": alert.rule,
            "severity": alert.severity,
            "opened": opened,
            "software_product_id": alert.software_product_id,
            "source_network": alert.source_ip,
            "count": alert.count,
            "added": measure.events,
        },
    )


@transaction.atomic
def alert_acknowledge(*, alert: Alert, staff_user: Any) -> bool:
    """Mark an open alert acknowledged by `staff_user`, audited; False if it was not open."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status != Alert.Status.OPEN:
        return False
    locked.status = Alert.Status.ACKNOWLEDGED
    locked.acknowledged_by = staff_user
    locked.acknowledged_at = timezone.now()
    locked.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(
        actor=Actor(ActorType.STAFF, str(staff_user.pk)),
        event_type=ALERT_ACKNOWLEDGED,
        subject_type="alert",
        subject_id=locked.pk,
        software_product_id=locked.software_product_id,
        detail={"rule": locked.rule, "severity": locked.severity, "count": locked.count},
    )
    return True
