"""Rules over refused calls and token requests (security/refusals.py writes the events), per
software product."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db.models import Count, Q
from django.utils import timezone

from security.models import AuditEvent
from security.monitoring.rules.base import AuditRule, Finding, Measure, Subject
from security.refusals import RESOURCE_ACCESS_DENIED, TOKEN_REJECTED, TOKEN_REQUEST_REJECTED

#: Denials that a well-behaved client does not cause: asking beyond its consent's scopes,
#: for IDs that are not its customer's, or without the certificate its token is bound to.
AUTHORIZATION_DENIAL_REASONS = ("scope", "foreign_id", "certificate")


class _PerProductRule(AuditRule):
    """Grouped by the software product the refused calls came from."""

    def subject_of(self, row: dict[str, Any]) -> Subject:
        return Subject(software_product_id=row["software_product_id"])


class _ProductsOverThreshold(_PerProductRule):
    """Only the products over the threshold, found with one grouped aggregate, have their
    events read: a busy product's few refusals are never loaded."""

    def candidate_filter(self, *, now: datetime, db: str) -> Q | None:
        rows = (self.events(now=now, db=db).exclude(software_product_id="")
                .values("software_product_id").annotate(**self.window_aggregate())
                .filter(self.window_threshold()))
        products = [row["software_product_id"] for row in rows]
        return Q(software_product_id__in=products) if products else None

    def window_aggregate(self) -> dict[str, Any]:
        return {"events": Count("id")}

    def window_threshold(self) -> Q:
        return Q(events__gte=self.setting("threshold"))


class AuthorizationFailureBurst(_ProductsOverThreshold):
    """Many refused tokens or authorization denials from one software product."""

    name = "authorization_failure_burst"
    required = ("window_seconds", "threshold")
    event_types = (RESOURCE_ACCESS_DENIED, TOKEN_REJECTED)

    def event_filter(self) -> Q:
        return (Q(event_type=TOKEN_REJECTED)
                | Q(event_type=RESOURCE_ACCESS_DENIED,
                    detail__reason__in=AUTHORIZATION_DENIAL_REASONS))

    def window_facts(self, whole: Measure) -> dict[str, Any]:
        return {"window_events": whole.events}

    def meets(self, measure: Measure) -> bool:
        return measure.events >= self.setting("threshold")


class ForeignIdEnumeration(_ProductsOverThreshold):
    """One software product asking for many distinct resource IDs that are not its own."""

    name = "foreign_id_enumeration"
    required = ("window_seconds", "distinct_ids")
    event_types = (RESOURCE_ACCESS_DENIED,)
    counts_distinct = True

    def event_filter(self) -> Q:
        # subject_id is a short digest of the probed IDs (refusals._probed_id): countable,
        # not reversible.
        return Q(detail__reason="foreign_id")

    def window_aggregate(self) -> dict[str, Any]:
        return {"distinct_ids": Count("subject_id", distinct=True)}

    def window_threshold(self) -> Q:
        return Q(distinct_ids__gte=self.setting("distinct_ids"))

    def window_facts(self, whole: Measure) -> dict[str, Any]:
        return {"window_distinct_ids": whole.detail["distinct_ids"]}

    def meets(self, measure: Measure) -> bool:
        return int(measure.detail["distinct_ids"]) >= self.setting("distinct_ids")


class _OneUseRule(_PerProductRule):
    """An event that is an attack on its own: one is enough.

    Checked inline, as each event is written (detector.audit_event_inline_check); the windowed
    run is the backstop for an inline check that failed, and counts nothing twice. Also when
    the product is unknown (''): such an event is worth an alert whoever caused it.
    """

    #: The reasons (the event detail's "reason") that make an event of `event_types` one.
    REASONS: ClassVar[tuple[str, ...]]

    def event_filter(self) -> Q:
        return Q(detail__reason__in=self.REASONS)

    def matches(self, event: AuditEvent) -> bool:
        """Whether this event is one; reads the event only, no query."""
        return (event.event_type in self.event_types and isinstance(event.detail, dict)
                and event.detail.get("reason") in self.REASONS)

    def inline_finding(self, event: AuditEvent, *, db: str) -> Finding:
        """The finding of the event's product, with its events in the window up to now (the
        event among them: it is written on `db`, in the transaction this runs in)."""
        subject = Subject(software_product_id=event.software_product_id)
        events = self.window_events(now=timezone.now(), db=db,
                                    only=Q(software_product_id=subject.software_product_id))
        return Finding(self, subject, evidence=tuple(events.get(subject, ())))

    def meets(self, measure: Measure) -> bool:
        return measure.events >= 1


class RevokedTokenUse(_OneUseRule):
    """A revoked access token presented again on the API."""

    name = "revoked_token_use"
    event_types = (TOKEN_REJECTED,)
    #: The reason security.refusals records for a token noted in RevokedToken.
    REASONS = ("revoked",)


class RefreshTokenMisuse(_OneUseRule):
    """A refresh token presented after its revocation, or by a client it was not issued to
    (security/oauth/tokens.py `_refresh_refusal_reason`). The caller is told only
    invalid_grant; either means the token leaked or the client replays what it should have
    forgotten. The alert is about the client that presented it."""

    name = "refresh_token_misuse"
    event_types = (TOKEN_REQUEST_REJECTED,)
    REASONS = ("revoked", "other_client")
