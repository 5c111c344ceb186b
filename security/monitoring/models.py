"""Alerts: what the detector found, one row per ongoing pattern."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Alert(models.Model):
    """One suspicious pattern (a rule about one client or source), seen `count` times.

    While it is open, every new finding of the same pattern (same `dedupe_key`) adds to it;
    once staff acknowledge it, the pattern coming back opens a new one. Nothing secret is
    stored: IDs, counts, a source network, a certificate thumbprint (a hash of a public
    certificate).
    """

    class Severity(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"

    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"

    #: The rule's stable name (rules/, BANK_MONITORING).
    rule = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    #: SHA-256 of the rule and what the pattern is about (client, source network...).
    dedupe_key = models.CharField(max_length=64, db_index=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    #: Audit events counted into the alert (calls, for the volume rule).
    count = models.PositiveBigIntegerField(default=0)
    software_product_id = models.CharField(max_length=100, blank=True, db_index=True)
    #: An IPv4 address or an IPv6 /64 network ("2001:db8:1:2::/64"): what the rule counted;
    #: None for rules about a client, as AuditEvent.source_ip is None when there is no source.
    source_ip = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    #: Small and secret-free: thresholds, distinct counts, a thumbprint.
    detail = models.JSONField(default=dict, blank=True)
    #: The audit events up to this id are counted in `count` (0: the rule reads no events):
    #: what makes a second run over the same window add nothing.
    last_event_id = models.BigIntegerField(default=0)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            # One open alert per pattern, even when two detector runs overlap.
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=models.Q(status="open"),
                name="monitoring_alert_one_open_per_pattern",
            ),
        ]

    def __str__(self) -> str:
        about = self.software_product_id or self.source_ip or "-"
        return f"{self.rule} ({about}, {self.status})"
