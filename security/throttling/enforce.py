"""Where requests meet the limiter: the CDR API (BaseCdrApi calls `resource_call_limit`)
and RateLimitMiddleware (every other limited endpoint, by URL name, and the audit).

Over a limit: 429 with `Retry-After` (whole seconds until the limit has room) and the body of
the endpoint's family: the CDR error on /cds-au/, OAuth's JSON error on the authorization
server, a plain page on the customer's pages. Every refusal is logged; the first refusal of
a limit for one caller in a minute is also audited (RATE_LIMIT_EXCEEDED), after the request,
outside its transaction, so a flood of refused calls cannot become a flood of writes.

The limiter unreachable (Redis down): authenticated traffic and the staff login are refused,
503 with a Retry-After, and logged at ERROR ("fail closed"); public pages and the customer's
login stay up, each call logged, since the login's lock-outs in the database still hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from security.client_ip import client_ip
from security.mtls import presented_certificate_thumbprint
from security.throttling.limits import Limit
from security.throttling.policy import (
    UNAUTHENTICATED,
    Operation,
    endpoint_buckets,
    resource_buckets,
)
from security.throttling.selectors import rate_limit_overrides_for
from security.throttling.store import Bucket, Decision, LimiterUnavailable, store

logger = logging.getLogger("bank.throttling")

RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
#: How long to ask a caller to wait while the limiter itself is unreachable.
UNAVAILABLE_RETRY_AFTER = "5"

#: The limited endpoints that are not CDR API views, by URL name; a dict picks by method
#: (None: any other method).
VIEW_OPERATIONS: dict[str, Operation | dict[str | None, Operation]] = {
    "oauth:discovery": Operation.DISCOVERY,
    "oauth:jwks": Operation.DISCOVERY,
    # The OpenAPI document and its pages (bank/openapi): public, so per source like discovery.
    "schema": Operation.DISCOVERY,
    "api-docs": Operation.DISCOVERY,
    "api-redoc": Operation.DISCOVERY,
    "health-live": Operation.HEALTH,
    "health-ready": Operation.HEALTH,
    "oauth:authorize": Operation.AUTHORIZE,
    "consent:login": {"POST": Operation.LOGIN, None: Operation.CONSENT_PAGE},
    "consent:code": {"POST": Operation.OTP, None: Operation.CONSENT_PAGE},
    "consent:accounts": Operation.CONSENT_PAGE,
    "consent:confirm": Operation.CONSENT_PAGE,
    "consent:cancel": Operation.CONSENT_PAGE,
    "dashboard:login": {"POST": Operation.LOGIN, None: Operation.CONSENT_PAGE},
    "dashboard:code": {"POST": Operation.OTP, None: Operation.CONSENT_PAGE},
    "dashboard:arrangements": Operation.CONSENT_PAGE,
    "dashboard:arrangement": Operation.CONSENT_PAGE,
    "dashboard:stop": Operation.CONSENT_PAGE,
    "dashboard:logout": Operation.CONSENT_PAGE,
    "oauth:par": Operation.PAR,
    "oauth:token": Operation.TOKEN,
    "oauth:introspect": Operation.CLIENT_CALL,
    "oauth:userinfo": Operation.CLIENT_CALL,
    "oauth:revoke": Operation.WRITE,
    "oauth:arrangement-revoke": Operation.WRITE,
    "oauth:register": Operation.REGISTRATION,
    "oauth:register-detail": Operation.REGISTRATION,
    "admin:login": {"POST": Operation.STAFF_LOGIN},
    # Staff SSO: each request starts or finishes a sign-in (a token request to the IdP).
    "staff_sso:authenticate": Operation.STAFF_LOGIN,
    "staff_sso:callback": Operation.STAFF_LOGIN,
    "staff_sso:step_up": Operation.STAFF_LOGIN,
}
_HTML = frozenset({Operation.AUTHORIZE, Operation.CONSENT_PAGE, Operation.LOGIN, Operation.OTP,
                   Operation.STAFF_LOGIN})


@dataclass(frozen=True, slots=True)
class Refusal:
    decision: Decision
    operation: Operation
    endpoint: str
    software_product_id: str = ""
    certificate_thumbprint: str = ""


class RateLimited(Exception):
    def __init__(self, decision: Decision) -> None:
        self.decision = decision


class LimiterDown(Exception):
    """The limiter could not answer and this traffic fails closed."""


def _acquire(request: HttpRequest, buckets: list[Bucket], *, operation: Operation,
             endpoint: str, software_product_id: str = "", thumbprint: str | None = None
             ) -> None:
    """Spend `buckets` or raise RateLimited / LimiterDown; fail open for public traffic."""
    try:
        decision = store().acquire(buckets)
    except LimiterUnavailable as exc:
        fails_open = operation in UNAUTHENTICATED
        logger.error(
            "Rate limiter unavailable: %s", "failing open" if fails_open else "failing closed",
            extra={"event": "rate_limit.store_unavailable", "operation": operation.value,
                   "error": str(exc), "fail_closed": not fails_open},
        )
        if fails_open:
            return
        raise LimiterDown from exc
    if not decision.allowed:
        request.rate_limit_refusal = Refusal(  # type: ignore[attr-defined]
            decision, operation, endpoint, software_product_id, thumbprint or "")
        raise RateLimited(decision)


def resource_call_limit(request: HttpRequest, *, operation: Operation, endpoint: str,
                        token: Any) -> None:
    """The limits of one CDR API call, checked once its token (if any) is resolved.

    Raises RateLimited or LimiterDown; BaseCdrApi turns them into CDR errors.
    """
    thumbprint = presented_certificate_thumbprint(request.META)
    source_ip = client_ip(request)
    context = getattr(request, "cdr", None)
    if context is None or operation is Operation.PUBLIC:
        buckets = endpoint_buckets(operation, certificate_thumbprint=thumbprint,
                                   source_ip=source_ip)
        product = ""
    else:
        product = context.software_product_id
        buckets = resource_buckets(
            operation=operation, endpoint=endpoint, context=context, token=token,
            certificate_thumbprint=thumbprint, source_ip=source_ip,
            overrides=rate_limit_overrides_for(product),
        )
    _acquire(request, buckets, operation=operation, endpoint=endpoint,
             software_product_id=product, thumbprint=thumbprint)


def _operation_of(request: HttpRequest) -> Operation | None:
    match = request.resolver_match
    entry = VIEW_OPERATIONS.get(match.view_name) if match else None
    if isinstance(entry, dict):
        return entry.get(request.method) or entry.get(None)
    return entry


def _too_many(request: HttpRequest, operation: Operation, decision: Decision) -> HttpResponse:
    wait = decision.retry_after_header
    if operation in _HTML:
        from django.conf import settings

        response = render(request, "throttling/too_many_requests.html",
                          {"retry_after": int(wait), "brand_name": settings.BANK_BRAND_NAME},
                          status=429)
    else:
        # RFC 6749 has no code for a rate limit; temporarily_unavailable (§4.1.2.1: "due to
        # a temporary overloading") is the nearest, and the status and Retry-After say it.
        response = JsonResponse(
            {"error": "temporarily_unavailable",
             "error_description": f"Too many requests. Retry after {wait} seconds."},
            status=429)
    response["Retry-After"] = wait
    return response


def _limiter_down() -> HttpResponse:
    response = JsonResponse(
        {"error": "temporarily_unavailable",
         "error_description": "The service is temporarily unavailable. Retry shortly."},
        status=503)
    response["Retry-After"] = UNAVAILABLE_RETRY_AFTER
    return response


class RateLimitMiddleware:
    """Limits the endpoints of VIEW_OPERATIONS before their view runs; audits refusals.

    The CDR API's views limit themselves (BaseCdrApi), after authentication, because their
    limits are per customer, session and software product.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        refusal = getattr(request, "rate_limit_refusal", None)
        if refusal is not None:
            _refusal_record(request, refusal)
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any
                     ) -> HttpResponse | None:
        operation = _operation_of(request)
        if operation is None:
            return None
        thumbprint = presented_certificate_thumbprint(request.META)
        buckets = endpoint_buckets(operation, certificate_thumbprint=thumbprint,
                                   source_ip=client_ip(request))
        name = request.resolver_match.view_name if request.resolver_match else ""
        try:
            _acquire(request, buckets, operation=operation, endpoint=name,
                     thumbprint=thumbprint)
        except RateLimited as refused:
            return _too_many(request, operation, refused.decision)
        except LimiterDown:
            return _limiter_down()
        return None


