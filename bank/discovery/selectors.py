"""Read side of discovery: the current status and the outages still to come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.migrations.recorder import MigrationRecorder
from django.db.models import DateTimeField, ExpressionWrapper, F, Max, QuerySet
from django.utils import timezone

from bank.discovery.models import Incident, Outage


@dataclass(frozen=True)
class ServiceStatus:
    status: str
    update_time: datetime
    explanation: str | None = None
    detection_time: datetime | None = None
    expected_resolution_time: datetime | None = None


def outage_list_upcoming(*, now: datetime | None = None) -> QuerySet[Outage]:
    """Outages that are in effect now or start later, earliest first."""
    now = now or timezone.now()
    ends = ExpressionWrapper(F("outage_time") + F("duration"), output_field=DateTimeField())
    outages = Outage.objects.alias(end_time=ends).filter(end_time__gt=now)
    return outages.order_by("outage_time")


def service_status_get(*, now: datetime | None = None) -> ServiceStatus:
    """An open incident wins (UNAVAILABLE before PARTIAL_FAILURE), then an outage in effect."""
    now = now or timezone.now()
    open_incidents = list(Incident.objects.filter(resolved_at__isnull=True))
    if open_incidents:
        worst = max(
            open_incidents,
            key=lambda i: (i.status == Incident.Status.UNAVAILABLE, i.detection_time),
        )
        return ServiceStatus(
            status=worst.status,
            update_time=worst.updated_at,
            explanation=worst.explanation,
            detection_time=worst.detection_time,
            expected_resolution_time=worst.expected_resolution_time,
        )
    current = next(
        (o for o in outage_list_upcoming(now=now) if o.outage_time <= now), None
    )
    if current is not None:
        return ServiceStatus(
            status="SCHEDULED_OUTAGE",
            update_time=current.updated_at,
            explanation=current.explanation,
            expected_resolution_time=current.ends_at,
        )
    last_changes = [
        Incident.objects.aggregate(t=Max("updated_at"))["t"],
        Outage.objects.aggregate(t=Max("updated_at"))["t"],
    ]
    known = [t for t in last_changes if t]
    return ServiceStatus(status="OK", update_time=max(known) if known else _installed_at())


def _installed_at() -> datetime:
    """When nothing was ever recorded, the status has been OK since discovery was installed.

    Stable across processes and restarts, unlike a process start time.
    """
    first = (
        MigrationRecorder.Migration.objects.filter(app="discovery").order_by("applied").first()
    )
    return first.applied if first else timezone.now()
