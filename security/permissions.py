"""Scope per endpoint (SUMMARY.md scope table): a view lists `required_scopes`.

A token without the scope is refused with 403 Authorisation/InvalidConsent: the consent is
"insufficient to execute the resource" (standards/_errors.md). The 1.36.0 error list has no
InvalidScope code, so none is invented.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from bank.api import errors


class HasCdrScope(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        required: tuple[str, ...] = tuple(getattr(view, "required_scopes", ()))
        if not required:
            # Fail closed: an authenticated endpoint that forgot to say what it needs.
            raise errors.InvalidConsentError("This endpoint declares no scope.")
        context = getattr(request, "cdr", None)
        if context is None:
            if "Authorization" in request.headers:
                raise errors.NotAuthenticatedError()  # challenge with error="invalid_token"
            # RFC 6750 §3.1: no credentials at all -> the challenge names no error.
            raise errors.NotAuthenticatedError(headers={"WWW-Authenticate": 'Bearer realm="cdr"'})
        missing = [scope for scope in required if not context.has_scope(scope)]
        if missing:
            raise errors.InvalidConsentError(
                f"The consent does not include {missing[0]}.", reason="scope")
        return True
