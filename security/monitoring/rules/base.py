"""What every detector rule is: one pass over its window that finds the candidates and reads
their evidence, then a measure per candidate that the alert it belongs to is brought up to
date with.

A rule never writes. `services.finding_record` locks the pattern's latest alert, asks the rule
to `assess` the candidate against it, and writes what the rule measured. The split is what
makes a run idempotent: audit rules only ever count events newer than the alert's
`last_event_id`, so running twice over the same window adds nothing the second time.

The pass is a fixed number of queries whatever the number of candidates (an attack from a
thousand addresses is a thousand candidates): a candidate carries its evidence (its events in
the window, or its calls per minute), and assessing it against its alert filters that evidence
in memory, under the alert's lock, without another read.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet

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
class EventRow:
    """One audit event as a rule counts it."""

    id: int
    occurred_at: datetime
    #: What the event was about (subject type and id: an identifier's digest, a probed
    #: resource ID's digest): the distinct ones are what some rules count.
    target: tuple[str, str]


@dataclass(frozen=True)
class Finding:
    """A candidate: the rule's threshold is met over its whole window for this subject."""

    rule: Rule
    subject: Subject
    #: What the candidate query saw (numbers only), for the alert's detail.
    facts: dict[str, Any] = field(default_factory=dict)
    #: What the rule read about the subject in its pass over the window (audit rules: its
    #: EventRows), so that assessing it reads nothing more.
    evidence: tuple[Any, ...] = ()


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
    """A rule over the audit trail's events of a few types in the window.

    `candidates` reads the window's events once (`window_events`), groups them by subject,
    and keeps the subjects whose whole window meets the threshold, each with its events.
    """

    event_types: ClassVar[tuple[str, ...]]
    #: Whether the rule counts distinct subjects (probed IDs...), recorded in the detail.
    counts_distinct: ClassVar[bool] = False
    #: The event columns `subject_of` reads, besides id, occurred_at and the event's subject.
    subject_columns: ClassVar[tuple[str, ...]] = ("software_product_id",)

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
    def subject_of(self, row: dict[str, Any]) -> Subject:
        """The subject an event (its `subject_columns`) belongs to."""

    @abstractmethod
    def meets(self, measure: Measure) -> bool:
        """Whether a measure is enough to open an alert."""

    def candidate_filter(self, *, now: datetime, db: str) -> Q | None:
        """Which events can belong to a candidate, worked out in SQL before any row is read
        (the products over a threshold...); Q(): all of them; None: no candidate at all."""
        return Q()

    def window_facts(self, whole: Measure) -> dict[str, Any]:
        """What the whole window measured that the alert's detail should show."""
        return {}

    def window_events(self, *, now: datetime, db: str,
                      only: Q | None = None) -> dict[Subject, list[EventRow]]:
        """The window's events (narrowed by `only`) by subject: one query."""
        events = self.events(now=now, db=db)
        if only is not None:
            events = events.filter(only)
        rows = events.values("id", "occurred_at", "subject_type", "subject_id",
                             *self.subject_columns)
        grouped: dict[Subject, list[EventRow]] = defaultdict(list)
        for row in rows.iterator(chunk_size=2000):
            grouped[self.subject_of(row)].append(
                EventRow(row["id"], row["occurred_at"], (row["subject_type"], row["subject_id"])))
        return grouped

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        only = self.candidate_filter(now=now, db=db)
        if only is None:
            return []
        findings = []
        for subject, events in self.window_events(now=now, db=db, only=only).items():
            whole = self.measure(events, after_id=0)
            if whole is not None and self.meets(whole):
                findings.append(Finding(self, subject, self.window_facts(whole), tuple(events)))
        return findings

    def measure(self, events: Iterable[EventRow], *, after_id: int) -> Measure | None:
        """What `events` newer than event `after_id` add up to; None if there are none."""
        new = [event for event in events if event.id > after_id]
        if not new:
            return None
        return Measure(
            events=len(new), first_at=min(event.occurred_at for event in new),
            last_at=max(event.occurred_at for event in new),
            last_event_id=max(event.id for event in new),
            detail={"distinct_ids": len({event.target for event in new})}
            if self.counts_distinct else {})

    def assess(self, finding: Finding, *, now: datetime, latest: Alert | None,
               db: str) -> Measure | None:
        after_id = latest.last_event_id if latest is not None else 0
        measure = self.measure(finding.evidence, after_id=after_id)
        if measure is None:
            return None
        if latest is not None and latest.status == Alert.Status.OPEN:
            # The pattern goes on (the window still meets the threshold): every new event
            # adds to the open alert.
            return measure
        # A new alert, even after an acknowledged one: the events staff have already seen
        # do not count towards it, so only a pattern that comes back opens one.
        return measure if self.meets(measure) else None
