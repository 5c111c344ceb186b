"""Django system checks for settings a security reviewer cares about (DOT checks.py style)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_posture(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    """`manage.py check --deploy` fails on a configuration no bank should run."""
    problems: list[Error | Warning] = []
    if settings.DEBUG:
        problems.append(Error("DEBUG is on.", id="bank.E001"))
    if settings.SECURE_HSTS_SECONDS < 31_536_000 or not settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        problems.append(Error("HSTS must last a year or more and include subdomains.",
                              id="bank.E002"))
    if not settings.BANK_PUBLIC_BASE_URL.startswith("https://"):
        problems.append(Error("BANK_PUBLIC_BASE_URL must be https://.", id="bank.E003"))
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append(Error("Production runs on PostgreSQL.", id="bank.E004"))
    return problems
