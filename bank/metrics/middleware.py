"""MetricsMiddleware: counts every call the CDR metrics cover, after its response is made.

It sits inside InteractionIdMiddleware (so the software product bound by client or token
authentication is still readable) and outside RateLimitMiddleware (so the 429s it answers
are counted as rejections). The response time is measured from here: as close to the caller
as the application gets (nfrs__performance-requirements.md).

Counting can never fail or slow a request beyond a few dictionary updates: any error in it
is logged and the response goes out unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from bank.metrics.flusher import flusher_ensure_started
from bank.metrics.recorder import recorder
from bank.metrics.tiers import ENDPOINTS, THRESHOLD_US, Endpoint
from security.interaction import current_principal

logger = logging.getLogger("bank.metrics")

_CUSTOMER_IP_HEADER = "HTTP_X_FAPI_CUSTOMER_IP_ADDRESS"


def _wall_clock() -> float:
    """When the call happened (its minute and second bucket)."""
    return time.time()


def _elapsed_clock() -> float:
    """What response times are measured with (monotonic)."""
    return time.perf_counter()


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = _elapsed_clock()
        response = self.get_response(request)
        elapsed = _elapsed_clock() - started
        try:
            _call_record(request, response, elapsed)
        except Exception:
            logger.exception("Counting a call for the CDR metrics failed",
                             extra={"event": "metrics.record_failed"})
        return response


def _endpoint_of(request: HttpRequest) -> Endpoint | None:
    match = request.resolver_match
    if match is None:
        # Answered before URL resolution (a body too large, another listener's path): resolve
        # here, only on this rare path.
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
    return ENDPOINTS.get(match.view_name)


def _call_record(request: HttpRequest, response: HttpResponse, elapsed: float) -> None:
    endpoint = _endpoint_of(request)
    if endpoint is None:
        return
    context = getattr(request, "cdr", None)
    if context is not None:
        customer_present = bool(context.customer_present)
    else:
        # A refused call has no resolved context: the header alone says who it was for.
        customer_present = bool(request.META.get(_CUSTOMER_IP_HEADER))
    tier = endpoint.tier_for(customer_present=customer_present)
    latency_us = round(elapsed * 1_000_000)
    recorder.record(
        at=_wall_clock(), tier=tier,
        software_product_id=current_principal().get("client", ""),
        status_code=response.status_code, authenticated=endpoint.authenticated,
        customer_present=customer_present and endpoint.authenticated, latency_us=latency_us,
        within_threshold=latency_us <= THRESHOLD_US[tier],
    )
    flusher_ensure_started()
