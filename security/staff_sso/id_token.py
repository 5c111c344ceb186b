"""ID token validation for staff SSO (OpenID Connect Core 1.0 §3.1.3.7).

mozilla-django-oidc checks the signature against one algorithm and skips `aud`; this checks
everything the specification asks of a client: the algorithm is one we configured (never
"none" or HS*), the signature, `iss` exactly, `aud` holds our client id, `azp` is ours when
present or when there are several audiences, `exp` / `iat` with a small leeway, `sub`, and
the `nonce` this session sent.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import jwt
from django.conf import settings

from security.staff_sso import errors
from security.staff_sso.config import allowed_algorithms
from security.staff_sso.errors import StaffSsoRefusedError
from security.staff_sso.jwks import idp_signing_key

_REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat"]


def _header(token: Any) -> dict[str, Any]:
    if not isinstance(token, str):
        raise StaffSsoRefusedError(errors.MALFORMED)
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise StaffSsoRefusedError(errors.MALFORMED) from exc


def _decode(token: str, *, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
    try:
        return jwt.decode(
            token, key=key.key, algorithms=[alg], audience=settings.OIDC_RP_CLIENT_ID,
            issuer=settings.BANK_STAFF_OIDC_ISSUER, leeway=settings.BANK_STAFF_OIDC_LEEWAY_SECONDS,
            options={"require": _REQUIRED_CLAIMS, "strict_aud": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise StaffSsoRefusedError(errors.SIGNATURE) from exc
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
        raise StaffSsoRefusedError(errors.EXPIRED) from exc
    except jwt.InvalidAudienceError as exc:
        raise StaffSsoRefusedError(errors.AUDIENCE) from exc
    except jwt.InvalidIssuerError as exc:
        raise StaffSsoRefusedError(errors.ISSUER) from exc
    except jwt.PyJWTError as exc:
        raise StaffSsoRefusedError(errors.CLAIMS) from exc


def _check_azp(claims: dict[str, Any]) -> None:
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # OIDC Core §2: with several audiences, azp must name the party the token was for.
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != settings.OIDC_RP_CLIENT_ID:
        raise StaffSsoRefusedError(errors.AUDIENCE)


def id_token_verify(*, token: Any, expected_nonce: str | None) -> dict[str, Any]:
    """The claims of a valid ID token meant for us and this sign-in; refuses otherwise."""
    header = _header(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed_algorithms():
        raise StaffSsoRefusedError(errors.ALGORITHM)
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise StaffSsoRefusedError(errors.SIGNATURE)
    claims = _decode(token, key=idp_signing_key(kid=kid, alg=alg), alg=alg)
    _check_azp(claims)
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise StaffSsoRefusedError(errors.CLAIMS)
    nonce = claims.get("nonce")
    if (not expected_nonce or not isinstance(nonce, str)
            or not hmac.compare_digest(nonce.encode(), expected_nonce.encode())):
        raise StaffSsoRefusedError(errors.NONCE)
    return claims


def id_token_auth_time(claims: dict[str, Any]) -> int:
    """When the IdP last authenticated the user (OIDC Core §2 `auth_time`), for the step-up
    clock: capped at now; 0 ("long ago") when absent, malformed or later than now plus the
    leeway, so such a sign-in is still a sign-in but never counts as a recent one."""
    auth_time = claims.get("auth_time")
    now = int(time.time())
    if (isinstance(auth_time, bool) or not isinstance(auth_time, int | float)
            or not 0 <= auth_time <= now + settings.BANK_STAFF_OIDC_LEEWAY_SECONDS):  # NaN too
        return 0
    return min(int(auth_time), now)
