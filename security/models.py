"""The audit trail's table. Append-only by convention now; tamper-evident in the audit issue."""

from __future__ import annotations

from typing import Any

from django.db import models


class AuditEvent(models.Model):
    """One security-relevant act: who did what to what, with which outcome."""

    class ActorType(models.TextChoices):
        CUSTOMER = "customer"
        STAFF = "staff"
        CLIENT = "client"
        SYSTEM = "system"
        ANONYMOUS = "anonymous"

    class Outcome(models.TextChoices):
        SUCCESS = "success"
        FAILURE = "failure"
        DENIED = "denied"

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    event_type = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    # Pseudonymous references (ids, never names, emails or account numbers).
    actor_id = models.CharField(max_length=128, blank=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=128, blank=True)
    interaction_id = models.CharField(max_length=36, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.event_type} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only.")
