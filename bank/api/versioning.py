"""`x-v` / `x-min-v` negotiation (CDS standards/_headers.md, _versioning.md).

- `x-v` is mandatory: missing -> 400 Header/Missing; not a positive integer -> 400
  Header/InvalidVersion. The same for `x-min-v` when sent.
- If `x-min-v` >= `x-v`, `x-min-v` is treated as absent.
- The endpoint answers with the highest version it supports in [x-min-v, x-v]; none ->
  406 Header/UnsupportedVersion, with the supported range in `detail`.
- The chosen version is always returned in the `x-v` response header (BaseCdrApi).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.versioning import BaseVersioning

from bank.api import errors

VERSION_HEADER = "x-v"
MIN_VERSION_HEADER = "x-min-v"


def _positive_int(raw: str, header: str) -> int:
    text = raw.strip()
    # A huge number is still a positive integer (-> 406 if unsupported); 30 digits bound it.
    if not text.isascii() or not text.isdigit() or len(text) > 30 or int(text) < 1:
        raise errors.InvalidVersionError(header)
    return int(text)


def negotiate_version(x_v: str | None, x_min_v: str | None, supported: tuple[int, ...]) -> int:
    """The version to serve, or the CDS error that says why there is none."""
    if x_v is None or x_v.strip() == "":
        raise errors.MissingHeaderError(VERSION_HEADER)
    highest = _positive_int(x_v, VERSION_HEADER)
    lowest = highest
    if x_min_v is not None:
        minimum = _positive_int(x_min_v, MIN_VERSION_HEADER)
        if minimum < highest:
            lowest = minimum
    candidates = [v for v in supported if lowest <= v <= highest]
    if not candidates:
        raise errors.UnsupportedVersionError(
            f"Supported versions: {min(supported)} to {max(supported)}"
            if len(supported) > 1
            else f"Supported version: {supported[0]}"
        )
    return max(candidates)


class CdrHeaderVersioning(BaseVersioning):
    """DRF versioning class reading the CDS headers; the view lists `versions`."""

    def determine_version(self, request: Request, *args: Any, **kwargs: Any) -> int:  # type: ignore[override]
        view = request.parser_context["view"]
        supported: tuple[int, ...] = tuple(
            getattr(view, "method_versions", {}).get(request.method, view.versions)
        )
        return negotiate_version(
            request.headers.get(VERSION_HEADER),
            request.headers.get(MIN_VERSION_HEADER),
            supported,
        )
