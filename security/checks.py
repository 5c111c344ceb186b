"""Django system checks for settings a security reviewer cares about (DOT checks.py style)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def check_public_base_url(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Every environment needs the public base URL: links are never built from Host."""
    if not settings.BANK_PUBLIC_BASE_URL:
        return [Error("BANK_PUBLIC_BASE_URL is not set.", id="bank.E000")]
    return []


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
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(Error("ALLOWED_HOSTS must name the bank's hosts, not '*'.", id="bank.E005"))
    if not settings.SECURE_SSL_REDIRECT:
        problems.append(Error("SECURE_SSL_REDIRECT is off: plain HTTP would be served.",
                              id="bank.E006"))
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
            and settings.SESSION_COOKIE_HTTPONLY):
        problems.append(Error("Session and CSRF cookies must be Secure (and the session "
                              "cookie HttpOnly).", id="bank.E007"))
    return problems


@register(Tags.security)
def check_resource_id_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Resource IDs need their AES-256-SIV key; a malformed one stops the bank at start."""
    from security.keys import decode_resource_id_key

    if not settings.BANK_RESOURCE_ID_KEY:
        return [Error("BANK_RESOURCE_ID_KEY is not set.", id="bank.E008")]
    try:
        decode_resource_id_key(settings.BANK_RESOURCE_ID_KEY)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="bank.E009")]
    return []


@register(Tags.security, deploy=True)
def check_authorization_server(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The authorization server can sign (PS256 and ES256) and names an https issuer."""
    from security.oauth import signing_keys
    from security.oauth.endpoints import issuer, mtls_base

    problems: list[Error] = []
    try:
        signing_keys.clear_cache()
        algs = {key.alg for key in signing_keys.signing_keys()}
    except ImproperlyConfigured as exc:
        problems.append(Error(f"Signing keys: {exc}", id="bank.E010"))
    else:
        if algs != set(signing_keys.ALGORITHMS):
            problems.append(Error("Signing keys must include PS256 and ES256.", id="bank.E010"))
    if not (issuer().startswith("https://") and mtls_base().startswith("https://")):
        problems.append(Error("The issuer and the mTLS base URL must be https.", id="bank.E011"))
    return problems


@register(Tags.security)
def check_audit_retention(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The CDR keeps records six years (rules 9.3); a shorter setting would be refused by the
    database at the first purge anyway (security/migrations/0008): say so at start-up."""
    from datetime import timedelta

    from security.audit_retention import LEGAL_MINIMUM

    if timedelta(days=settings.BANK_AUDIT_RETENTION_DAYS) < LEGAL_MINIMUM:
        return [Error(f"BANK_AUDIT_RETENTION_DAYS must be at least {LEGAL_MINIMUM.days} "
                      "(six years).", id="bank.E030")]
    return []
