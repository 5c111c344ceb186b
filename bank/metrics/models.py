"""Per-minute aggregates of the requests the CDR metrics cover (cds_admin.json getMetrics v5).

No row per request: the recorder (bank/metrics/recorder.py) counts in memory and a flush adds
its counts to these rows, so recording costs a request a few dictionary updates.
"""

from __future__ import annotations

from django.db import models


class Tier(models.TextChoices):
    """NFR performance tiers (standards/nfrs__performance-requirements.md)."""

    UNAUTHENTICATED = "unauthenticated", "Unauthenticated (1500 ms)"
    HIGH_PRIORITY = "highPriority", "High priority (1000 ms)"
    LOW_PRIORITY = "lowPriority", "Low priority (1500 ms)"
    UNATTENDED = "unattended", "Unattended (4000 ms)"
    LARGE_PAYLOAD = "largePayload", "Large payload (6000 ms)"


class RequestBucket(models.Model):
    """The requests of one minute that share every dimension the metrics group by."""

    #: Start of the minute, UTC.
    minute = models.DateTimeField()
    tier = models.CharField(max_length=16, choices=Tier.choices)
    #: The calling data recipient software product; '' when the call identified none.
    software_product_id = models.CharField(max_length=100, blank=True, default="")
    status_code = models.PositiveSmallIntegerField()
    authenticated = models.BooleanField()
    customer_present = models.BooleanField()
    count = models.PositiveIntegerField(default=0)
    #: Sum of response times in microseconds: the average is total / count.
    latency_us_total = models.BigIntegerField(default=0)
    #: Calls answered within the tier's NFR threshold.
    within_threshold = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "tier", "software_product_id", "status_code",
                        "authenticated", "customer_present"],
                name="metrics_request_bucket_unique",
            ),
        ]
        indexes = [models.Index(fields=["minute"], name="metrics_bucket_minute")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.tier} {self.status_code} x{self.count}"


class TrafficMinute(models.Model):
    """Calls per second within one minute, authenticated or not, for average and peak TPS.

    The per-second counts (not only a peak) are kept so that flushes from several processes
    add up second by second: the peak of a sum is not the sum of the peaks.
    """

    minute = models.DateTimeField()
    authenticated = models.BooleanField()
    #: 60 integers, index = second within the minute.
    second_counts = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["minute", "authenticated"],
                                    name="metrics_traffic_minute_unique"),
        ]

    def __str__(self) -> str:
        kind = "authenticated" if self.authenticated else "unauthenticated"
        return f"{self.minute:%Y-%m-%d %H:%M} {kind}"
