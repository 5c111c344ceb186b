"""The identity provider's signing keys (RFC 7517), cached.

Keys are kept BANK_STAFF_OIDC_JWKS_CACHE_SECONDS. A token signed with a kid we do not hold
may mean the IdP rotated its keys, so the set is fetched again, but at most once a minute:
otherwise anyone could make the bank call the IdP once per forged token.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache

from security.staff_sso import errors
from security.staff_sso.errors import StaffSsoRefusedError

logger = logging.getLogger(__name__)

_REFETCH_INTERVAL_SECONDS = 60


def _cache_key(suffix: str) -> str:
    return f"staff_sso:jwks:{suffix}:{settings.OIDC_OP_JWKS_ENDPOINT}"


def _jwks_fetch() -> list[dict[str, Any]]:
    try:
        response = requests.get(settings.OIDC_OP_JWKS_ENDPOINT, verify=settings.OIDC_VERIFY_SSL,
                                timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = response.json()["keys"]
    except (requests.RequestException, ValueError, KeyError, TypeError):
        logger.warning("staff SSO: the identity provider's JWKS could not be fetched")
        return []
    usable = [k for k in keys if isinstance(k, dict)]
    cache.set(_cache_key("keys"), usable, settings.BANK_STAFF_OIDC_JWKS_CACHE_SECONDS)
    return usable


def _match(keys: list[dict[str, Any]], *, kid: str, alg: str) -> jwt.PyJWK | None:
    for jwk in keys:
        if jwk.get("kid") != kid or jwk.get("use", "sig") != "sig":
            continue
        if jwk.get("alg", alg) != alg:
            continue
        try:
            # PyJWK with the token's alg refuses a key of another type (an RSA key for ES256).
            return jwt.PyJWK(jwk, algorithm=alg)
        except jwt.PyJWTError:
            continue
    return None


def idp_signing_key(*, kid: str, alg: str) -> jwt.PyJWK:
    """The IdP key `kid` for `alg`; refuses (SIGNATURE) when there is none."""
    keys = cache.get(_cache_key("keys"))
    if keys is None:
        keys = _jwks_fetch()
    key = _match(keys, kid=kid, alg=alg)
    # cache.add is atomic: one refetch per interval, however many requests ask.
    if key is None and cache.add(_cache_key("refetched"), 1, _REFETCH_INTERVAL_SECONDS):
        key = _match(_jwks_fetch(), kid=kid, alg=alg)
    if key is None:
        raise StaffSsoRefusedError(errors.SIGNATURE)
    return key
