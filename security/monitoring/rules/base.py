"""What every detector rule is: candidates from one aggregate query, then a measure per
candidate that the alert it belongs to can be brought up to date with.

A rule never writes. `services.finding_record` locks the pattern's latest alert, asks the rule
to `assess` the candidate against it, and writes what the rule measured. The split is what
makes a run idempotent: audit rules only ever count events newer than the alert's
`last_event_id`, so running twice over the same window adds nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Max, Min, Q, QuerySet

from security.models import AuditEvent
from security.monitoring.models import Alert


@dataclass(frozen=True)
class Subject:
    """What one pattern is about: the client, the source network, the certificate."""

    software_product_id: str = ""
    source_network: str | None = None
    #: Only when the event names no software product (then the OAuth client stands for it).
    client_id: str = ""
    cert_thumbprint: str = ""

    def dedupe_key(self, rule: str) -> str:
        parts = [rule, self.software_product_id, self.source_network, self.client_id,
                 self.cert_thumbprint]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Finding:
    """A candidate: the rule's threshold is met over its whole window for this subject."""

    rule: Rule
    subject: Subject
    #: What the candidate query saw (numbers only), for the alert's detail.
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Measure:
    """What a finding adds to its alert."""

    events: int
    first_at: datetime
    last_at: datetime
    #: The newest audit event counted (0 for a rule that reads no events).
    last_event_id: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


class Rule(ABC):
    """One kind of suspicious pattern; its settings are BANK_MONITORING[name]."""

    name: ClassVar[str]
    #: Setting keys that must hold a positive integer.
    required: ClassVar[tuple[str, ...]] = ("window_seconds",)

    @property
    def config(self) -> dict[str, Any]:
        config = settings.BANK_MONITORING.get(self.name)
        if not isinstance(config, dict):
            raise ImproperlyConfigured(f"BANK_MONITORING has no settings for {self.name}.")
        return config

    def setting(self, key: str) -> int:
        value = self.config.get(key)
        # A missing or zero threshold would alert on everything or nothing: refuse it.
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ImproperlyConfigured(f"BANK_MONITORING[{self.name!r}][{key!r}] must be a "
                                       "positive integer.")
        return value

    @property
    def severity(self) -> str:
        severity = self.config.get("severity")
        if severity not in Alert.Severity.values:
            raise ImproperlyConfigured(f"BANK_MONITORING[{self.name!r}]['severity'] must be "
                                       f"one of {Alert.Severity.values}.")
        return str(severity)

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.setting("window_seconds"))

    def thresholds(self) -> dict[str, int]:
        """The settings an alert records, so staff see what it was measured against."""
        return {key: self.setting(key) for key in self.required}

    @abstractmethod
    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        """Subjects whose window, ending at `now`, meets the threshold."""

    @abstractmethod
    def assess(self, finding: Finding, *, now: datetime, latest: Alert | None,
               db: str) -> Measure | None:
        """What to add to `latest` if it is open, or to a new alert; None: nothing new."""


class AuditRule(Rule):
    """A rule over the audit trail's events of a few types in the window."""

    event_types: ClassVar[tuple[str, ...]]
    #: Whether the rule counts distinct subjects (probed IDs...), recorded in the detail.
    counts_distinct: ClassVar[bool] = False

    def event_filter(self) -> Q:
        """Narrower than the types (a reason in the detail...); empty: every event of them."""
        return Q()

    def events(self, *, now: datetime, db: str) -> QuerySet[AuditEvent]:
        # Served by the occurred_at and event_type indexes; order_by() keeps the model's
        # ordering out of GROUP BY.
        return (AuditEvent.objects.using(db)
                .filter(occurred_at__gt=now - self.window, occurred_at__lte=now,
                        event_type__in=self.event_types)
                .filter(self.event_filter())
                .order_by())

    @abstractmethod
    def subject_filter(self, subject: Subject) -> Q:
        """The events that belong to this subject."""

    @abstractmethod
    def meets(self, measure: Measure) -> bool:
        """Whether a measure is enough to open an alert."""

    def measure(self, subject: Subject, *, now: datetime, after_id: int,
                db: str) -> Measure | None:
        """The subject's events in the window newer than event `after_id`; None if none."""
        totals = (self.events(now=now, db=db).filter(self.subject_filter(subject), id__gt=after_id)
                  .aggregate(events=Count("id"), distinct_ids=Count("subject_id", distinct=True),
                             first_at=Min("occurred_at"), last_at=Max("occurred_at"),
                             last_id=Max("id")))
        if not totals["events"]:
            return None
        return Measure(events=totals["events"], first_at=totals["first_at"],
                       last_at=totals["last_at"], last_event_id=totals["last_id"],
                       detail={"distinct_ids": totals["distinct_ids"]}
                       if self.counts_distinct else {})

    def assess(self, finding: Finding, *, now: datetime, latest: Alert | None,
               db: str) -> Measure | None:
        after_id = latest.last_event_id if latest is not None else 0
        measure = self.measure(finding.subject, now=now, after_id=after_id, db=db)
        if measure is None:
            return None
        if latest is not None and latest.status == Alert.Status.OPEN:
            # The pattern goes on (the window still meets the threshold): every new event
            # adds to the open alert.
            return measure
        # A new alert, even after an acknowledged one: the events staff have already seen
        # do not count towards it, so only a pattern that comes back opens one.
        return measure if self.meets(measure) else None
