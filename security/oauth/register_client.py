"""The CDR Register as a client of the token endpoint (CDS security/_client_authentication.md).

The Register calls the admin endpoints (metrics, metadata update) with a client-credentials
token. It authenticates with private_key_jwt like any client, but it is not registered by
DCR: its client_id is BANK_REGISTER_CLIENT_ID ("cdr-register") and its keys are the Register's
JWKS (BANK_REGISTER_JWKS_URI). It may ask for the admin scopes only, never a CDR data scope
or cdr:registration (CDS: admin scopes never share a token with data scopes). Its token is
bound to the certificate it presented, like every other.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from oauth2_provider.models import Application

from security import audit
from security.oauth.client_auth import assertion_and_client_id, consume_jti
from security.oauth.dcr import register_jwks
from security.oauth.endpoints import endpoint_urls, issuer
from security.oauth.errors import InvalidClient, InvalidScope, OAuthError
from security.oauth.jose import JoseError, keyset, verify
from security.oauth.models import ClientTokenBinding

ADMIN_SCOPES = frozenset({"admin:metrics.basic:read", "admin:metadata:update"})
REGISTER_TOKEN_ISSUED = "REGISTER_TOKEN_ISSUED"  # noqa: S105 - an event name


def is_register_assertion(form: Any) -> bool:
    """Whether a token request's client assertion claims to come from the Register."""
    try:
        _, client_id = assertion_and_client_id(form)
    except OAuthError:
        return False
    return client_id == settings.BANK_REGISTER_CLIENT_ID


def register_token_issue(*, form: Any, presented_thumbprint: str | None) -> Any:
    from security.oauth import tokens

    assertion, client_id = assertion_and_client_id(form)
    if form.get("grant_type") != "client_credentials":
        raise InvalidClient("The Register may only use client_credentials.")
    claims = None
    for refresh in (False, True):
        try:
            claims = verify(
                assertion, keys=keyset(register_jwks(refresh=refresh)), issuer=client_id,
                audience={issuer(), *endpoint_urls("token_endpoint")},
                required=("exp", "jti", "iss", "sub", "aud"),
            )
            break
        except JoseError:
            continue
    if claims is None or claims.get("sub") != client_id:
        raise InvalidClient("The client assertion is not valid.")
    if claims["exp"] - time.time() > 10 * 60:
        raise InvalidClient("The client assertion expires too far in the future.")
    consume_jti(client_id, claims)
    requested = frozenset((form.get("scope") or "").split())
    if not requested or not requested <= ADMIN_SCOPES:
        raise InvalidScope("The Register may ask for admin scopes only.")
    thumbprint = tokens.certificate_binding_thumbprint(presented_thumbprint=presented_thumbprint)
    application, _ = Application.objects.get_or_create(
        client_id=client_id,
        defaults={"name": "CDR Register", "client_type": Application.CLIENT_CONFIDENTIAL,
                  "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
                  "redirect_uris": "", "algorithm": ""},
    )
    scope = " ".join(sorted(requested))
    issued = tokens.access_token_create(
        application_id=application.pk, user=None, scope=scope,
        lifetime=tokens.access_token_lifetime(),
    )
    ClientTokenBinding.objects.create(access_token=issued.row, certificate_thumbprint=thumbprint)
    audit.audit_record(
        actor=audit.Actor(audit.ActorType.CLIENT, client_id), event_type=REGISTER_TOKEN_ISSUED,
        subject_type="client", subject_id=client_id, detail={"scope": sorted(requested)},
    )
    return tokens.TokenResponse(access_token=issued.raw, expires_in=issued.expires_in, scope=scope)
