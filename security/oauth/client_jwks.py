"""Fetching a client's (or the Register's) JWKS from its jwks_uri, with a bounded cache.

- A cached JWKS is used for at most JWKS_MAX_AGE: a key the recipient removed from its
  jwks_uri (say, a leaked one) stops being trusted within that time.
- An unknown `kid` or a failed signature refetches, but at most once a minute per client,
  whether the last attempt worked or not (an atomic cache slot), so a flood of bad
  assertions cannot make the bank hammer a jwks_uri or queue behind a slow one.
- One fetch is bounded in total time and size (a JWKS is a few KB), never follows redirects,
  and needs https outside dev and test.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from security.oauth.jose import JoseError

REFETCH_INTERVAL = timedelta(minutes=1)
JWKS_MAX_AGE = timedelta(hours=1)
MAX_JWKS_BYTES = 64 * 1024
FETCH_DEADLINE = 5.0  # seconds for the whole fetch, not per read


def fetch_jwks(uri: str) -> dict[str, Any]:
    if not uri.startswith("https://") and not settings.BANK_ALLOW_HTTP_CLIENT_URIS:
        raise JoseError("jwks_uri must be https")
    deadline = time.monotonic() + FETCH_DEADLINE
    try:
        with requests.get(
            uri, timeout=FETCH_DEADLINE, verify=settings.BANK_OUTBOUND_CA_BUNDLE or True,
            allow_redirects=False, headers={"Accept": "application/json"}, stream=True,
        ) as response:
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_content(chunk_size=4096):
                body.extend(chunk)
                if len(body) > MAX_JWKS_BYTES:
                    raise JoseError("jwks_uri returned too much")
                if time.monotonic() > deadline:
                    raise JoseError("jwks_uri answered too slowly")
        document = json.loads(bytes(body))
    except (requests.RequestException, ValueError) as exc:
        raise JoseError("jwks_uri could not be fetched") from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JoseError("jwks_uri did not return a JWKS")
    return document


def _refetch_slot(key: str) -> bool:
    """True for the one caller (across workers) allowed to fetch now; the slot lasts a minute."""
    return bool(cache.add(f"jwks-fetch:{key}", 1, int(REFETCH_INTERVAL.total_seconds())))


def registration_jwks(registration: Any, *, refresh: bool = False) -> dict[str, Any]:
    """The client's JWKS: the cache while it is young enough, else a (rate-limited) fetch."""
    now = timezone.now()
    fetched = registration.jwks_fetched_at
    expired = fetched is None or now - fetched > JWKS_MAX_AGE
    if registration.jwks and not expired and not refresh:
        return registration.jwks
    if not _refetch_slot(f"registration:{registration.pk}"):
        if registration.jwks and not expired:
            return registration.jwks  # a refetch ran within the minute: keep what we have
        raise JoseError("the client's JWKS is not available")
    registration.jwks = fetch_jwks(registration.jwks_uri)
    registration.jwks_fetched_at = now
    registration.save(update_fields=["jwks", "jwks_fetched_at"])
    return registration.jwks
