"""System checks: the limits parse, name only known rules, and production shares them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from security.throttling.limits import limit_parse
from security.throttling.policy import RULES


@checks.register(checks.Tags.security)
def rate_limits_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    configured = settings.BANK_RATE_LIMITS
    for rule in sorted(RULES - set(configured)):
        problems.append(checks.Error(f"BANK_RATE_LIMITS has no limit for {rule}.",
                                     id="throttling.E001"))
    for rule in sorted(set(configured) - RULES):
        problems.append(checks.Error(
            f"BANK_RATE_LIMITS names an unknown rule: {rule} (a typo limits nothing).",
            id="throttling.E002"))
    entries = [(rule, value) for rule, value in configured.items() if rule in RULES]
    entries += [(f"endpoint:{name}", value)
                for name, value in settings.BANK_RATE_LIMIT_ENDPOINTS.items()]
    for rule, value in entries:
        if rule == "secure_site_wide" and value == "nfr":
            continue
        try:
            limit_parse(value)
        except ValueError as exc:
            problems.append(checks.Error(f"Rate limit {rule}: {exc}", id="throttling.E003"))
    unknown_endpoints = set(settings.BANK_RATE_LIMIT_ENDPOINTS) - _cdr_views()
    for name in sorted(unknown_endpoints):
        problems.append(checks.Error(
            f"BANK_RATE_LIMIT_ENDPOINTS names no CDR endpoint: {name} (a typo limits nothing).",
            id="throttling.E006"))
    if getattr(settings, "BANK_ENVIRONMENT", "") == "prod":
        if not settings.BANK_RATE_LIMIT_STORE.startswith(("redis://", "rediss://", "unix://")):
            problems.append(checks.Error(
                "Production rate limits must live in Redis (BANK_RATE_LIMIT_STORE): counters "
                "in process memory are per worker, so every worker would allow the full limit.",
                id="throttling.E004"))
        if settings.BANK_RATE_LIMIT_MULTIPLIER != 1:
            problems.append(checks.Error("BANK_RATE_LIMIT_MULTIPLIER is for tests only.",
                                         id="throttling.E005"))
    return problems


def _cdr_views() -> set[str]:
    """The class names of every CDR API view the URLconf serves."""
    from django.urls import get_resolver

    from bank.api.views import BaseCdrApi

    get_resolver().url_patterns  # noqa: B018  (imports every view module)
    found: set[str] = set()
    pending = list(BaseCdrApi.__subclasses__())
    while pending:
        view = pending.pop()
        found.add(view.__name__)
        pending.extend(view.__subclasses__())
    return found
