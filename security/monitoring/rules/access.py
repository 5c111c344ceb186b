"""Rules over refused API calls (security/refusals.py writes the events), per software product."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.db.models import Count, Q

from security.models import AuditEvent
from security.monitoring.rules.base import AuditRule, Finding, Measure, Subject
from security.refusals import RESOURCE_ACCESS_DENIED, TOKEN_REJECTED

#: Denials that a well-behaved client does not cause: asking beyond its consent's scopes,
#: for IDs that are not its customer's, or without the certificate its token is bound to.
AUTHORIZATION_DENIAL_REASONS = ("scope", "foreign_id", "certificate")


class _PerProductRule(AuditRule):
    """Grouped by the software product the refused calls came from."""

    def subject_filter(self, subject: Subject) -> Q:
        return Q(software_product_id=subject.software_product_id)


class AuthorizationFailureBurst(_PerProductRule):
    """Many refused tokens or authorization denials from one software product."""

    name = "authorization_failure_burst"
    required = ("window_seconds", "threshold")
    event_types = (RESOURCE_ACCESS_DENIED, TOKEN_REJECTED)

    def event_filter(self) -> Q:
        return (Q(event_type=TOKEN_REJECTED)
                | Q(event_type=RESOURCE_ACCESS_DENIED,
                    detail__reason__in=AUTHORIZATION_DENIAL_REASONS))

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        rows = (self.events(now=now, db=db).exclude(software_product_id="")
                .values("software_product_id").annotate(events=Count("id"))
                .filter(events__gte=self.setting("threshold")))
        return [Finding(self, Subject(software_product_id=row["software_product_id"]),
                        {"window_events": row["events"]}) for row in rows]

    def meets(self, measure: Measure) -> bool:
        return measure.events >= self.setting("threshold")


class ForeignIdEnumeration(_PerProductRule):
    """One software product asking for many distinct resource IDs that are not its own."""

    name = "foreign_id_enumeration"
    required = ("window_seconds", "distinct_ids")
    event_types = (RESOURCE_ACCESS_DENIED,)
    counts_distinct = True

    def event_filter(self) -> Q:
        # subject_id is a short digest of the probed IDs (refusals._probed_id): countable,
        # not reversible.
        return Q(detail__reason="foreign_id")

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        rows = (self.events(now=now, db=db).exclude(software_product_id="")
                .values("software_product_id")
                .annotate(distinct_ids=Count("subject_id", distinct=True))
                .filter(distinct_ids__gte=self.setting("distinct_ids")))
        return [Finding(self, Subject(software_product_id=row["software_product_id"]),
                        {"window_distinct_ids": row["distinct_ids"]}) for row in rows]

    def meets(self, measure: Measure) -> bool:
        return int(measure.detail["distinct_ids"]) >= self.setting("distinct_ids")


class RevokedTokenUse(_PerProductRule):
    """A revoked token presented again: one use is enough.

    Checked inline, as each event is written (detector.audit_event_inline_check); the windowed
    run is the backstop for an inline check that failed, and counts nothing twice.
    """

    name = "revoked_token_use"
    event_types = (TOKEN_REJECTED,)
    #: The reason security.refusals records for a token noted in RevokedToken.
    REASON: ClassVar[str] = "revoked"

    def event_filter(self) -> Q:
        return Q(detail__reason=self.REASON)

    def matches(self, event: AuditEvent) -> bool:
        """Whether this event is a revoked token's use; reads the event only, no query."""
        return (event.event_type == TOKEN_REJECTED and isinstance(event.detail, dict)
                and event.detail.get("reason") == self.REASON)

    def inline_finding(self, event: AuditEvent) -> Finding:
        return Finding(self, Subject(software_product_id=event.software_product_id))

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        # Also when the product is unknown (''): a revoked token is worth an alert whoever
        # presents it.
        products = (self.events(now=now, db=db).values_list("software_product_id", flat=True)
                    .distinct())
        return [Finding(self, Subject(software_product_id=product)) for product in products]

    def meets(self, measure: Measure) -> bool:
        return measure.events >= 1
