"""Write side of discovery: every change to what customers are told is audited."""

from __future__ import annotations

from django.db import transaction

from bank.discovery.models import Incident, Outage
from security.audit import OUTAGE_CHANGED, SERVICE_STATUS_CHANGED, Actor, audit_record


@transaction.atomic
def outage_save(*, outage: Outage, actor: Actor) -> Outage:
    created = outage.pk is None
    outage.full_clean()
    outage.save()
    audit_record(
        actor=actor,
        event_type=OUTAGE_CHANGED,
        subject_type="outage",
        subject_id=outage.pk,
        detail={"action": "created" if created else "changed", "is_partial": outage.is_partial},
    )
    return outage


@transaction.atomic
def outage_delete(*, outage: Outage, actor: Actor) -> None:
    outage_id = outage.pk
    outage.delete()
    audit_record(actor=actor, event_type=OUTAGE_CHANGED, subject_type="outage",
                 subject_id=outage_id, detail={"action": "deleted"})


@transaction.atomic
def incident_save(*, incident: Incident, actor: Actor) -> Incident:
    created = incident.pk is None
    incident.full_clean()
    incident.save()
    audit_record(
        actor=actor,
        event_type=SERVICE_STATUS_CHANGED,
        subject_type="incident",
        subject_id=incident.pk,
        detail={
            "action": "created" if created else "changed",
            "status": incident.status,
            "resolved": incident.resolved_at is not None,
        },
    )
    return incident
