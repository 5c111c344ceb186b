"""Rate limits of the CDR resource API, over the real request path (security/throttling).

Defaults are the CDR traffic thresholds; each test narrows one rule so that a handful of
calls reach it. Every refusal is 429 with an exact Retry-After and the CDR error body, and
the first one of a limit per caller per minute is audited. These run on process memory in
`make test` and on Redis in `make test-services`.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from security.models import AuditEvent
from security.throttling.models import RateLimitOverride
from security.throttling.store import LimiterUnavailable
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error

pytestmark = pytest.mark.usefixtures("real_rate_limits")

ACCOUNTS = "banking/accounts"
DEBITS = "banking/accounts/direct-debits"
PRODUCTS = "/cds-au/v1/banking/products"


def _limits(settings, **rules) -> None:
    settings.BANK_RATE_LIMITS = {**settings.BANK_RATE_LIMITS, **rules}


def _accounts(cdr, g, **extra):
    return cdr("get", ACCOUNTS, g, x_v="3", **extra)


def _assert_throttled(response, *, low: int, high: int) -> int:
    assert_cdr_error(response, 429, "GeneralError/Expected",
                     "Too many requests: the rate limit for this call is exceeded.")
    wait = int(response["Retry-After"])
    assert low <= wait <= high, wait
    return wait


def _rate_limit_events(rule: str):
    return AuditEvent.objects.filter(event_type="RATE_LIMIT_EXCEEDED", subject_id=rule)


def test_unattended_calls_get_five_a_second_per_session_after_a_burst_of_ten(bank, grant, cdr):
    g = grant("jane.citizen")
    started = time.monotonic()
    responses = [_accounts(cdr, g) for _ in range(25)]
    elapsed = time.monotonic() - started
    served = [r.status_code for r in responses].count(200)
    # The burst, plus one call per 200 ms of the time the calls took.
    assert 10 <= served <= 10 + int(elapsed * 5) + 1, (served, elapsed)
    refused = next(r for r in responses if r.status_code != 200)
    _assert_throttled(refused, low=1, high=1)  # one call's token returns in 200 ms
    assert_cdr_response(refused, "listBankingAccounts")  # the official ErrorListV2 for 429
    # Another session of the same customer and product has its own budget.
    assert _accounts(cdr, grant("jane.citizen", arrangement=g.arrangement)).status_code == 200


def test_an_unattended_session_has_a_quota_of_calls_until_its_token_expires(
        bank, grant, cdr, settings):
    _limits(settings, unattended_calls_per_session="3/session")
    g = grant("jane.citizen", token_seconds=600)
    assert [_accounts(cdr, g).status_code for _ in range(3)] == [200, 200, 200]
    _assert_throttled(_accounts(cdr, g), low=590, high=600)


def test_a_customer_gets_twenty_unattended_sessions_a_day_per_software_product(
        bank, grant, cdr, settings, make_product):
    _limits(settings, unattended_sessions_per_day="2/day")
    first = grant("jane.citizen")
    sessions = [first, grant("jane.citizen", arrangement=first.arrangement)]
    for g in sessions:
        assert _accounts(cdr, g).status_code == 200
    third = grant("jane.citizen", arrangement=first.arrangement)
    now = timezone.localtime()
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                now.tzinfo)
    to_midnight = int((midnight - now).total_seconds())
    _assert_throttled(_accounts(cdr, third), low=to_midnight - 5, high=to_midnight + 1)
    # Sessions already counted go on; so does the same customer with another product.
    assert _accounts(cdr, sessions[0]).status_code == 200
    other = grant("jane.citizen", software_product=make_product("Other App"))
    assert _accounts(cdr, other).status_code == 200
    # A customer-present call is not an unattended session.
    assert _accounts(cdr, third, present=True).status_code == 200


def test_customer_present_calls_are_limited_per_customer_across_products(
        bank, grant, cdr, settings, make_product):
    _limits(settings, customer_present_per_customer=("1/m", 2))
    one = grant("jane.citizen")
    two = grant("jane.citizen", software_product=make_product("Other App"))
    assert _accounts(cdr, one, present=True).status_code == 200
    assert _accounts(cdr, two, present=True).status_code == 200
    _assert_throttled(_accounts(cdr, one, present=True), low=59, high=60)
    # Unattended calls are counted per session, not by this rule.
    assert _accounts(cdr, one).status_code == 200


def test_a_software_product_is_limited_across_its_customers(bank, grant, cdr, settings):
    _limits(settings, software_product=("1/m", 3))
    jane, john = grant("jane.citizen"), grant("john.citizen")
    assert [_accounts(cdr, g).status_code for g in (jane, john, jane)] == [200, 200, 200]
    _assert_throttled(_accounts(cdr, john), low=59, high=60)


def test_the_text_search_has_tighter_limits_than_other_reads(bank, grant, cdr, settings):
    _limits(settings, search_per_customer=("1/m", 1))
    g = grant("jane.citizen")
    path = f"banking/accounts/{g.account_id(bank.accounts('jane.citizen')[0])}/transactions"
    assert cdr("get", path, g, x_v="2", query={"text": "coffee"}).status_code == 200
    _assert_throttled(cdr("get", path, g, x_v="2", query={"text": "tea"}), low=59, high=60)
    assert cdr("get", path, g, x_v="2").status_code == 200


def test_an_endpoint_can_have_its_own_ceiling(bank, grant, cdr, settings):
    settings.BANK_RATE_LIMIT_ENDPOINTS = {"DirectDebitListApi": ("1/m", 1)}
    g = grant("jane.citizen")
    assert cdr("get", DEBITS, g, x_v="2").status_code == 200
    _assert_throttled(cdr("get", DEBITS, g, x_v="2"), low=59, high=60)
    assert _accounts(cdr, g).status_code == 200


def test_a_software_product_override_from_the_admin_applies_to_that_product_only(
        bank, grant, cdr, make_product):
    limited = make_product("Limited App")
    RateLimitOverride.objects.create(software_product=limited, rule="software_product",
                                     rate="1/h", burst=1, reason="test")
    g = grant("jane.citizen", software_product=limited)
    assert _accounts(cdr, g).status_code == 200
    _assert_throttled(_accounts(cdr, g), low=3590, high=3600)
    other = grant("jane.citizen")
    assert [_accounts(cdr, other).status_code for _ in range(3)] == [200, 200, 200]


def test_a_refused_token_still_spends_its_callers_limit(bank, cdr, settings):
    _limits(settings, client_certificate=("1/m", 2))

    class Forged:
        token = "not-a-token"

    assert _accounts(cdr, Forged).status_code == 401
    assert _accounts(cdr, Forged).status_code == 401
    _assert_throttled(_accounts(cdr, Forged), low=59, high=60)


def test_refusals_are_audited_once_a_minute_per_limit_and_caller_and_each_is_logged(
        bank, grant, cdr, settings, caplog):
    _limits(settings, software_product=("1/m", 1))
    g = grant("jane.citizen")
    assert _accounts(cdr, g).status_code == 200
    with caplog.at_level(logging.WARNING, logger="bank.throttling"):
        statuses = [_accounts(cdr, g).status_code for _ in range(4)]
    assert statuses == [429] * 4
    lines = [r for r in caplog.records if getattr(r, "event", "") == "rate_limit.exceeded"]
    assert len(lines) == 4
    assert {r.rule for r in lines} == {"software_product"}
    assert {r.software_product_id for r in lines} == {g.product.software_product_id}
    events = list(_rate_limit_events("software_product"))
    assert len(events) == 1
    event = events[0]
    assert event.event_type == "RATE_LIMIT_EXCEEDED"
    assert (event.outcome, event.actor_type, event.actor_id) == (
        "denied", "client", g.product.software_product_id)
    assert event.detail["operation"] == "read"
    assert event.detail["endpoint"] == "AccountListApi"
    assert event.detail["limit"] == "1/m (burst 1)"
    assert 59 <= event.detail["retry_after"] <= 60


def test_a_refusal_changes_nothing(bank, grant, cdr, settings):
    """A 429 is decided before the view: no row is read for the caller, none written."""
    _limits(settings, software_product=("1/h", 1))
    g = grant("jane.citizen")
    assert _accounts(cdr, g).status_code == 200
    before = AuditEvent.objects.exclude(event_type="RATE_LIMIT_EXCEEDED").count()
    with mock.patch("accounts.api.account_views.selectors.account_list") as account_list:
        assert _accounts(cdr, g).status_code == 429
    account_list.assert_not_called()
    assert AuditEvent.objects.exclude(event_type="RATE_LIMIT_EXCEEDED").count() == before


def test_public_endpoints_are_limited_per_source_address(client, db, settings):
    _limits(settings, public_per_source=("1/m", 2))
    headers = {"HTTP_X_V": "5", "HTTP_ACCEPT": "application/json"}
    assert [client.get(PRODUCTS, **headers).status_code for _ in range(2)] == [200, 200]
    refused = client.get(PRODUCTS, **headers)
    _assert_throttled(refused, low=59, high=60)
    assert client.get(PRODUCTS, REMOTE_ADDR="198.51.100.9", **headers).status_code == 200


def test_all_secure_traffic_shares_the_site_wide_total(bank, grant, cdr, settings,
                                                       make_product):
    _limits(settings, secure_site_wide=("1/m", 2))
    jane, john = grant("jane.citizen"), grant("john.citizen",
                                               software_product=make_product("Other App"))
    assert [_accounts(cdr, g).status_code for g in (jane, john)] == [200, 200]
    _assert_throttled(_accounts(cdr, jane, present=True), low=59, high=60)


def test_every_call_spends_its_certificates_limit_before_any_other_check(bank, grant, cdr,
                                                                          settings):
    """Malformed calls too: a caller cannot probe for free with a bad x-v or Accept."""
    _limits(settings, client_certificate=("1/m", 3))
    g = grant("jane.citizen")
    assert cdr("get", ACCOUNTS, g, x_v="999").status_code == 406
    assert cdr("get", ACCOUNTS, g, x_v="3", HTTP_ACCEPT="text/html").status_code == 406
    assert cdr("get", ACCOUNTS, g, x_v="3", HTTP_X_FAPI_INTERACTION_ID="bad").status_code == 400
    _assert_throttled(cdr("get", ACCOUNTS, g, x_v="abc"), low=59, high=60)


def test_the_public_total_is_shared_by_every_source(client, db, settings):
    _limits(settings, public_site_wide=("1/m", 2))
    headers = {"HTTP_X_V": "5", "HTTP_ACCEPT": "application/json"}
    for address in ("198.51.100.1", "198.51.100.2"):
        assert client.get(PRODUCTS, REMOTE_ADDR=address, **headers).status_code == 200
    _assert_throttled(client.get(PRODUCTS, REMOTE_ADDR="198.51.100.3", **headers),
                      low=59, high=60)


def test_secure_site_wide_follows_the_nfr_table_by_active_authorisations(settings):
    from security.throttling import policy

    _limits(settings, secure_site_wide="nfr")
    with mock.patch.object(policy, "_active_authorisations", (0.0, 0)), \
         mock.patch("security.consent.models.Arrangement.objects") as arrangements:
        for active, tps in ((0, 150), (10_000, 150), (10_001, 200), (55_000, 400),
                            (60_001, 450)):
            arrangements.filter.return_value.count.return_value = active
            policy._active_authorisations = (-1e9, 0)
            assert policy.configured_limit("secure_site_wide").count == tps


def test_limiter_down_fails_closed_for_authenticated_calls(bank, grant, cdr, caplog):
    g = grant("jane.citizen")
    with mock.patch("security.throttling.store.MemoryStore.acquire",
                    side_effect=LimiterUnavailable("ConnectionError")), \
         mock.patch("security.throttling.store.RedisStore.acquire",
                    side_effect=LimiterUnavailable("ConnectionError")), \
         caplog.at_level(logging.ERROR, logger="bank.throttling"):
        response = _accounts(cdr, g)
    assert_cdr_error(response, 503, "urn:au-cds:error:cds-all:Service/Unavailable")
    assert response["Retry-After"] == "5"
    assert any(getattr(r, "event", "") == "rate_limit.store_unavailable" and r.fail_closed
               for r in caplog.records)


def test_limiter_down_leaves_public_endpoints_up(client, db, caplog):
    with mock.patch("security.throttling.store.MemoryStore.acquire",
                    side_effect=LimiterUnavailable("ConnectionError")), \
         mock.patch("security.throttling.store.RedisStore.acquire",
                    side_effect=LimiterUnavailable("ConnectionError")), \
         caplog.at_level(logging.ERROR, logger="bank.throttling"):
        response = client.get(PRODUCTS, HTTP_X_V="5", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert any(getattr(r, "event", "") == "rate_limit.store_unavailable" and not r.fail_closed
               for r in caplog.records)
