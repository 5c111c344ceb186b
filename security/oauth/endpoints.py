"""Where the authorization server's endpoints are, built from settings only (never from Host).

The issuer is BANK_ISSUER, or the public base URL. mTLS-protected endpoints (PAR, token,
introspection, revocation, arrangement revocation, userinfo, registration) are also
advertised under BANK_MTLS_BASE_URL as RFC 8705 `mtls_endpoint_aliases`.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

MTLS_ENDPOINTS = (
    "pushed_authorization_request_endpoint",
    "token_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "cdr_arrangement_revocation_endpoint",
    "userinfo_endpoint",
    "registration_endpoint",
)

_URL_NAMES = {
    "authorization_endpoint": "oauth:authorize",
    "pushed_authorization_request_endpoint": "oauth:par",
    "token_endpoint": "oauth:token",
    "introspection_endpoint": "oauth:introspect",
    "revocation_endpoint": "oauth:revoke",
    "cdr_arrangement_revocation_endpoint": "oauth:arrangement-revoke",
    "userinfo_endpoint": "oauth:userinfo",
    "registration_endpoint": "oauth:register",
    "jwks_uri": "oauth:jwks",
}


def issuer() -> str:
    return (settings.BANK_ISSUER or settings.BANK_PUBLIC_BASE_URL).rstrip("/")


def mtls_base() -> str:
    return (settings.BANK_MTLS_BASE_URL or issuer()).rstrip("/")


def endpoint_url(name: str, *, mtls: bool = False) -> str:
    return (mtls_base() if mtls else issuer()) + reverse(_URL_NAMES[name])


def endpoint_urls(name: str) -> set[str]:
    """Every URL a client may use for the endpoint (its TLS and its mTLS alias)."""
    return {endpoint_url(name), endpoint_url(name, mtls=True)}
