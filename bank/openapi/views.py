"""GET /api/schema (the document), /api/docs/ (Swagger UI), /api/redoc/ (Redoc).

Public listener, no authentication: the document holds what the CDR standard publishes plus the
bank's public facts (base URLs, versions, scopes), nothing secret. It is generated once per
process and base URLs (then served from memory), so a public URL cannot be used to make the
bank generate it over and over.

Every script and style sheet comes from the bank's own /static/ (drf-spectacular-sidecar),
under the bank's page CSP (security/headers.py PAGE_CSP: script-src 'self', style-src 'self'):

- Swagger UI loads its init script from this same view (`?script`, drf-spectacular's split
  view) and needs nothing more;
- Redoc inserts its styles as <style> elements (styled-components). Instead of
  'unsafe-inline', its page gets a per-response nonce in style-src, which Redoc puts on
  every style element it creates (its `nonce` option, passed by the static
  openapi/redoc-init.js from a data attribute), plus the hashes of the two fixed style
  elements its bundle inserts before that option applies (REDOC_STYLE_HASHES). Its search
  is off: the search index runs in a Worker made from a blob: URL, which script-src 'self'
  refuses, and a docs page is no reason to allow blob: workers. Its sidebar footer links to
  Redocly with a logo image from cdn.redoc.ly: img-src 'self' blocks that one request (the
  browser logs the refusal); no request leaves for a CDN.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.templatetags.static import static
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from security.headers import PAGE_CSP

DOCS_CSS = "openapi/docs.css"
REDOC_INIT = "openapi/redoc-init.js"
#: The two <style> elements redoc.standalone.js (drf-spectacular-sidecar 2026.10.1, Redoc
#: 2.5.4) inserts while the bundle loads, before its `nonce` option can apply: an empty one
#: (the hash of "") and perfect-scrollbar's style sheet. Allowed by hash, that text only; a
#: sidecar upgrade that changes them fails tests/openapi/test_docs_browser.py.
REDOC_STYLE_HASHES = ("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
                      "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='")
_STYLE_SRC = "style-src 'self'"
if _STYLE_SRC not in PAGE_CSP:
    raise ImproperlyConfigured("PAGE_CSP has no style-src 'self' for Redoc's nonce to extend")


@lru_cache(maxsize=4)
def _document(public_base: str, mtls_base: str) -> dict[str, Any]:
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    document: dict[str, Any] = generator.get_schema(request=None, public=True)
    return document


def openapi_document_key() -> tuple[str, str]:
    from django.conf import settings

    return (settings.BANK_PUBLIC_BASE_URL, settings.BANK_MTLS_BASE_URL)


def openapi_document() -> dict[str, Any]:
    """The bank's OpenAPI document for the current base URLs (generated once, then cached)."""
    return _document(*openapi_document_key())


def _if_none_match(request: Request) -> set[str]:
    return {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}


#: Rendered documents by (renderer media type, base URLs): a handful of entries at most.
_RENDERED: dict[tuple[str, tuple[str, str]], tuple[bytes, str]] = {}


def _rendered(renderer: BaseRenderer, key: tuple[str, str]) -> tuple[bytes, str]:
    """The document rendered once per format and base URLs (YAML costs ~50 ms), and its
    ETag: an unauthenticated endpoint must not be a cheap way to burn CPU."""
    slot = (str(renderer.media_type), key)
    if slot not in _RENDERED:  # a race renders twice, identically: harmless
        body = renderer.render(_document(*key), renderer_context={})
        data = body if isinstance(body, bytes) else str(body).encode()
        _RENDERED[slot] = (data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
    return _RENDERED[slot]


class _FormatNegotiation(DefaultContentNegotiation):
    """DRF's Accept negotiation, plus `?format=json|yaml` (URL_FORMAT_OVERRIDE is off for
    the CDR API, where only JSON exists)."""

    def select_renderer(self, request: Request, renderers: Iterable[BaseRenderer],
                        format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        chosen = format_suffix or request.query_params.get("format")
        return super().select_renderer(request, renderers, chosen)


class _DocsView(APIView):
    """What the three views share: no token, no CDR versioning, plain content negotiation."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    versioning_class = None
    throttle_classes = ()


class SchemaApi(_DocsView, SpectacularAPIView):
    """The OpenAPI 3.0 document: YAML by default, JSON with `?format=json` or Accept
    `application/json` / `application/vnd.oai.openapi+json`."""

    content_negotiation_class = _FormatNegotiation

    def _get_schema_response(self, request: Request) -> HttpResponse:
        renderer = self.perform_content_negotiation(request, force=True)[0]
        body, etag = _rendered(renderer, openapi_document_key())
        content_type = str(renderer.media_type)
        if renderer.charset:
            content_type += f"; charset={renderer.charset}"
        response = HttpResponse(
            b"" if etag in _if_none_match(request) else body, content_type=content_type,
            status=304 if etag in _if_none_match(request) else 200)
        response["Content-Disposition"] = (
            f'inline; filename="cdr-bank-openapi.{renderer.format}"')
        response["ETag"] = etag
        response["Vary"] = "Accept"
        # The same for everyone, changing only with a release: caches may keep it (the
        # security headers make a credentialed request's answer no-store anyway).
        response["Cache-Control"] = "public, max-age=3600"
        return response


class SwaggerUiPage(_DocsView, SpectacularSwaggerSplitView):
    template_name = "openapi/swagger_ui.html"
    content_negotiation_class = DefaultContentNegotiation

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.GET.get("script") is not None:
            return super().get(request, *args, **kwargs)  # the init script
        return Response(
            data={
                "title": self.title,
                "swagger_ui_css": self._swagger_ui_resource("swagger-ui.css"),
                "swagger_ui_bundle": self._swagger_ui_resource("swagger-ui-bundle.js"),
                "swagger_ui_standalone": self._swagger_ui_resource(
                    "swagger-ui-standalone-preset.js"),
                "favicon_href": self._swagger_ui_favicon(),
                "docs_css": static(DOCS_CSS),
                "script_url": f"{request.path}?script=",
            },
            template_name=self.template_name,
        )


class RedocPage(_DocsView, SpectacularRedocView):
    template_name = "openapi/redoc.html"
    content_negotiation_class = DefaultContentNegotiation

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        nonce = secrets.token_urlsafe(18)
        csp = PAGE_CSP.replace(_STYLE_SRC,
                               f"{_STYLE_SRC} 'nonce-{nonce}' {' '.join(REDOC_STYLE_HASHES)}")
        return Response(
            data={
                "title": self.title,
                "redoc_standalone": self._redoc_standalone(),
                "schema_url": self._get_schema_url(request),
                "docs_css": static(DOCS_CSS),
                "redoc_init": static(REDOC_INIT),
                "favicon_href": SpectacularSwaggerSplitView._swagger_ui_favicon(),
                "nonce": nonce,
            },
            template_name=self.template_name,
            headers={"Content-Security-Policy": csp},
        )
