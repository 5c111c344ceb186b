"""Fetching a client's (or the Register's) JWKS from its jwks_uri, with a cache.

Recipients rotate keys by publishing the new one at their jwks_uri; an unknown `kid` makes
us fetch again, at most once a minute per client, so a flood of bad assertions cannot turn
the bank into a request amplifier.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from security.oauth.jose import JoseError

REFETCH_INTERVAL = timedelta(minutes=1)
_TIMEOUT = 5


def fetch_jwks(uri: str) -> dict[str, Any]:
    if not uri.startswith("https://") and not settings.BANK_ALLOW_HTTP_CLIENT_URIS:
        raise JoseError("jwks_uri must be https")
    try:
        response = requests.get(
            uri, timeout=_TIMEOUT, verify=settings.BANK_OUTBOUND_CA_BUNDLE or True,
            allow_redirects=False, headers={"Accept": "application/json"},
        )
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise JoseError("jwks_uri could not be fetched") from exc
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise JoseError("jwks_uri did not return a JWKS")
    return body


def registration_jwks(registration: Any, *, refresh: bool = False) -> dict[str, Any]:
    """The client's JWKS, from cache unless `refresh` (and the last fetch is not too recent)."""
    stale = registration.jwks_fetched_at is None or (
        refresh and timezone.now() - registration.jwks_fetched_at > REFETCH_INTERVAL
    )
    if registration.jwks and not stale:
        return registration.jwks
    registration.jwks = fetch_jwks(registration.jwks_uri)
    registration.jwks_fetched_at = timezone.now()
    registration.save(update_fields=["jwks", "jwks_fetched_at"])
    return registration.jwks
