"""Authentication of CDR resource calls: a DOT bearer token, then the access context.

DOT validates the token (digest lookup, expiry, application usable). The token is read from
the `Authorization: Bearer` header only (RFC 6750 §2.1): the body is never parsed to look for
one, so an unauthenticated POST costs no parsing and gets its 401 before any 400/415.
This class then reads the FAPI headers and resolves the token into the `request.cdr`
AccessContext, so a view runs only for a live token, a current arrangement and an active
software product.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from rest_framework.request import Request

from bank.queries import unique_row
from security.consent.access import access_context_resolve
from security.crypto import token_digest
from security.dashboard.usage import arrangement_usage_record
from security.fapi_headers import fapi_headers_parse
from security.interaction import principal_bind
from security.mtls import presented_certificate_thumbprint
from security.refusals import bearer_token, token_rejection_explain


class _HeaderOnlyCore(OAuthLibCore):
    def extract_body(self, request: Any) -> list[tuple[str, str]]:
        return []


class _ResourceTokenValidator(OAuth2Validator):
    """DOT's bearer-token check, with the token loaded the way a resource call needs it.

    DOT loads the token with `.first()`, an ORDER BY this wide select pays for and its unique
    checksum does not need (bank/queries.py). And the access context reads the token's
    binding, its arrangement, software product and recipient next: selected here, they come
    in the same query instead of a second one.
    """

    def _load_access_token(self, token: str) -> Any:
        return unique_row(get_access_token_model().objects.select_related(
            "application", "user", "binding__arrangement__software_product__recipient"
        ).filter(token_checksum=token_digest(token)))


@cache
def _resource_core() -> _HeaderOnlyCore:
    validator = _ResourceTokenValidator()
    server = oauth2_settings.OAUTH2_SERVER_CLASS(validator, **oauth2_settings.server_kwargs)
    return _HeaderOnlyCore(server)


class CdrTokenAuthentication(OAuth2Authentication):
    www_authenticate_realm = "cdr"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        valid, oauth_request = _resource_core().verify_request(request._request, scopes=[])
        if not valid:
            request.oauth2_error = getattr(oauth_request, "oauth2_error", {})  # type: ignore[attr-defined]
            raw = bearer_token(request._request)
            if raw is not None:
                # Why, for the audit trail (security/refusals.py): revoked, expired, unknown.
                request._request.token_rejection = token_rejection_explain(raw)  # type: ignore[attr-defined]
            return None
        user, token = oauth_request.user, oauth_request.access_token
        fapi = fapi_headers_parse(request.headers)
        context = access_context_resolve(
            token=token,
            customer_present=fapi.customer_present,
            presented_thumbprint=presented_certificate_thumbprint(request._request.META),
        )
        principal_bind(client=context.software_product_id, customer_id=context.customer_id)
        # For the customer's dashboard; at most one write a minute (security/dashboard/usage.py).
        arrangement_usage_record(arrangement_pk=context.arrangement_pk)
        request.cdr = context  # type: ignore[attr-defined]
        # The Django request carries it too, for middleware (request log, metrics, limits).
        request._request.cdr = context  # type: ignore[attr-defined]
        return user, token
