"""BaseCdrApi: the one base class of every CDR endpoint, and Django's error handlers.

A view declares `versions`, `query_params`, its authentication and permissions; this class
applies the conventions in one order for every endpoint:

0. a method the view does not implement is 405;
1. authentication, then the rate limits (security/throttling: per certificate, software
   product, customer, session, endpoint, operation): before any other check, so that every
   call spends its caller's limit, a malformed one or one with a refused token included, and
   after authentication, because limits keyed by customer and session need the token;
2. `x-fapi-interaction-id` must be a UUID if sent (400 Header/Invalid);
3. Accept must allow application/json (406);
4. `x-v` / `x-min-v` negotiation (400 Header/Missing / Header/InvalidVersion, 406);
5. permissions (the token's scopes; DRF);
6. no query parameter outside the view's allow-list, none repeated (400 Field/Invalid).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from bank.api import errors
from bank.api.exception_handler import cdr_error_response
from bank.api.negotiation import is_json_content_type
from bank.api.pagination import CdrPagination
from bank.api.versioning import VERSION_HEADER
from security.throttling.enforce import (
    UNAVAILABLE_RETRY_AFTER,
    LimiterDown,
    RateLimited,
    resource_call_limit,
)
from security.throttling.policy import Operation

access_logger = logging.getLogger("bank.api.access")


class BaseCdrApi(APIView):
    """Base for every CDR endpoint. Subclasses declare what they accept, not how to check it."""

    #: Endpoint versions served side by side, e.g. (2, 3); `request.version` is one of them.
    versions: ClassVar[tuple[int, ...]]
    #: Query parameters this endpoint accepts, besides pagination ones when `paginated`.
    query_params: ClassVar[frozenset[str]] = frozenset()
    paginated: ClassVar[bool] = False
    #: Where one path serves two operations (GET bulk / POST for specific accounts), the
    #: method's own versions and query parameters; `versions` / `query_params` otherwise.
    method_versions: ClassVar[dict[str, tuple[int, ...]]] = {}
    method_query_params: ClassVar[dict[str, frozenset[str]]] = {}
    # No OPTIONS handler: CORS preflights are answered by the CORS middleware, and DRF's
    # self-description of an endpoint is not something a bank publishes.
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]
    #: DRF's throttles run after permissions; ours run first (step 1).
    throttle_classes = ()
    #: The kind of call for the rate limits; rate_limit_operation() may refine it per request.
    operation: ClassVar[Operation] = Operation.RESOURCE_READ

    def rate_limit_operation(self, request: Request) -> Operation:
        return self.operation

    def _authenticate_and_limit(self, request: Request) -> None:
        try:
            request.user  # noqa: B018  (resolves the token; DRF's own step then reuses it)
        except APIException:
            self._limit(request)  # a refused token still spends its caller's limit
            raise
        self._limit(request)

    def _limit(self, request: Request) -> None:
        try:
            resource_call_limit(request._request, operation=self.rate_limit_operation(request),
                                endpoint=type(self).__name__, token=request.auth)
        except RateLimited as refused:
            raise errors.TooManyRequestsError(
                "Too many requests: the rate limit for this call is exceeded.",
                headers={"Retry-After": refused.decision.retry_after_header},
            ) from None
        except LimiterDown:
            raise errors.ServiceUnavailableError(
                headers={"Retry-After": UNAVAILABLE_RETRY_AFTER}) from None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            # 405 before anything else: no header or body can make this method exist here.
            self.http_method_not_allowed(request, *args, **kwargs)
        self._authenticate_and_limit(request)
        if getattr(request._request, "interaction_id_invalid", False):
            raise errors.InvalidHeaderError("x-fapi-interaction-id")
        super().initial(request, *args, **kwargs)
        self._check_query_params(request)
        if request.method in {"POST", "PUT", "PATCH"} and not is_json_content_type(
            request.content_type
        ):
            raise errors.UnsupportedMediaTypeError("Content-Type must be application/json.")

    def _check_query_params(self, request: Request) -> None:
        own = self.method_query_params.get(request.method or "", self.query_params)
        allowed = own | (CdrPagination.params if self.paginated else frozenset())
        for name in request.query_params:
            if name not in allowed:
                raise errors.InvalidFieldError(_printable(name))
            if len(request.query_params.getlist(name)) > 1:
                raise errors.InvalidFieldError(name)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        version = getattr(request, "version", None)
        if version is not None:
            response[VERSION_HEADER] = str(version)
        return response

    # Helpers for subclasses --------------------------------------------------------------
    @property
    def version(self) -> int:
        """The negotiated endpoint version (set before any handler runs)."""
        return int(self.request.version)  # type: ignore[arg-type]

    def paginate(
        self,
        queryset: QuerySet[Any] | list[Any],
        serializer_class: type[BaseSerializer[Any]],
        *,
        key: str,
        context: dict[str, Any] | None = None,
        count: Callable[[], int] | None = None,
    ) -> Response:
        """Page `queryset`, serialize the page under `data[key]`, add links and meta;
        `count` answers totalRecords when the caller has a cheaper way than COUNT(*)."""
        paginator = CdrPagination()
        page = paginator.paginate_queryset(queryset, self.request, count=count)
        rows = serializer_class(page, many=True, context=self.serializer_context(context)).data
        return paginator.get_paginated_response({key: rows})

    def single(
        self,
        instance: Any,
        serializer_class: type[BaseSerializer[Any]],
        context: dict[str, Any] | None = None,
    ) -> Response:
        """Serialize one object as `data`; the renderer adds links.self and meta."""
        return Response(serializer_class(instance, context=self.serializer_context(context)).data)

    def serializer_context(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"request": self.request, "version": self.request.version, **(extra or {})}


class AuthenticatedCdrApi(BaseCdrApi):
    """An endpoint over customer data.

    Authentication and permission come from REST_FRAMEWORK's defaults (the bearer token,
    resolved into `request.cdr`, and `required_scopes`), so this module names no security
    class. Views read `self.cdr` and pass it to every selector.
    """

    required_scopes: ClassVar[tuple[str, ...]]

    @property
    def cdr(self) -> Any:
        return self.request.cdr  # type: ignore[attr-defined]

    def serializer_context(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**super().serializer_context(extra), "ids": self.cdr.ids}

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        context = getattr(request, "cdr", None)
        # One line per resource call: what the metrics and rate-limit issues count. IDs of
        # the software product and arrangement only; nothing about the customer's data.
        access_logger.info(
            "cdr resource call",
            extra={
                "event": "cdr.resource_call",
                "endpoint": type(self).__name__,
                "version": getattr(request, "version", None),
                "status": response.status_code,
                "customer_present": None if context is None else context.customer_present,
                "software_product_id": None if context is None else context.software_product_id,
                "arrangement": None if context is None else context.arrangement_pk,
            },
        )
        return response


class PublicCdrApi(BaseCdrApi):
    """An unauthenticated CDR endpoint (Get Products, Get Status...): no token, CORS open."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    operation = Operation.PUBLIC


def _printable(name: str) -> str:
    """A parameter name safe to echo in `detail`: printable ASCII, at most 40 characters."""
    cleaned = "".join(c for c in name if c.isascii() and c.isprintable())
    return cleaned[:40] or "parameter"


# Django's error handlers: unknown URLs and crashes outside DRF also answer in CDS form. ---
def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return cdr_error_response(errors.ExpectedError("The request was refused."))


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return cdr_error_response(errors.ForbiddenError())


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return cdr_error_response(errors.ResourceNotFoundError())


def handler500(request: HttpRequest) -> HttpResponse:
    return cdr_error_response(errors.UnexpectedError())
