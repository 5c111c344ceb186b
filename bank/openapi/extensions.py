"""drf-spectacular extensions: the bank's two ways of authenticating a CDR call.

OpenAPI 3.0 (the dialect of the official CDR files, kept here so that both documents compare
like for like) has no mutual-TLS security scheme; 3.1 added `mutualTLS`. So each scheme is
the OAuth 2.0 flow that issues the token, and its description says that the token is bound
to the client certificate (RFC 8705) and only counts on an mTLS connection presenting it; the
operations that need it are served by the mTLS listener only (their `servers`, hooks.py).
Imported by OpenApiConfig.ready().
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.settings import oauth2_settings

from security import scopes

CUSTOMER_SCHEME = "cdrCustomerToken"
REGISTER_SCHEME = "cdrRegisterToken"

#: The admin scopes the Register's token carries (standards/_scopes.md.erb).
ADMIN_SCOPES = {
    "admin:metrics.basic:read": "Get Metrics (the CDR Register only)",
    "admin:metadata:update": "Metadata Update (the CDR Register only)",
}


def _public(path: str) -> str:
    return f"{settings.BANK_PUBLIC_BASE_URL}{path}"


def _mtls(path: str) -> str:
    return f"{settings.BANK_MTLS_BASE_URL or settings.BANK_PUBLIC_BASE_URL}{path}"


class CustomerTokenScheme(OpenApiAuthenticationExtension):
    """security.authentication.CdrTokenAuthentication: the customer's access token."""

    target_class = "security.authentication.CdrTokenAuthentication"
    name = CUSTOMER_SCHEME
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        descriptions: dict[str, str] = oauth2_settings.SCOPES
        return {
            "type": "oauth2",
            "description": (
                "The access token of a consumer data sharing arrangement, sent as "
                "`Authorization: Bearer` only (never in the URL or body). Obtained with FAPI "
                "1.0 Advanced as the CDR profiles it: pushed authorization request (`/par`, "
                "private_key_jwt, PKCE S256), `/authorize` on the public listener, JARM "
                "response, `/token` over mTLS. The token is bound to the data recipient's "
                "client certificate (RFC 8705): the call must be made over mutual TLS with "
                "that certificate, to the mTLS base URL. Each operation names the one scope "
                "it needs; a token without it gets 403 Authorisation/InvalidConsent."
            ),
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": _public("/authorize"),
                    "tokenUrl": _mtls("/token"),
                    "refreshUrl": _mtls("/token"),
                    "scopes": {scope: descriptions[scope]
                               for scope in sorted(scopes.CDR_DATA_SCOPES)},
                },
            },
        }


class RegisterTokenScheme(OpenApiAuthenticationExtension):
    """bank.metrics.api.authentication.RegisterTokenAuthentication: the CDR Register's token."""

    target_class = "bank.metrics.api.authentication.RegisterTokenAuthentication"
    name = REGISTER_SCHEME
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "description": (
                "The CDR Register's access token (client credentials, private_key_jwt), bound "
                "to the Register's client certificate (RFC 8705) and carrying admin scopes "
                "only: the admin endpoints answer the Register and nobody else."
            ),
            "flows": {"clientCredentials": {"tokenUrl": _mtls("/token"), "scopes": ADMIN_SCOPES}},
        }
