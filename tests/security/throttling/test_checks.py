"""The system checks keep bad limits and a per-process store out of production."""

from __future__ import annotations

from security.throttling.checks import rate_limits_check


def _ids(settings) -> list[str]:
    return [problem.id for problem in rate_limits_check()]


def test_the_shipped_limits_pass(settings):
    assert _ids(settings) == []


def test_a_typo_in_a_rule_name_is_an_error(settings):
    settings.BANK_RATE_LIMITS = {**settings.BANK_RATE_LIMITS, "sofware_product": "1/s"}
    assert _ids(settings) == ["throttling.E002"]


def test_a_missing_rule_is_an_error(settings):
    limits = dict(settings.BANK_RATE_LIMITS)
    del limits["token_per_client"]
    settings.BANK_RATE_LIMITS = limits
    assert _ids(settings) == ["throttling.E001"]


def test_a_malformed_limit_is_an_error(settings):
    settings.BANK_RATE_LIMITS = {**settings.BANK_RATE_LIMITS, "token_per_client": "lots"}
    settings.BANK_RATE_LIMIT_ENDPOINTS = {"DirectDebitListApi": ("1/s", 0)}
    assert _ids(settings) == ["throttling.E003", "throttling.E003"]


def test_production_needs_redis_and_real_limits(settings):
    settings.BANK_ENVIRONMENT = "prod"
    settings.BANK_RATE_LIMIT_STORE = "memory://"
    settings.BANK_RATE_LIMIT_MULTIPLIER = 10
    assert _ids(settings) == ["throttling.E004", "throttling.E005"]
    settings.BANK_RATE_LIMIT_STORE = "rediss://redis.internal:6380/2"
    settings.BANK_RATE_LIMIT_MULTIPLIER = 1
    assert _ids(settings) == []


def test_an_endpoint_limit_must_name_a_cdr_endpoint(settings):
    settings.BANK_RATE_LIMIT_ENDPOINTS = {"DirectDebitsListApi": ("1/s", 1)}
    assert _ids(settings) == ["throttling.E006"]
