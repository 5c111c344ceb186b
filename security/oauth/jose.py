"""JWS signing and strict verification (RFC 7515/7519) for every JWT the bank handles.

FAPI 1.0 Advanced §8.6 allows PS256 and ES256 only; `none`, HS* and RS256 are refused before
any key is looked at. Claims checks follow RFC 7519 §4.1 with FAPI's clock skew
(FAPI-CHECKLIST row 19): `iat`/`nbf` may be up to 10 s in the future, `exp` is required.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from typing import Any

from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from security.oauth.signing_keys import active_key

ALLOWED_ALGS = frozenset({"PS256", "ES256"})
FUTURE_SKEW = 10  # seconds an iat/nbf may be ahead of our clock
EXPIRY_LEEWAY = 5  # seconds an exp may be behind our clock


#: Year 5138: far beyond any real claim, small enough for every datetime conversion.
MAX_TIMESTAMP = 10**11


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


class JoseError(Exception):
    """The JWT is not acceptable; the message says which rule failed (no secrets in it)."""


def sign(claims: dict[str, Any], *, alg: str = "PS256", typ: str | None = None) -> str:
    """A compact JWS (RFC 7515 §7.1) signed by the active key for `alg`.

    Assembled here rather than by jwcrypto because the private key may sit in the HSM: the
    key object only turns the signing input into a signature.
    """
    if alg not in ALLOWED_ALGS:
        raise JoseError(f"alg {alg!r} is not allowed")
    key = active_key(alg)
    header: dict[str, Any] = {"alg": alg, "kid": key.kid}
    if typ:
        header["typ"] = typ
    signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
    return f"{signing_input}.{_b64(key.sign(signing_input.encode('ascii')))}"


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unverified_header_and_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims without checking the signature: only to find which key to use."""
    # RFC 7519 §1: a JWT is the compact serialization; the JSON forms (and their unprotected
    # headers) are refused.
    if not isinstance(token, str) or token.count(".") != 2:
        raise JoseError("not a compact JWS")
    try:
        parsed = jws.JWS()
        parsed.deserialize(token)
        header = parsed.jose_header
        claims = json.loads(parsed.objects["payload"], parse_constant=_no_constants)
    except (JWException, ValueError, KeyError, TypeError) as exc:
        raise JoseError("not a compact JWS") from exc
    if not isinstance(claims, dict) or not isinstance(header, dict):
        raise JoseError("not a JWT")
    return header, claims


def verify(
    token: str,
    *,
    keys: jwk.JWKSet,
    algs: Iterable[str] = ALLOWED_ALGS,
    issuer: str | None = None,
    audience: Iterable[str] | None = None,
    max_lifetime: int | None = None,
    required: Iterable[str] = ("exp",),
    now: float | None = None,
) -> dict[str, Any]:
    """Verified claims of `token`, or JoseError.

    `audience`: acceptable values; the token's `aud` (string or list) must contain one.
    `max_lifetime`: seconds allowed between `nbf`/`iat` and `exp`.
    """
    header, claims = unverified_header_and_claims(token)
    alg = header.get("alg")
    if alg not in set(algs) or alg not in ALLOWED_ALGS:
        raise JoseError(f"alg {alg!r} is not allowed")
    if "crit" in header:
        raise JoseError("critical header parameters are not supported")
    if "jku" in header or "x5u" in header or "jwk" in header:
        raise JoseError("keys are never taken from the JWT header")
    kid = header.get("kid")
    candidates = [k for k in keys["keys"] if kid is None or k.get("kid") == kid]
    if not candidates:
        raise JoseError("no key with this kid")
    for key in candidates:
        if key.get("alg") not in (None, alg):
            continue
        try:
            parsed = jws.JWS()
            parsed.deserialize(token)
            parsed.verify(key, alg=alg)
            break
        except (JWException, ValueError, TypeError):
            continue
    else:
        raise JoseError("signature does not verify")

    now = time.time() if now is None else now
    for name in required:
        if name not in claims:
            raise JoseError(f"{name} is required")
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if name in claims and (
            not isinstance(value, int | float) or isinstance(value, bool)
            or not 0 <= value < MAX_TIMESTAMP
        ):
            raise JoseError(f"{name} is not a valid NumericDate")
    if "exp" in claims and claims["exp"] + EXPIRY_LEEWAY < now:
        raise JoseError("expired")
    for name in ("nbf", "iat"):
        if name in claims and claims[name] > now + FUTURE_SKEW:
            raise JoseError(f"{name} is in the future")
    if max_lifetime is not None and "exp" in claims:
        start = claims.get("nbf", claims.get("iat"))
        if start is None or claims["exp"] - start > max_lifetime:
            raise JoseError("lifetime too long")
    if issuer is not None and claims.get("iss") != issuer:
        raise JoseError("wrong iss")
    if audience is not None:
        aud = claims.get("aud")
        values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not set(audience) & {v for v in values if isinstance(v, str)}:
            raise JoseError("wrong aud")
    return claims


def keyset(jwks: dict[str, Any]) -> jwk.JWKSet:
    """A JWKSet from a JWKS document, refusing private key material and symmetric keys."""
    try:
        keys = jwk.JWKSet.from_json(json.dumps(jwks))
    except (JWException, ValueError, TypeError) as exc:
        raise JoseError("not a JWKS") from exc
    for key in keys["keys"]:
        if key.get("kty") == "oct":
            raise JoseError("symmetric keys are not accepted")
        if key.has_private:
            raise JoseError("a JWKS must not contain private keys")
        # FAPI 1.0 Adv / FAPI 2.0 5.4.1: RSA keys of 2048 bits or more; ES256 means P-256.
        if key.get("kty") == "RSA" and _rsa_bits(key) < MIN_RSA_BITS:
            raise JoseError("RSA keys must be 2048 bits or more")
        if key.get("kty") == "EC" and key.get("crv") != "P-256":
            raise JoseError("EC keys must be on P-256")
    return keys


MIN_RSA_BITS = 2048


def _rsa_bits(key: jwk.JWK) -> int:
    n = str(key.get("n", ""))
    return len(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)).lstrip(b"\x00")) * 8
