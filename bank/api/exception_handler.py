"""The only place an exception becomes a response body (STYLE.md §5-6).

Known Django and DRF exceptions are first translated into CdrErrors; DRF's default handler
then builds the response (it calls set_rollback() and sets WWW-Authenticate / Retry-After),
and we reshape its body into the CDS error payload `{"errors": [ErrorV2]}`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from bank.api import errors

logger = logging.getLogger("bank.api")


def to_cdr_error(exc: Exception) -> errors.CdrError:
    """Translate any exception into the CdrError the caller will see."""
    if isinstance(exc, errors.CdrError):
        return exc
    if isinstance(exc, Http404):
        # Views raise the specific error for an unknown ID (Resource/Invalid, InvalidBanking-
        # Account...); an Http404 means the URL itself is not ours.
        return errors.ResourceNotFoundError()
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return errors.NotAuthenticatedError(headers=_auth_headers(exc))
    if isinstance(exc, PermissionDenied | drf.PermissionDenied):
        return errors.ForbiddenError()
    if isinstance(exc, drf.MethodNotAllowed):
        return errors.MethodNotAllowedError("This method is not supported on this resource.")
    if isinstance(exc, drf.NotAcceptable):
        return errors.NotAcceptableError("Accept")
    if isinstance(exc, drf.UnsupportedMediaType):
        return errors.UnsupportedMediaTypeError("Content-Type must be application/json.")
    if isinstance(exc, drf.Throttled):
        wait = max(1, int(getattr(exc, "wait", None) or 1))
        return errors.TooManyRequestsError(
            "Too many requests.", headers={"Retry-After": str(wait)}
        )
    if isinstance(exc, drf.ParseError):
        return errors.InvalidFieldError("The request body is not valid JSON.")
    if isinstance(exc, drf.ValidationError):
        return errors.InvalidFieldError(_first_field(exc.detail))
    if isinstance(exc, DjangoValidationError):
        return errors.InvalidFieldError(_first_field(getattr(exc, "message_dict", None)))
    if isinstance(exc, RequestDataTooBig):
        return errors.PayloadTooLargeError("The request body is too large.")
    if isinstance(exc, SuspiciousOperation):
        # Too many fields, a bad Host, a malformed multipart: the caller's fault, not ours.
        logger.warning("Suspicious request refused: %s", type(exc).__name__)
        return errors.ExpectedError("The request was refused.")
    if isinstance(exc, drf.APIException) and exc.status_code < 500:
        error = errors.ExpectedError(str(exc.detail) if isinstance(exc.detail, str) else None)
        error.status_code = exc.status_code
        return error
    # Only a bug reaches this line: log type and traceback (for the interaction id), 500 out.
    logger.exception("Unhandled %s while serving a CDR request", type(exc).__name__)
    return errors.UnexpectedError()


def cdr_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every API error leaves through here."""
    error = to_cdr_error(exc)
    response = drf_exception_handler(error, context)
    if response is None:  # not reachable for an APIException; fail closed anyway
        response = Response(status=500)
    response.data = {"errors": [error.as_error_object()]}
    for name, value in error.headers.items():
        response[name] = value
    _refusal_audit(error, context)
    return response


def _refusal_audit(error: errors.CdrError, context: dict[str, Any]) -> None:
    from security.refusals import refusal_audit

    request = context.get("request")
    view = context.get("view")
    try:
        refusal_audit(getattr(request, "_request", request), error,
                      view_kwargs=dict(context.get("kwargs") or {}),
                      endpoint=type(view).__name__ if view is not None else "")
    except Exception:
        # The caller is refused either way; a failed audit write is an operations alarm.
        logger.exception("Auditing a refused request failed")


def cdr_error_response(error: errors.CdrError) -> HttpResponse:
    """The same body for errors raised outside DRF (Django's handler404/500, middleware)."""
    response = JsonResponse({"errors": [error.as_error_object()]}, status=error.status_code)
    for name, value in error.headers.items():
        response[name] = value
    return response


def _auth_headers(exc: drf.APIException) -> dict[str, str]:
    # DRF's handle_exception puts the authenticator's challenge on `auth_header` (RFC 6750
    # §3: realm and, for a bad token, error="invalid_token"); keep a safe default.
    return {"WWW-Authenticate": getattr(exc, "auth_header", None) or 'Bearer realm="cdr"'}


def _first_field(detail: Any) -> str:
    """The name of the first offending field, as CDS wants in `detail`."""
    if isinstance(detail, dict) and detail:
        return str(next(iter(detail)))
    return "request"
