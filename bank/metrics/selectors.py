"""Reads over the recorded calls (bank/metrics/models.py): per client, and per local day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncHour

from bank.metrics.models import RequestBucket, Tier, TrafficMinute
from bank.metrics.periods import Window, local_zone

# Re-exported so that a caller reading counts can flush first from the same module.
from bank.metrics.services import metrics_flush

__all__ = ["DayTraffic", "client_call_counts", "client_call_counts_by_minute",
           "metrics_flush", "traffic_by_day"]

TOO_MANY_REQUESTS = 429


def client_call_counts(start: datetime, end: datetime) -> dict[str, int]:
    """Calls per software product ID recorded in [start, end), to minute granularity.

    A minute bucket belongs to the window when the minute starts inside it, so a caller that
    passes whole minutes gets exact counts. Calls that identified no software product
    (public endpoints, refused tokens, the Register) are not included. Counts still in a web
    process's memory (written every few seconds) are not included; tests call metrics_flush().
    """
    rows = (
        RequestBucket.objects.filter(minute__gte=start, minute__lt=end)
        .exclude(software_product_id="")
        .values("software_product_id")
        .annotate(calls=Sum("count"))
    )
    return {row["software_product_id"]: row["calls"] for row in rows}


def client_call_counts_by_minute(
    start: datetime, end: datetime
) -> dict[str, dict[datetime, int]]:
    """client_call_counts, minute by minute: {software product ID: {minute: calls}}."""
    rows = (
        RequestBucket.objects.filter(minute__gte=start, minute__lt=end)
        .exclude(software_product_id="")
        .values("software_product_id", "minute")
        .annotate(calls=Sum("count"))
        .order_by()
    )
    counts: dict[str, dict[datetime, int]] = defaultdict(dict)
    for row in rows:
        counts[row["software_product_id"]][row["minute"]] = row["calls"]
    return dict(counts)


def _tier_counts() -> dict[str, int]:
    return dict.fromkeys(Tier.values, 0)


@dataclass
class DayTraffic:
    """One local day of calls, as the metrics need them."""

    invocations: dict[str, int] = field(default_factory=_tier_counts)
    latency_us: dict[str, int] = field(default_factory=_tier_counts)
    #: Per tier and local hour (0 = 12am-1am): calls measured for performance, and of those
    #: the ones answered within the tier's threshold. Rejected calls (429) are not measured:
    #: calls beyond the traffic thresholds are exempt from the performance requirement.
    measured: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    within: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    #: Keyed by authenticated (True/False).
    calls: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})
    server_errors: dict[bool, dict[int, int]] = field(
        default_factory=lambda: {True: {}, False: {}})
    rejections: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})
    #: Most calls in one second: authenticated, unauthenticated, and both together.
    peak: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})
    peak_aggregate: int = 0


def traffic_by_day(windows: list[Window]) -> list[DayTraffic]:
    """The recorded calls of each local day window (windows as periods.day_windows)."""
    days = [DayTraffic() for _ in windows]
    if not windows:
        return days
    zone = local_zone()
    index_of = {window.start.date(): i for i, window in enumerate(windows)}
    oldest = min(window.start for window in windows)
    newest = max(window.end for window in windows)
    rows = (
        RequestBucket.objects.filter(minute__gte=oldest, minute__lt=newest)
        .annotate(hour=TruncHour("minute", tzinfo=zone))
        .values("hour", "tier", "status_code", "authenticated")
        .annotate(calls=Sum("count"), latency=Sum("latency_us_total"),
                  within_threshold=Sum("within_threshold"))
    )
    for row in rows:
        hour = row["hour"].astimezone(zone)
        i = index_of.get(hour.date())
        if i is None:
            continue
        _bucket_add(days[i], row, hour.hour)
    _peaks_add(days, index_of, oldest, newest)
    return days


def _bucket_add(day: DayTraffic, row: Mapping[str, Any], hour: int) -> None:
    tier, status, authenticated = row["tier"], row["status_code"], row["authenticated"]
    calls = row["calls"]
    day.invocations[tier] += calls
    day.latency_us[tier] += row["latency"]
    day.calls[authenticated] += calls
    if status == TOO_MANY_REQUESTS:
        day.rejections[authenticated] += calls
    else:
        day.measured[tier][hour] = day.measured[tier].get(hour, 0) + calls
        day.within[tier][hour] = day.within[tier].get(hour, 0) + row["within_threshold"]
    # CDS ErrorMetrics: "calls resulting in error due to server execution", i.e. 5xx.
    if status >= 500:
        errors = day.server_errors[authenticated]
        errors[status] = errors.get(status, 0) + calls


def _peaks_add(days: list[DayTraffic], index_of: dict[date, int], oldest: datetime,
               newest: datetime) -> None:
    zone = local_zone()
    # Seconds are summed across the two classes before taking the aggregate peak: the peak of
    # a sum is not the sum of the peaks.
    per_second: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = TrafficMinute.objects.filter(minute__gte=oldest, minute__lt=newest).values_list(
        "minute", "authenticated", "second_counts")
    for minute, authenticated, counts in rows.iterator():
        i = index_of.get(minute.astimezone(zone).date())
        if i is None or not counts:
            continue
        day = days[i]
        day.peak[authenticated] = max(day.peak[authenticated], max(counts))
        base = int(minute.timestamp())
        totals = per_second[i]
        for offset, count in enumerate(counts):
            if count:
                totals[base + offset] += count
    for i, totals in per_second.items():
        days[i].peak_aggregate = max(totals.values(), default=0)
