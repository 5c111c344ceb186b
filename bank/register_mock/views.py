"""HTTP face of the mock Register, path for path as cds_register.json 1.36.0 describes it.

Plain Django views, not the bank's DRF stack: the Register is another system, with its own
error shapes (ResponseErrorListV2 with `cds-register` codes, OAuth errors at its token
endpoint). Versioned endpoints answer the 1.36.0 version only (SSA x-v 4, statuses x-v 3,
data recipients x-v 4), negotiated from x-v / x-min-v as CDS standards/_headers.md says.

The SSA body is the compact JWT itself (not a JSON string): that is what the Register returns
and what recipients' clients read, whatever the OpenAPI media type suggests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from bank.register_mock import selectors
from bank.register_mock.client_auth import (
    REGISTER_SCOPE,
    TOKEN_LIFETIME,
    register_client_authenticate,
    register_token_issue,
    register_token_resolve,
)
from bank.register_mock.keys import ALG, register_jwks
from bank.register_mock.models import BrandStatus, LegalEntityStatus, ProductStatus
from bank.register_mock.ssa import ssa_issue
from security.oauth.errors import InvalidToken, OAuthError

INDUSTRIES = ("all",)  # cds_register.json IndustryEnumRecipients
_ALL = "urn:au-cds:error:cds-all:"
_REGISTER = "urn:au-cds:error:cds-register:"


class RegisterApiError(Exception):
    """A ResponseErrorListV2 answer (CDS standards/_errors.md, "CDR Register Errors")."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail

    def response(self) -> JsonResponse:
        body = {"errors": [{"code": self.code, "title": self.title, "detail": self.detail,
                            "meta": {}}]}
        return JsonResponse(body, status=self.status)


def _mock_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    # The URLconf is already empty when the mock is off; this also covers a URLconf that was
    # imported under other settings (tests, a long-lived process whose settings changed).
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.BANK_MOCK_REGISTER_ENABLED:
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except RegisterApiError as exc:
            return exc.response()

    return wrapper


def register_base_url(request: HttpRequest) -> str:
    """Where this Register lives: BANK_REGISTER_BASE_URL when set (the bank's own view of
    it), else the URL this request reached it at."""
    configured = str(settings.BANK_REGISTER_BASE_URL).rstrip("/")
    if configured:
        return configured
    mount = reverse("register_mock:jwks").removesuffix("cdr-register/v1/jwks").rstrip("/")
    return request.build_absolute_uri(mount).rstrip("/")


def _positive(raw: str, header: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise RegisterApiError(400, _ALL + "Header/InvalidVersion", "Invalid Version", header)
    return int(raw)


def _version(request: HttpRequest, supported: tuple[int, ...]) -> int:
    raw = request.headers.get("x-v")
    if raw is None:
        raise RegisterApiError(400, _ALL + "Header/Missing", "Missing Required Header", "x-v")
    x_v = _positive(raw, "x-v")
    raw_min = request.headers.get("x-min-v")
    x_min = _positive(raw_min, "x-min-v") if raw_min is not None else None
    # x-min-v at or above x-v is treated as absent (CDS standards/_headers.md).
    lowest = x_min if x_min is not None and x_min < x_v else x_v
    served = [v for v in supported if lowest <= v <= x_v]
    if not served:
        raise RegisterApiError(406, _ALL + "Header/UnsupportedVersion", "Unsupported Version",
                               f"Supported versions: {', '.join(map(str, supported))}")
    return max(served)


def _industry(industry: str) -> None:
    if industry not in INDUSTRIES:
        raise RegisterApiError(404, _REGISTER + "Field/InvalidIndustry", "Invalid Industry",
                               industry)


def _listing(request: HttpRequest, data: list[Any], version: int) -> HttpResponse:
    body = json.dumps({"data": data, "links": {"self": request.build_absolute_uri()},
                       "meta": {}}, separators=(",", ":"))
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
        response["x-v"] = str(version)
    response["Etag"] = etag
    return response


# Register Operations ---------------------------------------------------------------------
@require_GET
@_mock_only
def openid_configuration_view(request: HttpRequest) -> HttpResponse:
    base = register_base_url(request)
    return JsonResponse({
        "issuer": f"{base}/idp",
        "jwks_uri": f"{base}/idp/.well-known/openid-configuration/jwks",
        "token_endpoint": f"{base}/idp/connect/token",
        "claims_supported": ["sub"],
        "id_token_signing_alg_values_supported": [ALG],
        "subject_types_supported": ["public"],
        # Required by the schema though the Register runs no PKCE flow ("safely ignored").
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": [REGISTER_SCOPE],
        "response_types_supported": ["token"],
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["PS256", "ES256"],
        "tls_client_certificate_bound_access_tokens": True,
    })


@require_GET
@_mock_only
def jwks_view(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(register_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt
@require_POST
@_mock_only
def token_view(request: HttpRequest) -> HttpResponse:
    try:
        product = register_client_authenticate(
            request.POST, token_endpoints={f"{register_base_url(request)}/idp/connect/token"}
        )
        raw, token = register_token_issue(
            product=product, grant_type=request.POST.get("grant_type"),
            scope=request.POST.get("scope"),
        )
    except OAuthError as exc:
        return exc.response()
    response = JsonResponse({
        "access_token": raw,
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "token_type": "Bearer",
        "scope": token.scope,
    })
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@_mock_only
def ssa_view(
    request: HttpRequest, industry: str, brand_id: str, software_product_id: str
) -> HttpResponse:
    try:
        token = register_token_resolve(request.headers.get("Authorization"))
    except InvalidToken:
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    version = _version(request, (4,))
    _industry(industry)
    product = token.software_product
    # As the ACCC Register does: a product other than the token's is "not found" for it.
    if product.software_product_id != software_product_id:
        raise RegisterApiError(404, _REGISTER + "Field/InvalidSoftwareProduct",
                               "Invalid Software Product", software_product_id)
    brand = product.brand
    if brand.brand_id != brand_id:
        raise RegisterApiError(404, _REGISTER + "Field/InvalidBrand", "Invalid Brand", brand_id)
    legal_entity = brand.legal_entity
    for what, status, active in (
        ("Data recipient", legal_entity.status, LegalEntityStatus.ACTIVE),
        ("Data recipient brand", brand.status, BrandStatus.ACTIVE),
        ("Software product", product.status, ProductStatus.ACTIVE),
    ):
        if status != active:
            raise RegisterApiError(403, _ALL + "Authorisation/AdrStatusNotActive",
                                   "ADR Status Is Not Active", f"{what} status: {status}")
    response = HttpResponse(ssa_issue(product=product), content_type="application/jwt")
    response["x-v"] = str(version)
    response["Cache-Control"] = "no-store"
    return response


# Register Data Recipient discovery --------------------------------------------------------
@require_GET
@_mock_only
def data_recipients_view(request: HttpRequest, industry: str) -> HttpResponse:
    version = _version(request, (4,))
    _industry(industry)
    return _listing(request, selectors.data_recipient_list(), version)


@require_GET
@_mock_only
def data_recipient_statuses_view(request: HttpRequest, industry: str) -> HttpResponse:
    version = _version(request, (3,))
    _industry(industry)
    return _listing(request, selectors.data_recipient_statuses(), version)


@require_GET
@_mock_only
def software_product_statuses_view(request: HttpRequest, industry: str) -> HttpResponse:
    version = _version(request, (3,))
    _industry(industry)
    return _listing(request, selectors.software_product_statuses(), version)
