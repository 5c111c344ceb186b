"""A known client getting tokens under a client certificate never seen before for it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Min, Q, QuerySet, TextField, Value
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
    (retention), looked up per candidate through the software_product_id index. A client is
    its software product; events that name none fall back to the OAuth client (the actor).
    """

    name = "new_client_certificate"
    event_types = TOKEN_ISSUED_EVENTS

    def events(self, *, now: datetime, db: str) -> QuerySet[AuditEvent]:
        return _with_thumbprint(super().events(now=now, db=db))

    def subject_filter(self, subject: Subject) -> Q:
        return _client_filter(subject) & Q(thumbprint=subject.cert_thumbprint)

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        rows = (self.events(now=now, db=db)
                .values("software_product_id", "actor_id", thumbprint=F("thumbprint"))
                .annotate(first_id=Min("id")))
        # (client, thumbprint) -> the first event of it in the window.
        first: dict[Subject, int] = {}
        for row in rows:
            product = row["software_product_id"]
            subject = Subject(software_product_id=product,
                              client_id="" if product else row["actor_id"],
                              cert_thumbprint=row["thumbprint"])
            first[subject] = min(first.get(subject, row["first_id"]), row["first_id"])
        findings = []
        for subject, first_id in first.items():
            earlier = _with_thumbprint(
                AuditEvent.objects.using(db)
                .filter(event_type__in=TOKEN_ISSUED_EVENTS, id__lt=first_id)
                .filter(_client_filter(subject)).order_by())
            same = Q(thumbprint=subject.cert_thumbprint)
            if earlier.filter(same).exists():
                continue  # known certificate
            if not earlier.exclude(same).exists():
                continue  # the client's first certificate
            findings.append(Finding(self, subject))
        return findings

    def assess(self, finding: Finding, *, now: datetime, latest: Alert | None,
               db: str) -> Measure | None:
        if latest is not None and latest.status != Alert.Status.OPEN:
            # Staff have seen this certificate of this client: from now on it is known.
            return None
        return super().assess(finding, now=now, latest=latest, db=db)

    def meets(self, measure: Measure) -> bool:
        return measure.events >= 1


def _with_thumbprint(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Events with a non-empty detail.cert_thumbprint, as `thumbprint` (text: KT's own
    comparison lookups are the JSON ones, which read their operand as JSON)."""
    thumbprint = Coalesce(KT("detail__cert_thumbprint"), Value(""), output_field=TextField())
    return events.annotate(thumbprint=thumbprint).filter(Q(thumbprint__gt=""))


def _client_filter(subject: Subject) -> Q:
    if subject.software_product_id:
        return Q(software_product_id=subject.software_product_id)
    return Q(software_product_id="", actor_id=subject.client_id)
