"""OAuth 2.0 error responses (RFC 6749 §5.2): `{"error": ..., "error_description": ...}`.

The authorization server's endpoints answer in OAuth's format, not the CDS one: recipients'
OAuth libraries parse these. `error_description` names the rule broken, never a secret.
"""

from __future__ import annotations

from typing import ClassVar

from django.http import JsonResponse


class OAuthError(Exception):
    error: ClassVar[str] = "invalid_request"
    status: ClassVar[int] = 400

    def __init__(self, description: str = "", *, reason: str = "") -> None:
        super().__init__(description)
        self.description = description
        #: Why, for the audit trail only (never in the response).
        self.reason = reason

    def response(self) -> JsonResponse:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        response = JsonResponse(body, status=self.status)
        response["Cache-Control"] = "no-store"
        if self.status == 401:
            response["WWW-Authenticate"] = f'Bearer realm="cdr", error="{self.error}"'
        return response


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: client authentication failed."""

    error = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidRequestObject(OAuthError):
    """OIDC Core §6.6 / RFC 9101 §6.2."""

    error = "invalid_request_object"


class InvalidRequestUri(OAuthError):
    error = "invalid_request_uri"


class InvalidToken(OAuthError):
    error = "invalid_token"
    status = 401


class InsufficientScope(OAuthError):
    """RFC 6750 §3.1: the token is valid but lacks a scope the resource needs."""

    error = "insufficient_scope"
    status = 403


class AccessDenied(OAuthError):
    error = "access_denied"
    status = 403
