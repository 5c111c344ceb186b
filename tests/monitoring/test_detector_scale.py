"""The detector under load: each rule reads its window in the same few queries whether it finds
3 candidates or 1,000 (an attack from a botnet is a candidate per address), so that one rule
stays well inside its time limit; writing each finding's alert is all that grows with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bank.metrics.recorder import recorder
from bank.metrics.selectors import metrics_flush
from security.monitoring.detector import rule_run
from security.monitoring.models import Alert
from security.monitoring.rules import WINDOWED_RULES, Rule
from tests.monitoring.conftest import (
    TOKEN_REJECTED,
    login_failure,
    refusal,
    rule_setting,
    token_issued,
    token_request_refusal,
)

pytestmark = pytest.mark.django_db

AUDIT_TABLE, METRICS_TABLE = "security_auditevent", "metrics_requestbucket"
#: Writing one finding: the alert locked, a savepoint, the INSERT or UPDATE, its release.
QUERIES_PER_FINDING = 4


def _ip(n: int) -> str:
    return f"198.18.{n // 250}.{n % 250 + 1}"  # the benchmarking range (RFC 2544)


def _stuffing(first: int, last: int, *, now: datetime) -> None:
    for source in range(first, last):
        for n in range(rule_setting("credential_stuffing", "distinct_identifiers")):
            login_failure(f"id-{source}-{n}", source_ip=_ip(source))


def _burst(first: int, last: int, *, now: datetime) -> None:
    for product in range(first, last):
        for _ in range(rule_setting("authorization_failure_burst", "threshold")):
            refusal(f"sp-{product}", reason="scope")


def _enumeration(first: int, last: int, *, now: datetime) -> None:
    for product in range(first, last):
        for n in range(rule_setting("foreign_id_enumeration", "distinct_ids")):
            refusal(f"sp-{product}", reason="foreign_id", subject_id=f"probe-{n}")


def _certificates(first: int, last: int, *, now: datetime) -> None:
    for product in range(first, last):
        for thumbprint in ("x5t-old", "x5t-new"):
            token_issued(product=f"sp-{product}", client_id=f"client-{product}",
                         thumbprint=thumbprint)


def _revoked(first: int, last: int, *, now: datetime) -> None:
    for product in range(first, last):
        refusal(f"sp-{product}", event_type=TOKEN_REJECTED, reason="revoked")


def _refresh_misuse(first: int, last: int, *, now: datetime) -> None:
    for product in range(first, last):
        token_request_refusal(f"sp-{product}", "other_client")


def _volume(first: int, last: int, *, now: datetime) -> None:
    # The last whole minute before `now`; every product new, at min_calls.
    at = now.replace(second=0, microsecond=0) - timedelta(seconds=30)
    for product in range(first, last):
        for _ in range(rule_setting("call_volume_spike", "min_calls")):
            recorder.record(at=at.timestamp(), tier="lowPriority",
                            software_product_id=f"sp-{product}", status_code=200,
                            authenticated=True, customer_present=False, latency_us=1000,
                            within_threshold=True)
    metrics_flush()


@pytest.fixture
def small_thresholds(settings: Any) -> None:
    """Volume thresholds a test can reach with a few calls per product."""
    recorder.drain()
    settings.BANK_MONITORING = {**settings.BANK_MONITORING, "call_volume_spike": {
        **settings.BANK_MONITORING["call_volume_spike"], "min_calls": 3}}


def _rule(name: str) -> Rule:
    return next(rule for rule in WINDOWED_RULES if rule.name == name)


def _run(rule: Rule, now: datetime) -> tuple[list[Alert], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        alerts = rule_run(rule, now=now)
    return alerts, [query["sql"] for query in queries.captured_queries]


def _reads(sql: list[str], table: str) -> list[str]:
    return [statement for statement in sql if table in statement]


def _alert_writes(sql: list[str], table: str) -> list[str]:
    others = [statement for statement in sql if table not in statement]
    assert all("monitoring_alert" in s or s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
               for s in others), others
    return others


@pytest.mark.parametrize(("rule_name", "make", "table"), [
    ("credential_stuffing", _stuffing, AUDIT_TABLE),
    ("authorization_failure_burst", _burst, AUDIT_TABLE),
    ("foreign_id_enumeration", _enumeration, AUDIT_TABLE),
    ("new_client_certificate", _certificates, AUDIT_TABLE),
    ("revoked_token_use", _revoked, AUDIT_TABLE),
    ("refresh_token_misuse", _refresh_misuse, AUDIT_TABLE),
    ("call_volume_spike", _volume, METRICS_TABLE),
])
def test_every_rule_reads_its_window_in_the_same_queries_for_3_or_30_candidates(
        rule_name: str, make: Callable[..., None], table: str, small_thresholds: None) -> None:
    rule = _rule(rule_name)
    now = timezone.now().replace(second=30, microsecond=0) + timedelta(minutes=1)
    make(0, 3, now=now)
    few, few_sql = _run(rule, now)

    # 27 more candidates; the first 3 are still in the window, with their open alerts.
    later = now + timedelta(minutes=1)
    make(3, 30, now=later)
    many, many_sql = _run(rule, later)

    assert len(_reads(many_sql, table)) == len(_reads(few_sql, table)) <= 3
    assert len(_alert_writes(many_sql, table)) <= QUERIES_PER_FINDING * 30
    assert Alert.objects.filter(rule=rule_name, status="open").count() == 30
    if rule_name not in ("revoked_token_use", "refresh_token_misuse"):  # raised inline
        assert (len(few), len(many)) == (3, 27)


def test_credential_stuffing_from_1000_sources_is_one_read_of_the_window(settings):
    # Five identifiers per source make a finding of each: 1,000 alerts to open.
    settings.BANK_MONITORING = {**settings.BANK_MONITORING, "credential_stuffing": {
        **settings.BANK_MONITORING["credential_stuffing"], "distinct_identifiers": 5}}
    _stuffing(0, 1000, now=timezone.now())
    rule = _rule("credential_stuffing")

    alerts, sql = _run(rule, timezone.now())

    assert len(_reads(sql, AUDIT_TABLE)) == 1
    assert len(_alert_writes(sql, AUDIT_TABLE)) == QUERIES_PER_FINDING * 1000
    assert len(alerts) == 1000
    assert sorted(a.source_ip for a in alerts) == sorted(_ip(n) for n in range(1000))
    assert {(a.count, a.detail["distinct_ids"]) for a in alerts} == {(5, 5)}
