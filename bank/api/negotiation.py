"""`Accept` and `Content-Type` handling (CDS standards/_headers.md, RFC 7231 §5.3.2).

Accept: absent, `*/*`, `application/*` or `application/json` (any case, charset UTF-8 only)
is served as application/json; anything else is 406. A request body must be
application/json (charset optional, UTF-8 only), or it is 415.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from bank.api import errors

_ACCEPTABLE_TYPES = frozenset({"*/*", "application/*", "application/json"})
_MAX_ACCEPT_LENGTH = 1024


def _media_range(text: str) -> tuple[str, dict[str, str]]:
    main, *raw_params = text.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, _, value = raw.partition("=")
        params[key.strip().lower()] = value.strip().strip('"').lower()
    return main.strip().lower(), params


def accepts_json(accept: str | None) -> bool:
    """True if an Accept header value admits application/json in UTF-8."""
    if accept is None or accept.strip() == "":
        return True
    if len(accept) > _MAX_ACCEPT_LENGTH:
        return False
    for item in accept.split(","):
        media_type, params = _media_range(item)
        if media_type not in _ACCEPTABLE_TYPES:
            continue
        if params.get("charset", "utf-8") not in {"utf-8", "utf8"}:
            continue
        try:
            if float(params.get("q", "1")) <= 0:
                continue
        except ValueError:
            continue
        return True
    return False


def is_json_content_type(content_type: str | None) -> bool:
    """True for `application/json` with no charset or a UTF-8 one, in any letter case."""
    if not content_type:
        return False
    media_type, params = _media_range(content_type)
    return media_type == "application/json" and params.get("charset", "utf-8") in {
        "utf-8",
        "utf8",
    }


class CdrContentNegotiation(BaseContentNegotiation):
    def select_parser(
        self, request: Request, parsers: Iterable[BaseParser]
    ) -> BaseParser | None:
        if not is_json_content_type(request.content_type):
            return None  # DRF answers 415, which the exception handler shapes
        return next(iter(parsers))

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        if not accepts_json(request.headers.get("Accept")):
            raise errors.NotAcceptableError("Accept must allow application/json (UTF-8).")
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
