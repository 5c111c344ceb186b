"""The CDR Register's authentication at the admin endpoints (security/_client_authentication.md).

CDS 1.36.0, "CDR Register calling Data Holders": holders MUST support either private_key_jwt
(`client_credentials`, then a bearer access token) or the Register's self-signed JWT; they
SHOULD support private_key_jwt and MAY support the self-signed JWT. Only private_key_jwt is
implemented: it is the method 1.36.0 recommends, the token endpoint already authenticates
the Register that way (security/oauth/register_client.py), and the self-signed JWT would be
a second, single-use-`jti` credential check to keep secure for no gain. The holder tells the
Register which method it uses at onboarding, so the Register never sends us the other.

With private_key_jwt the holder MUST validate the scope (getMetrics description): the view
names it in `required_scopes` and `security.permissions.HasCdrScope` checks it, as for every
CDR endpoint. The Register's token is certificate-bound (RFC 8705) and only counts on the
connection that presents that certificate.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.request import Request

from bank.api import errors
from security.authentication import CdrTokenAuthentication, _resource_core
from security.mtls import presented_certificate_thumbprint
from security.oauth.register_client import ADMIN_SCOPES


@dataclass(frozen=True, slots=True)
class RegisterContext:
    """What the Register's token may do here: the admin scopes it carries."""

    scopes: frozenset[str]
    certificate_thumbprint: str

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def register_access_resolve(*, token: Any, presented_thumbprint: str | None) -> RegisterContext:
    """The context of a valid DOT token, if it is the Register's and on its certificate.

    A token of anyone else (a recipient's data or registration token) is valid but grants
    nothing here: 403 Authorisation/InvalidConsent, as the resource API answers a token that
    is not for an arrangement. A certificate mismatch is a 401, as for any unusable token.
    """
    application = token.application
    if application is None or application.client_id != settings.BANK_REGISTER_CLIENT_ID:
        raise errors.InvalidConsentError(
            "The access token is not the CDR Register's.", reason="not_register_token")
    binding = getattr(token, "client_binding", None)
    bound_to = binding.certificate_thumbprint if binding is not None else ""
    if not bound_to:
        if settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS:
            raise errors.NotAuthenticatedError(
                "The access token is not certificate-bound.", reason="unbound")
    elif not (presented_thumbprint and hmac.compare_digest(bound_to, presented_thumbprint)):
        raise errors.NotAuthenticatedError(
            "The access token is bound to a client certificate this connection did not present.",
            reason="certificate")
    # Only admin scopes: the token endpoint never mixes them with data scopes, and a token
    # that somehow did would still grant nothing else here.
    return RegisterContext(scopes=frozenset(token.scope.split()) & ADMIN_SCOPES,
                           certificate_thumbprint=bound_to)


class RegisterTokenAuthentication(CdrTokenAuthentication):
    """DOT's bearer-token validation (the same core as the resource API), then the Register
    checks above. The context goes on the DRF request only, as `request.cdr`, where
    HasCdrScope reads the scopes; the Django request keeps no customer context, so the rate
    limits count the Register by its certificate."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        valid, oauth_request = _resource_core().verify_request(request._request, scopes=[])
        if not valid:
            request.oauth2_error = getattr(oauth_request, "oauth2_error", {})  # type: ignore[attr-defined]
            return None
        token = oauth_request.access_token
        request.cdr = register_access_resolve(  # type: ignore[attr-defined]
            token=token,
            presented_thumbprint=presented_certificate_thumbprint(request._request.META))
        return oauth_request.user, token
