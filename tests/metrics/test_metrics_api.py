"""Get Metrics v5: the numbers are exactly the calls a test made, the body is the official
schema's, for every period.

The calls go through the whole stack (middleware, rate limiter, authentication, views) with
real tokens; only the middleware's clocks are fixed (tests/metrics/conftest.py CallClock), so
that response times and seconds are known.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from bank.metrics.periods import local_zone
from bank.metrics.recorder import recorder
from bank.metrics.selectors import client_call_counts, metrics_flush
from security import audit
from security.consent.services import access_token_issue
from tests.cdr_schema import assert_cdr_response

pytestmark = pytest.mark.django_db

PUBLIC = "/cds-au/v1"
TIERS = ("unauthenticated", "highPriority", "lowPriority", "unattended", "largePayload")
ONE = "1.0000"
ZERO_BY_TYPE = {"individual": 0, "nonIndividual": 0}


def _public(path: str, x_v: str) -> Any:
    return Client().get(f"{PUBLIC}/{path}", HTTP_X_V=x_v, HTTP_ACCEPT="application/json")


def _midnight(moment: datetime) -> datetime:
    return moment.astimezone(local_zone()).replace(hour=0, minute=0, second=0, microsecond=0)


def _days(current: Any, previous: Any) -> dict[str, Any]:
    return {"currentDay": current, "previousDays": [previous] * 7}


def test_metrics_are_the_calls_made_today(
    bank, grant, cdr, call_clock, register_token, as_register, real_rate_limits, monkeypatch,
):
    # Tight enough to meet in a few calls: the 6th public call and the 4th registration call
    # are refused, one by the CDR API (BaseCdrApi), one by RateLimitMiddleware.
    real_rate_limits.BANK_RATE_LIMITS = {**real_rate_limits.BANK_RATE_LIMITS,
                                         "public_per_source": ("1/m", 5)}
    register = register_token("admin:metrics.basic:read")
    jane = grant("jane.citizen")
    # A session (CDS: the provisioning of an access token): issued by the consent service.
    raw, _ = access_token_issue(arrangement=jane.arrangement, certificate_thumbprint="",
                                actor=audit.Actor.system("test"))
    jane = dataclasses.replace(jane, token=raw)
    account = jane.account_id(bank.accounts("jane.citizen")[0])
    # A bug in Get Outages: a 500.
    monkeypatch.setattr("bank.discovery.api.views.OutageOutputSerializer",
                        lambda *args, **kwargs: 1 / 0)
    recorder.drain()  # only the calls below

    # Unauthenticated endpoints (6 calls, one 500, one 406, one 429).
    assert _public("banking/products", "5").status_code == 200            # unauthenticated
    assert _public("banking/products", "5").status_code == 200            # unauthenticated
    assert _public("discovery/status", "1").status_code == 200            # highPriority
    assert _public("discovery/outages", "1").status_code == 500           # highPriority
    assert _public("banking/products", "99").status_code == 406           # unauthenticated
    # Authenticated endpoints (10 calls, one 401, one 400, one 429).
    call_clock.duration = 1.25  # over the 1000 ms of the high-priority tier
    assert cdr("get", "banking/accounts", jane, x_v="3", present=True).status_code == 200
    call_clock.duration = 0.25
    assert cdr("get", "banking/accounts", jane, x_v="3").status_code == 200            # unattended
    assert cdr("get", f"banking/accounts/{account}", jane, x_v="5",
               present=True).status_code == 200                                        # lowPriority
    assert cdr("get", "banking/accounts/direct-debits", jane, x_v="2").status_code == 200  # large
    assert cdr("get", "banking/accounts", None, x_v="3").status_code == 401            # unattended
    assert cdr("get", "banking/accounts", jane, present=True).status_code == 400       # highPriority
    for _ in range(3):                                                                  # highPriority
        assert Client().post("/register", {}).status_code not in {200, 201, 429}
    assert Client().post("/register", {}).status_code == 429                            # highPriority
    assert _public("banking/products", "5").status_code == 429            # unauthenticated
    metrics_flush()

    response = as_register(register)

    body = assert_cdr_response(response, "getMetrics")
    data = body["data"]
    request_time = datetime.fromisoformat(data["requestTime"])
    seconds_today = (request_time - _midnight(request_time)).total_seconds()
    hours_today = request_time.astimezone(local_zone()).hour + 1
    call_hour = datetime.fromtimestamp(call_clock.second, local_zone()).hour

    def hourly(at_call_hour: str) -> list[str]:
        return [at_call_hour if hour == call_hour else ONE for hour in range(hours_today)]

    performance = {tier: {"currentDay": hourly(ONE), "previousDays": [[ONE] * 24] * 7}
                   for tier in TIERS}
    # High priority: 8 calls, the 429 not measured, 6 of the other 7 within 1000 ms.
    performance["highPriority"]["currentDay"] = hourly("0.8571")
    availability = {"currentMonth": ONE, "previousMonths": [ONE] * 12}
    assert data == {
        "requestTime": data["requestTime"],
        "availability": {"aggregate": availability, "unauthenticated": availability,
                         "authenticated": availability},
        # 14 calls measured (16 less the two 429s), 13 within their tier's threshold.
        "performance": {"aggregate": _days("0.9286", ONE), **performance},
        "invocations": {"unauthenticated": _days(4, 0), "highPriority": _days(8, 0),
                        "lowPriority": _days(1, 0), "unattended": _days(2, 0),
                        "largePayload": _days(1, 0)},
        # Seconds at millisecond resolution; high priority (7 x 0.25 + 1.25) / 8.
        "averageResponse": {"unauthenticated": _days(0.25, 0.0), "highPriority": _days(0.375, 0.0),
                            "lowPriority": _days(0.25, 0.0), "unattended": _days(0.25, 0.0),
                            "largePayload": _days(0.25, 0.0)},
        "sessionCount": _days(1, 0),
        "averageTps": {"aggregate": _days(round(16 / seconds_today, 6), 0.0),
                       "unauthenticated": _days(round(6 / seconds_today, 6), 0.0),
                       "authenticated": _days(round(10 / seconds_today, 6), 0.0)},
        # Every call in the same second.
        "peakTps": {"aggregate": _days(16.0, 0.0), "unauthenticated": _days(6.0, 0.0),
                    "authenticated": _days(10.0, 0.0)},
        "errors": {"aggregate": _days(1, 0), "unauthenticated": _days({"500": 1}, {}),
                   "authenticated": _days({}, {})},
        "rejections": {"authenticated": _days(1, 0), "unauthenticated": _days(1, 0)},
        "customerCount": 1,
        "recipientCount": 1,
        "authorisations": {
            "activeAuthorisationCount": {"individual": 1, "nonIndividual": 0},
            "newAuthorisationCount": _days(
                {"onceOff": ZERO_BY_TYPE, "ongoing": {"individual": 1, "nonIndividual": 0}},
                {"onceOff": ZERO_BY_TYPE, "ongoing": ZERO_BY_TYPE}),
            "revokedAuthorisationCount": _days(ZERO_BY_TYPE, ZERO_BY_TYPE),
            "amendedAuthorisationCount": _days(ZERO_BY_TYPE, ZERO_BY_TYPE),
            "expiredAuthorisationCount": _days(ZERO_BY_TYPE, ZERO_BY_TYPE),
            "abandonedConsentFlowCount": _days(0, 0),
            "abandonmentsByStage": {stage: _days(0, 0) for stage in (
                "preIdentification", "preAuthentication", "preAccountSelection",
                "preAuthorisation", "rejected", "failedTokenExchange")},
        },
    }
    assert body["links"] == {"self": "https://bank.example.test/cds-au/v1/admin/metrics"}
    # The five calls that identified Jane's software product (the 401 did not).
    minute = datetime.fromtimestamp(call_clock.second - call_clock.second % 60, local_zone())
    assert client_call_counts(minute, minute + timedelta(minutes=1)) == {
        jane.product.software_product_id: 5}


@pytest.mark.parametrize(("period", "current", "previous"), [
    ("CURRENT", True, False), ("HISTORIC", False, True), ("ALL", True, True), (None, True, True),
])
def test_each_period_is_schema_valid_and_has_only_its_days(
    register_token, as_register, period, current, previous,
):
    response = as_register(register_token("admin:metrics.basic:read"), period=period)

    data = assert_cdr_response(response, "getMetrics")["data"]
    day_keys = {key for present, key in ((current, "currentDay"), (previous, "previousDays"))
                if present}
    month_keys = {key for present, key in ((current, "currentMonth"),
                                           (previous, "previousMonths")) if present}
    assert set(data["availability"]["aggregate"]) == month_keys
    for section in ("performance", "invocations", "averageResponse"):
        assert set(data[section]) >= set(TIERS)
        assert all(set(series) == day_keys for series in data[section].values())
    for section in ("averageTps", "peakTps", "errors"):
        assert all(set(series) == day_keys for series in data[section].values())
    assert set(data["sessionCount"]) == day_keys
    assert set(data["authorisations"]["newAuthorisationCount"]) == day_keys
    assert set(data["authorisations"]["activeAuthorisationCount"]) == {"individual",
                                                                      "nonIndividual"}
    if previous:
        assert len(data["invocations"]["highPriority"]["previousDays"]) == 7
        assert len(data["availability"]["authenticated"]["previousMonths"]) == 12
        assert all(len(day) == 24 for day in data["performance"]["lowPriority"]["previousDays"])
