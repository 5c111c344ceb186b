"""Strict JSON for request bodies: what Python's json module lets through, refused.

- duplicate member names (RFC 8259 §4 leaves them undefined; parsers disagree on which wins,
  which is how request smuggling between a proxy and an app starts);
- NaN, Infinity and -Infinity (not JSON);
- nesting deeper than MAX_DEPTH (bounds the work and the recursion one body can ask for);
- anything but UTF-8.
The body's size is bounded before it is read (DATA_UPLOAD_MAX_MEMORY_SIZE and
bank.middleware.RequestSizeMiddleware). Types and members are then checked by allow-list
(bank/api/bodies.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 16


class _Rejected(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Rejected("duplicate member")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise _Rejected(f"{name} is not JSON")


def _depth(value: Any, level: int = 1) -> None:
    if level > MAX_DEPTH:
        raise _Rejected("nested too deeply")
    children = value.values() if isinstance(value, Mapping) else value if isinstance(
        value, list) else ()
    for child in children:
        _depth(child, level + 1)


def strict_loads(raw: bytes) -> Any:
    """The parsed body, or ValueError."""
    text = raw.decode("utf-8")
    value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    _depth(value)
    return value


class StrictJsonParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return strict_loads(stream.read())
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise ParseError("The request body is not valid JSON.") from exc
