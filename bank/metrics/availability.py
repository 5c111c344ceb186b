"""Availability per local month from the service's recorded history (bank/discovery).

nfrs__availability-requirements.md: unavailability is "any period of time when any of the
API endpoints ... is unable to reliably provide a successful response", and the requirement
"does not include planned outages". So:

- unavailable time = the incidents staff record (Incident: PARTIAL_FAILURE or UNAVAILABLE,
  from detection until resolved, or until now while open), outside planned outages;
- measured time = the month so far (or the whole month) less the planned outages (Outage);
- availability = 1 - unavailable / measured (1.0 when nothing was measurable).

The records do not say whether the authenticated or the unauthenticated side failed, so the
aggregate, authenticated and unauthenticated figures are the same number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from bank.discovery.models import Incident, Outage
from bank.metrics.periods import Window

Span = tuple[datetime, datetime]


def _merged(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _clipped(spans: Iterable[Span], window: Window) -> list[Span]:
    clipped = ((max(start, window.start), min(end, window.end)) for start, end in spans)
    return _merged(span for span in clipped if span[0] < span[1])


def _seconds(spans: Iterable[Span]) -> float:
    return sum((end - start).total_seconds() for start, end in spans)


def _minus(spans: list[Span], holes: list[Span]) -> list[Span]:
    """`spans` with the parts inside `holes` removed (both merged and sorted)."""
    result: list[Span] = []
    for start, end in spans:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def availability_by_month(windows: list[Window], *, now: datetime | None = None) -> list[Decimal]:
    """The availability (0..1) of each month window (as periods.month_windows)."""
    if not windows:
        return []
    now = now or timezone.now()
    oldest = min(window.start for window in windows)
    newest = max(window.end for window in windows)
    incidents = [
        (row.detection_time, row.resolved_at or now)
        for row in Incident.objects.filter(detection_time__lt=newest).filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gt=oldest))
    ]
    planned = [
        (row.outage_time, row.ends_at)
        for row in Outage.objects.filter(outage_time__lt=newest)
        if row.ends_at > oldest
    ]
    result = []
    for window in windows:
        outages = _clipped(planned, window)
        measured = window.seconds - _seconds(outages)
        down = _seconds(_minus(_clipped(incidents, window), outages))
        if measured <= 0:
            result.append(Decimal(1))
        else:
            result.append(max(Decimal(0), 1 - Decimal(down) / Decimal(measured)))
    return result
