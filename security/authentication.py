"""Authentication of CDR resource calls: a DOT bearer token, then the access context.

DOT validates the token (RFC 6750 header only, digest lookup, expiry). This class then reads
the FAPI headers and resolves the token into the `request.cdr` AccessContext, so a view runs
only for a live token, a current arrangement and an active software product.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.request import Request

from security.consent.access import access_context_resolve
from security.fapi_headers import fapi_headers_parse
from security.mtls import presented_certificate_thumbprint


class CdrTokenAuthentication(OAuth2Authentication):
    www_authenticate_realm = "cdr"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        fapi = fapi_headers_parse(request.headers)
        context = access_context_resolve(
            token=token,
            customer_present=fapi.customer_present,
            presented_thumbprint=presented_certificate_thumbprint(request._request.META),
        )
        request.cdr = context  # type: ignore[attr-defined]
        # The Django request carries it too, for middleware (request log, metrics, limits).
        request._request.cdr = context  # type: ignore[attr-defined]
        return user, token
