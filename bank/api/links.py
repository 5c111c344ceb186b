"""Fully qualified links (CDS standards/_payloads.md: links.self is an absolute URI).

The base comes from settings, never from the request's Host header, so a forged Host cannot
put an attacker's domain into our links: BANK_MTLS_BASE_URL for the endpoints served on the
mTLS listener (security/listeners.py), BANK_PUBLIC_BASE_URL for the public ones.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

from security.listeners import MTLS, listener_for_path


def absolute_url(request: HttpRequest, **query_overrides: str | int) -> str:
    """The request's own URL on its listener's base, with some query parameters replaced."""
    base = settings.BANK_PUBLIC_BASE_URL.rstrip("/")
    if listener_for_path(request.path_info) == MTLS and settings.BANK_MTLS_BASE_URL:
        base = settings.BANK_MTLS_BASE_URL.rstrip("/")
    if not base:
        raise ImproperlyConfigured("Set BANK_PUBLIC_BASE_URL: links are never built from Host.")
    params = {key: request.GET.get(key, "") for key in request.GET}
    params.update({key: str(value) for key, value in query_overrides.items()})
    query = urlencode(params)
    return f"{base}{escape_uri_path(request.path)}" + (f"?{query}" if query else "")
