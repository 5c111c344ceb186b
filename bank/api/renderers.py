"""Wraps 2xx bodies as `{"data": ..., "links": {"self": ...}, "meta": {}}` (CDS _payloads.md).

Bodies already enveloped by the paginator and every error body pass through untouched, so
wrapping happens exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer

from bank.api.links import absolute_url


class CdrJsonRenderer(JSONRenderer):
    media_type = "application/json"
    charset = None  # JSON is UTF-8 by definition; the header stays plain application/json
    ensure_ascii = False
    compact = True

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        request = context.get("request")
        if (
            response is not None
            and request is not None
            and 200 <= response.status_code < 300
            and data is not None
            and not getattr(response, "enveloped", False)
        ):
            data = {"data": data, "links": {"self": absolute_url(request)}, "meta": {}}
        return super().render(data, accepted_media_type, renderer_context)
