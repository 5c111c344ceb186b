"""Client authentication with private_key_jwt (RFC 7523 §2.2, OIDC Core §9), the only method.

Used by PAR, token, introspection, revocation and arrangement revocation. The assertion must:
- come as `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
  with `client_assertion`; no client secret, no HTTP Basic, no other method;
- be signed PS256/ES256 by a key in the client's registered JWKS;
- have `iss` = `sub` = the client_id (and `client_id`, if sent, the same);
- have an `aud` naming the issuer or the endpoint called (FAPI 1.0 Adv; CDR allows both);
- have `exp` (at most 10 minutes ahead) and a `jti` never seen before for this client
  (single use, stored in the database so every worker shares it).
Any failure is `invalid_client` (RFC 6749 §5.2), with a description of the rule, not the data.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from bank.queries import unique_row
from security.interaction import principal_bind
from security.mtls import presented_certificate_thumbprint
from security.oauth.client_jwks import registration_jwks
from security.oauth.endpoints import endpoint_urls, issuer
from security.oauth.errors import InvalidClient
from security.oauth.jose import (
    ALLOWED_ALGS,
    JoseError,
    keyset,
    unverified_header_and_claims,
    verify,
)
from security.oauth.models import ClientRegistration, UsedClientAssertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 10 * 60


def assertion_and_client_id(form: Any) -> tuple[str, str]:
    """The client assertion of a form and the client it claims to be (not yet verified).

    Shared with the mock Register's token endpoint, which authenticates the same way.
    """
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        raise InvalidClient("A private_key_jwt client assertion is required.")
    assertion = form["client_assertion"]
    try:
        _, unverified = unverified_header_and_claims(assertion)
    except JoseError as exc:
        raise InvalidClient("The client assertion is not a JWT.") from exc
    client_id = unverified.get("iss")
    if not isinstance(client_id, str) or not client_id:
        raise InvalidClient("The client assertion has no iss.")
    if form.get("client_id") not in (None, client_id):
        raise InvalidClient("client_id does not match the client assertion.")
    return assertion, client_id


def client_authenticate_transport(request: Any) -> None:
    """mTLS where required, and no credentials other than a client assertion."""
    if settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS and not presented_certificate_thumbprint(
        request.META
    ):
        # CDS: PAR, token, introspection and revocation are mTLS endpoints; a recipient
        # always presents its certificate (RFC 8705 binds the tokens to it).
        raise InvalidClient("A client certificate is required (mTLS).")
    if "HTTP_AUTHORIZATION" in request.META or "client_secret" in request.POST:
        raise InvalidClient("Only private_key_jwt client authentication is supported.")


def client_authenticate(request: Any, *, endpoint: str) -> ClientRegistration:
    """The registration of the client that signed this request's assertion."""
    client_authenticate_transport(request)
    post = request.POST
    assertion, client_id = assertion_and_client_id(post)
    registration = unique_row(  # one registration per application
        ClientRegistration.objects.select_related("application", "software_product__recipient")
        .filter(application__client_id=client_id, status=ClientRegistration.Status.ACTIVE)
    )
    if registration is None:
        raise InvalidClient("Unknown client.")
    claims = _verified(assertion, registration, endpoint_urls(endpoint))
    if claims.get("sub") != client_id:
        raise InvalidClient("The client assertion's sub is not the client_id.")
    consume_jti(client_id, claims)
    # From here every log line and audit event of the request names the client.
    principal_bind(client=registration.software_product.software_product_id)
    return registration


def _verified(
    assertion: str, registration: ClientRegistration, endpoints: set[str]
) -> dict[str, Any]:
    # CDS client authentication: the issuer, the token endpoint URL or the endpoint invoked.
    audience = {issuer(), *endpoint_urls("token_endpoint"), *endpoints}
    last_error: JoseError | None = None
    for refresh in (False, True):
        try:
            keys = keyset(registration_jwks(registration, refresh=refresh))
            return verify(
                assertion, keys=keys, issuer=registration.client_id, audience=audience,
                required=("exp", "jti", "iss", "sub", "aud"), algs=_registered_algs(registration),
            )
        except JoseError as exc:
            last_error = exc
            if "kid" not in str(exc) and "signature" not in str(exc):
                break  # a claims problem: a fresh JWKS would not change it
    raise InvalidClient(f"The client assertion is not valid: {last_error}.")


def _registered_algs(registration: ClientRegistration) -> frozenset[str]:
    """OIDC DCR §2: assertions must use the registered token_endpoint_auth_signing_alg."""
    registered = (registration.metadata or {}).get("token_endpoint_auth_signing_alg")
    return frozenset({registered}) if registered in ALLOWED_ALGS else ALLOWED_ALGS


def consume_jti(client_id: str, claims: dict[str, Any]) -> None:
    jti, exp = claims.get("jti"), claims["exp"]
    if not isinstance(jti, str) or not 1 <= len(jti) <= 200:
        raise InvalidClient("The client assertion's jti is missing or too long.")
    if exp - time.time() > MAX_ASSERTION_LIFETIME:
        raise InvalidClient("The client assertion expires too far in the future.")
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.create(
                client_id=client_id, jti=jti, expires_at=datetime.fromtimestamp(exp, UTC)
            )
    except IntegrityError:
        raise InvalidClient("The client assertion has been used before.") from None
