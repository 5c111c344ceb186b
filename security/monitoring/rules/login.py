"""Credential stuffing: login failures across many customer identifiers from one source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from security.login.services import LOGIN_FAILED
from security.monitoring.rules.base import AuditRule, Measure, Subject
from security.throttling.policy import source_network


class CredentialStuffing(AuditRule):
    """LOGIN_FAILED events for many distinct identifiers from one source network.

    The subject of a failure is a customer or a keyed digest of the identifier tried (never
    the identifier: security/login/services.py), so distinct subjects are distinct accounts
    tried. A source is counted as the rate limiter counts it: an IPv4 address, or an IPv6 /64
    (whoever holds a /64 has 2^64 addresses to rotate through). The /64 is worked out here,
    not in SQL, as the window's failures are read, once for every source network.
    """

    name = "credential_stuffing"
    required = ("window_seconds", "distinct_identifiers")
    event_types = (LOGIN_FAILED,)
    counts_distinct = True
    subject_columns = ("source_ip",)

    def candidate_filter(self, *, now: datetime, db: str) -> Q | None:
        return ~Q(source_ip=None)  # a failure with no known source is no source's

    def subject_of(self, row: dict[str, Any]) -> Subject:
        return Subject(source_network=source_network(row["source_ip"]))

    def window_facts(self, whole: Measure) -> dict[str, Any]:
        return {"window_distinct_ids": whole.detail["distinct_ids"]}

    def meets(self, measure: Measure) -> bool:
        return int(measure.detail["distinct_ids"]) >= self.setting("distinct_identifiers")

