"""Middleware owned by security: the interaction id on every request and response, and the
split of endpoints between the public and the mTLS listener."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from security import listeners
from security.interaction import (
    HEADER,
    bind_interaction_id,
    bind_principal_scope,
    new_interaction_id,
    parse_interaction_id,
    reset_interaction_id,
    reset_principal,
)

logger = logging.getLogger(__name__)


class InteractionIdMiddleware:
    """Accept a valid client id or generate one; bind it to logs; echo it on the response.

    A malformed client id is replaced by a fresh one and remembered on the request, so the
    CDR API can answer 400 Header/Invalid (bank.api.views) while non-API pages still work.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.headers.get(HEADER)
        parsed = parse_interaction_id(raw)
        request.interaction_id_invalid = raw is not None and parsed is None  # type: ignore[attr-defined]
        interaction_id = parsed or new_interaction_id()
        request.interaction_id = interaction_id  # type: ignore[attr-defined]
        token = bind_interaction_id(interaction_id)
        principal = bind_principal_scope()
        try:
            response = self.get_response(request)
        finally:
            reset_principal(principal)
            reset_interaction_id(token)
        response[HEADER] = interaction_id
        return response


class ListenerMiddleware:
    """An endpoint exists only on its own listener (security/listeners.py); elsewhere, 404.

    Runs before sessions, CSRF and the views, so a misrouted request touches nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not listeners.served_here(request.META, request.path_info):
            from bank.api.views import handler404

            return handler404(request)
        return self.get_response(request)


class RequestSizeMiddleware:
    """413 for a body declared larger than BANK_MAX_REQUEST_BYTES, before anything reads it.

    A body without Content-Length (chunked) is bounded by Django itself when it is read
    (DATA_UPLOAD_MAX_MEMORY_SIZE: RequestDataTooBig, answered 413 by the CDR API).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.BANK_MAX_REQUEST_BYTES
        if not declared.isdigit() or int(declared) > limit:
            detail = f"The request body must be at most {limit} bytes."
            if request.path_info.startswith("/cds-au/"):
                from bank.api.errors import PayloadTooLargeError
                from bank.api.exception_handler import cdr_error_response

                return cdr_error_response(PayloadTooLargeError(detail))
            return JsonResponse({"error": "invalid_request", "error_description": detail},
                                status=413)
        return self.get_response(request)


class AuditSealMiddleware:
    """After a request that wrote audit events, seal them into the chain at once.

    Outside the view's transaction (ATOMIC_REQUESTS wraps the view only), so what is sealed is
    what committed, and refusals the rollback took are written again first (security/audit.py).
    A failure here never fails the response: the minute job seals later, and every event is
    also in the log.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from security.audit import audit_request_end, audit_request_scope
        from security.audit_chain import audit_seal

        token = audit_request_scope()
        wrote = False
        try:
            response = self.get_response(request)
        finally:
            try:
                wrote = audit_request_end(token)
            except Exception:
                logger.exception("Writing back the audit events of a refused request failed")
        if wrote:
            try:
                audit_seal()
            except Exception:
                logger.exception("Sealing the audit chain after a request failed")
        return response
