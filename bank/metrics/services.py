"""Writes of the metrics app: flushing the in-process counters, pruning old buckets."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bank.metrics.models import RequestBucket, TrafficMinute
from bank.metrics.recorder import Pending, recorder
from security import audit

logger = logging.getLogger("bank.metrics")

#: Get Metrics reports today and the previous 7 days (HISTORIC), in local days; one more day
#: covers a local day that straddles two UTC days. Settings may only lengthen it.
MINIMUM_RETENTION = timedelta(days=9)
#: By default a month more: the detector compares a client's calls with its own baseline
#: (client_call_counts), which needs whole weeks of weekday/weekend traffic, and staff looking
#: into a Register question about last month's numbers still have the minutes behind them.
#: A minute bucket is a few dozen rows, so 32 days stay in the low millions of small rows.
DEFAULT_RETENTION = timedelta(days=32)


def _minute(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def metrics_flush() -> None:
    """Write the counters pending in this process to the database, now.

    On failure the counts go back to the recorder for the next flush and the error is logged:
    a flush never raises into its caller (a request, the flusher thread, a task).
    """
    pending = recorder.drain()
    if not pending:
        return
    try:
        _pending_write(pending)
    except Exception:
        recorder.restore(pending)
        logger.exception("Writing the request metrics failed; retrying at the next flush",
                         extra={"event": "metrics.flush_failed"})
        return
    if pending.dropped:
        logger.warning("%d calls were not counted while the metrics could not be written",
                       pending.dropped, extra={"event": "metrics.calls_dropped"})


@transaction.atomic
def _pending_write(pending: Pending) -> None:
    _buckets_add(pending)
    _seconds_add(pending)


def _buckets_add(pending: Pending) -> None:
    if not pending.buckets:
        return
    # Make sure every row exists (a concurrent flush may create the same one: ignored), then
    # add in the database, so flushes of several processes sum instead of overwriting.
    RequestBucket.objects.bulk_create(
        [RequestBucket(minute=_minute(minute), tier=tier, software_product_id=product,
                       status_code=status, authenticated=authenticated,
                       customer_present=present)
         for (minute, tier, product, status, authenticated, present) in pending.buckets],
        ignore_conflicts=True,
    )
    for (minute, tier, product, status, authenticated, present), (count, latency, within) \
            in pending.buckets.items():
        RequestBucket.objects.filter(
            minute=_minute(minute), tier=tier, software_product_id=product, status_code=status,
            authenticated=authenticated, customer_present=present,
        ).update(count=F("count") + count, latency_us_total=F("latency_us_total") + latency,
                 within_threshold=F("within_threshold") + within)


def _seconds_add(pending: Pending) -> None:
    if not pending.seconds:
        return
    by_minute: dict[tuple[int, bool], dict[int, int]] = defaultdict(dict)
    for (second, authenticated), count in pending.seconds.items():
        by_minute[(second - second % 60, authenticated)][second % 60] = count
    TrafficMinute.objects.bulk_create(
        [TrafficMinute(minute=_minute(minute), authenticated=authenticated,
                       second_counts=[0] * 60)
         for (minute, authenticated) in by_minute],
        ignore_conflicts=True,
    )
    # The insert above already holds SQLite's write lock; on PostgreSQL the rows are locked,
    # so two processes adding to the same minute cannot lose each other's seconds.
    rows = TrafficMinute.objects.select_for_update().filter(
        minute__in={_minute(minute) for minute, _ in by_minute})
    changed = []
    for row in rows:
        epoch = int(row.minute.timestamp())
        additions = by_minute.get((epoch, row.authenticated))
        if not additions:
            continue
        counts = list(row.second_counts) or [0] * 60
        for second, count in additions.items():
            counts[second] += count
        row.second_counts = counts
        changed.append(row)
    TrafficMinute.objects.bulk_update(changed, ["second_counts"])


def metrics_retention() -> timedelta:
    configured = getattr(settings, "BANK_METRICS_RETENTION_DAYS", None)
    if configured is None:
        return DEFAULT_RETENTION
    return max(MINIMUM_RETENTION, timedelta(days=configured))


@transaction.atomic
def metrics_buckets_prune(*, now: datetime | None = None) -> int:
    """Delete aggregates older than the retention; returns how many rows went."""
    cutoff = (now or timezone.now()) - metrics_retention()
    deleted = 0
    deleted += RequestBucket.objects.filter(minute__lt=cutoff).delete()[0]
    deleted += TrafficMinute.objects.filter(minute__lt=cutoff).delete()[0]
    return deleted


RECIPIENT_METADATA_REFRESH_REQUESTED = "RECIPIENT_METADATA_REFRESH_REQUESTED"


def recipient_metadata_refresh_request(*, actor: audit.Actor) -> None:
    """CDS Metadata Update: the Register says recipient metadata changed; poll it now rather
    than at the next 5-minute beat (the task is idempotent, so an extra run costs nothing)."""
    from security.recipients.tasks import recipient_statuses_refresh

    recipient_statuses_refresh.delay()
    audit.audit_record(actor=actor, event_type=RECIPIENT_METADATA_REFRESH_REQUESTED,
                       subject_type="register", subject_id=actor.id)
