"""Credential stuffing: login failures across many customer identifiers from one source."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Q

from security.login.services import LOGIN_FAILED
from security.monitoring.rules.base import AuditRule, Finding, Measure, Subject
from security.throttling.policy import source_network


class CredentialStuffing(AuditRule):
    """LOGIN_FAILED events for many distinct identifiers from one source network.

    The subject of a failure is a customer or a keyed digest of the identifier tried (never
    the identifier: security/login/services.py), so distinct subjects are distinct accounts
    tried. A source is counted as the rate limiter counts it: an IPv4 address, or an IPv6 /64
    (whoever holds a /64 has 2^64 addresses to rotate through). The /64 is worked out here,
    not in SQL, so the window's (source, subject) pairs are read once: login failures are
    rate-limited per source, so they stay few.
    """

    name = "credential_stuffing"
    required = ("window_seconds", "distinct_identifiers")
    event_types = (LOGIN_FAILED,)

    def subject_filter(self, subject: Subject) -> Q:
        raise NotImplementedError("source networks are matched in Python: see measure()")

    def candidates(self, *, now: datetime, db: str) -> list[Finding]:
        pairs = (self.events(now=now, db=db).exclude(source_ip=None)
                 .values_list("source_ip", "subject_type", "subject_id").distinct())
        tried: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for source_ip, subject_type, subject_id in pairs.iterator():
            tried[source_network(source_ip)].add((subject_type, subject_id))
        threshold = self.setting("distinct_identifiers")
        return [Finding(self, Subject(source_network=network),
                        {"window_distinct_ids": len(subjects)})
                for network, subjects in tried.items() if len(subjects) >= threshold]

    def measure(self, subject: Subject, *, now: datetime, after_id: int,
                db: str) -> Measure | None:
        rows = (self.events(now=now, db=db).filter(id__gt=after_id).exclude(source_ip=None)
                .values_list("id", "occurred_at", "source_ip", "subject_type", "subject_id"))
        ids, times, subjects = [], [], set()
        for event_id, occurred_at, source_ip, subject_type, subject_id in rows.iterator():
            if source_network(source_ip) == subject.source_network:
                ids.append(event_id)
                times.append(occurred_at)
                subjects.add((subject_type, subject_id))
        if not ids:
            return None
        return Measure(events=len(ids), first_at=min(times), last_at=max(times),
                       last_event_id=max(ids), detail={"distinct_ids": len(subjects)})

    def meets(self, measure: Measure) -> bool:
        return int(measure.detail["distinct_ids"]) >= self.setting("distinct_identifiers")
