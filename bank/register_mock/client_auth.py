"""The mock Register's token endpoint logic: client credentials with private_key_jwt.

CDS security/_client_authentication.md, "Data Recipients calling the CDR Register":
`grant_type=client_credentials`, `scope=cdr-register:read`, and a client assertion (RFC 7523
§2.2) with iss = sub = the software product ID, aud = the Register's token endpoint, a
single-use jti and exp. The assertion is verified against the product's registered
`jwks_uri`, fetched the way the bank fetches client JWKS. The token is opaque; only its SHA-256
digest is stored (RFC 9700 §4.14-style storage, as the bank stores its own).

Simplification: the real Register binds its tokens to the client certificate (mTLS); the
mock serves HTTP and issues plain bearer tokens. The Register's deprecated "brand ID as
client_id" is not supported: the SSA endpoint needs the token's software product.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from bank.register_mock.models import (
    RegisterAccessToken,
    RegisterSoftwareProduct,
    RegisterUsedAssertion,
)
from security.crypto import token_digest
from security.oauth.client_auth import assertion_and_client_id
from security.oauth.client_jwks import fetch_jwks
from security.oauth.errors import (
    InvalidClient,
    InvalidScope,
    InvalidToken,
    UnsupportedGrantType,
)
from security.oauth.jose import JoseError, keyset, verify

REGISTER_SCOPE = "cdr-register:read"
# `openid` appears in the spec's example response; anything else is not the Register's.
_ACCEPTED_SCOPES = frozenset({REGISTER_SCOPE, "openid"})
TOKEN_LIFETIME = timedelta(minutes=5)
MAX_ASSERTION_LIFETIME = 10 * 60


_digest = token_digest


def register_client_authenticate(
    form: Any, *, token_endpoints: Iterable[str]
) -> RegisterSoftwareProduct:
    """The software product whose key signed this token request's client assertion."""
    assertion, client_id = assertion_and_client_id(form)
    product = RegisterSoftwareProduct.objects.filter(software_product_id=client_id).first()
    if product is None:
        raise InvalidClient("Unknown client.")
    try:
        claims = verify(
            # The mock stands in for the CDR Register, outside the bank: no address rule.
            assertion, keys=keyset(fetch_jwks(product.jwks_uri, configured=True)),
            issuer=client_id,
            audience=set(token_endpoints), required=("iss", "sub", "aud", "exp", "jti"),
        )
    except JoseError as exc:
        raise InvalidClient(f"The client assertion is not valid: {exc}.") from exc
    if claims.get("sub") != client_id:
        raise InvalidClient("The client assertion's sub is not the client_id.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 200:
        raise InvalidClient("The client assertion's jti is missing or too long.")
    if claims["exp"] - time.time() > MAX_ASSERTION_LIFETIME:
        raise InvalidClient("The client assertion expires too far in the future.")
    try:
        with transaction.atomic():
            RegisterUsedAssertion.objects.create(
                client_id=client_id, jti=jti,
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
    except IntegrityError:
        raise InvalidClient("The client assertion has been used before.") from None
    return product


def register_token_issue(
    *, product: RegisterSoftwareProduct, grant_type: str | None, scope: str | None
) -> tuple[str, RegisterAccessToken]:
    """(raw token, stored row). Only client_credentials and cdr-register:read exist here."""
    if grant_type != "client_credentials":
        raise UnsupportedGrantType("Only client_credentials is supported.")
    requested = set((scope or "").split())
    if REGISTER_SCOPE not in requested or not requested <= _ACCEPTED_SCOPES:
        raise InvalidScope(f"scope must be {REGISTER_SCOPE}.")
    raw = secrets.token_urlsafe(32)
    row = RegisterAccessToken.objects.create(
        digest=_digest(raw), software_product=product, scope=REGISTER_SCOPE,
        expires_at=timezone.now() + TOKEN_LIFETIME,
    )
    return raw, row


def register_token_resolve(authorization: str | None) -> RegisterAccessToken:
    """The live token of an `Authorization: Bearer` header (RFC 6750 §2.1), or InvalidToken."""
    scheme, _, raw = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise InvalidToken("A bearer token is required.")
    token = (
        RegisterAccessToken.objects.select_related("software_product__brand__legal_entity")
        .filter(digest=_digest(raw.strip()))
        .first()
    )
    if token is None or token.expires_at <= timezone.now():
        raise InvalidToken("The access token is invalid or expired.")
    if REGISTER_SCOPE not in token.scope.split():
        raise InvalidToken("The access token does not carry cdr-register:read.")
    return token
