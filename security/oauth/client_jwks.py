"""Fetching a client's (or the Register's) JWKS from its jwks_uri, with a bounded cache.

- A cached JWKS is used for at most JWKS_MAX_AGE: a key the recipient removed from its
  jwks_uri (say, a leaked one) stops being trusted within that time.
- An unknown `kid` or a failed signature refetches, but at most once a minute per client,
  whether the last attempt worked or not (an atomic cache slot), so a flood of bad
  assertions cannot make the bank hammer a jwks_uri or queue behind a slow one.
- One fetch goes through security/outbound.py: a public address only, bounded in total time
  and size (a JWKS is a few KB), never following redirects, https outside dev and test.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from security import outbound
from security.oauth.jose import JoseError

REFETCH_INTERVAL = timedelta(minutes=1)
JWKS_MAX_AGE = timedelta(hours=1)
MAX_JWKS_BYTES = 64 * 1024
FETCH_DEADLINE = 5.0  # seconds for the whole fetch, not per read


def fetch_jwks(uri: str, *, configured: bool = False) -> dict[str, Any]:
    """The JWKS at `uri`, through the guarded outbound door (security/outbound.py): a public
    address only (unless `configured`: the Register's URL, set by the operator), no redirect,
    200 only, bounded in size and in total time."""
    if not uri.startswith("https://") and not settings.BANK_ALLOW_HTTP_CLIENT_URIS:
        raise JoseError("jwks_uri must be https")
    try:
        answer = outbound.call(
            "GET", uri, max_bytes=MAX_JWKS_BYTES, deadline=FETCH_DEADLINE,
            headers={"Accept": "application/json"},
            verify=settings.BANK_OUTBOUND_CA_BUNDLE or True, check_address=not configured)
        document = json.loads(answer.body)
    except outbound.OutboundRefused as exc:
        raise JoseError(f"jwks_uri could not be fetched: it {exc}") from exc
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