def _refusal_record(request: HttpRequest, refusal: Refusal) -> None:
    from security.audit import Actor, ActorType, Outcome, audit_record

    bucket = refusal.decision.refused_by
    rule = bucket.rule if bucket else ""
    retry_after = int(refusal.decision.retry_after_header)
    logger.warning(
        "Rate limit exceeded",
        extra={"event": "rate_limit.exceeded", "rule": rule,
               "operation": refusal.operation.value, "endpoint": refusal.endpoint,
               "software_product_id": refusal.software_product_id, "retry_after": retry_after},
    )
    if bucket is None or not _first_refusal_this_minute(bucket):
        return
    if refusal.software_product_id:
        actor = Actor(ActorType.CLIENT, refusal.software_product_id)
    elif refusal.certificate_thumbprint:
        actor = Actor(ActorType.CLIENT, "x5t#S256:" + refusal.certificate_thumbprint)
    else:
        actor = Actor(ActorType.ANONYMOUS)
    audit_record(
        actor=actor, event_type=RATE_LIMIT_EXCEEDED, outcome=Outcome.DENIED,
        subject_type="rate_limit", subject_id=rule, source_ip=client_ip(request),
        detail={"rule": rule, "limit": str(bucket.limit), "operation": refusal.operation.value,
                "endpoint": refusal.endpoint, "retry_after": retry_after,
                "note": "at most one event per limit and caller a minute; the log has each"},
    )


def _first_refusal_this_minute(bucket: Bucket) -> bool:
    return first_this_minute(f"rl-audit:{bucket.key}")


def first_this_minute(key: str) -> bool:
    """Whether this is the first time `key` is seen this minute, across every process (the
    limiter's store); True if the store is down (better one event too many than none)."""
    marker = Bucket(rule="audit", key=key, limit=Limit(1, "m", 1))
    try:
        return store().acquire([marker]).allowed
    except LimiterUnavailable:
        return True
