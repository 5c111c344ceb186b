"""What Get Status and Get Outages report: staff-maintained incidents and planned outages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models


class Incident(models.Model):
    """An unexpected failure, open until staff resolve it (status PARTIAL_FAILURE/UNAVAILABLE)."""

    class Status(models.TextChoices):
        PARTIAL_FAILURE = "PARTIAL_FAILURE", "Partial failure (some endpoints unavailable)"
        UNAVAILABLE = "UNAVAILABLE", "Unavailable (the whole service)"

    status = models.CharField(max_length=16, choices=Status.choices)
    explanation = models.TextField(help_text="Shown to customers: plain words, no internals.")
    detection_time = models.DateTimeField()
    expected_resolution_time = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detection_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["PARTIAL_FAILURE", "UNAVAILABLE"]),
                name="incident_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(explanation=""), name="incident_explanation_required"
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("detection_time")),
                name="incident_resolved_after_detection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} since {self.detection_time:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.resolved_at and self.detection_time and self.resolved_at < self.detection_time:
            raise ValidationError({"resolved_at": "An incident cannot end before it began."})


class Outage(models.Model):
    """A planned outage, advertised through Get Outages (at least a week ahead, NFRs)."""

    outage_time = models.DateTimeField(help_text="When the outage begins.")
    duration = models.DurationField(help_text="Planned length, e.g. 02:00:00.")
    is_partial = models.BooleanField(
        default=False, help_text="Only some endpoints are affected."
    )
    explanation = models.TextField(help_text="Shown to customers: plain words, no internals.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["outage_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__gt=timedelta(0)), name="outage_duration_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(explanation=""), name="outage_explanation_required"
            ),
        ]

    def __str__(self) -> str:
        return f"Outage {self.outage_time:%Y-%m-%d %H:%M} for {self.duration}"

    @property
    def ends_at(self) -> datetime:
        return self.outage_time + self.duration

    def clean(self) -> None:
        if self.duration is not None and self.duration <= timedelta(0):
            raise ValidationError({"duration": "An outage lasts a positive time."})
