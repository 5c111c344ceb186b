"""A known client getting tokens under a client certificate never seen before for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from security.models import AuditEvent
from security.monitoring.models import Alert
from security.monitoring.rules.base import AuditRule, Finding, Measure, Subject
from security.oauth.tokens import (
    ACCESS_TOKEN_ISSUED,
    ACCESS_TOKEN_REFRESHED,
    CLIENT_TOKEN_ISSUED,
    REFRESH_TOKEN_ISSUED,
)

#: Every event of a token issued to a client; those whose detail carries the certificate's
#: thumbprint are the ones this rule reads.
TOKEN_ISSUED_EVENTS = (ACCESS_TOKEN_ISSUED, ACCESS_TOKEN_REFRESHED, REFRESH_TOKEN_ISSUED,
                       CLIENT_TOKEN_ISSUED)


class NewClientCertificate(AuditRule):
    """A token issued under a certificate thumbprint (x5t#S256, `detail["cert_thumbprint"]`)
    the client never had a token under before, when it has had tokens under another one.

    A client's first certificate is not news; a second one may be a rotation or a stolen
    client identity, which staff should confirm. "Before" is the whole audit trail kept
    (retention), asked of every (client, certificate) of the window in one query: two EXISTS
    per pair, through the software_product_id index. A client is its software product;
    events that name none fall back to the OAuth client (the actor).
    """

    name = "new_client_certificate"
    event_types = TOKEN_ISSUED_EVENTS
    subject_columns = ("software_product_id", "actor_id", "thumbprint")

    def events(self, *, now: datetime, db: str) -> QuerySet[AuditEvent]:
        return _with_thumbprint(super().events(now=now, db=db))

    def subject_of(self, row: dict[str, Any]) -> Subject:
        product = row["software_product_id"]
        return Subject(software_product_id=product, client_id="" if product else row["actor_id"],
                       cert_thumbprint=row["thumbprint"])

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        window = self.window_events(now=now, db=db)
        # (client, thumbprint) -> its first event in the window: what "before" is before.
        first = {subject: min(event.id for event in events)
                 for subject, events in window.items()}
        history = _history(first.values(), db=db)
        findings = []
        for subject, first_id in first.items():
            known, other = history[first_id]
            # Not a known certificate, and not the client's first one.
            if not known and other:
                findings.append(Finding(self, subject, evidence=tuple(window[subject])))
        return findings

    def assess(self, finding: Finding, *, now: datetime, latest: Alert | None,
               db: str) -> Measure | None:
        if latest is not None and latest.status != Alert.Status.OPEN:
            # Staff have seen this certificate of this client: from now on it is known.
            return None
        return super().assess(finding, now=now, latest=latest, db=db)

    def meets(self, measure: Measure) -> bool:
        return measure.events >= 1


def _history(first_ids: Any, *, db: str) -> dict[int, tuple[bool, bool]]:
    """For each event id: (whether its client had a token under the same certificate
    before it, whether under another one). One query."""
    same_client = Q(software_product_id=OuterRef("software_product_id")) & (
        ~Q(software_product_id="") | Q(actor_id=OuterRef("actor_id")))
    earlier = _with_thumbprint(
        AuditEvent.objects.using(db)
        .filter(same_client, event_type__in=TOKEN_ISSUED_EVENTS, id__lt=OuterRef("id"))
        .order_by())
    same_certificate = Q(thumbprint=OuterRef("thumbprint"))
    rows = (_with_thumbprint(AuditEvent.objects.using(db).filter(id__in=list(first_ids)))
            .annotate(known=Exists(earlier.filter(same_certificate)),
                      other=Exists(earlier.exclude(same_certificate)))
            .values_list("id", "known", "other"))
    return {event_id: (known, other) for event_id, known, other in rows}


def _with_thumbprint(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Events with a non-empty detail.cert_thumbprint, as `thumbprint` (text: KT's own
    comparison lookups are the JSON ones, which read their operand as JSON)."""
    thumbprint = Coalesce(KT("detail__cert_thumbprint"), Value(""), output_field=TextField())
    return events.annotate(thumbprint=thumbprint).filter(Q(thumbprint__gt=""))
