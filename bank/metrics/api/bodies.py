"""The Metadata Update body, validated by allow-list like every CDS request body
(bank/api/bodies.py): RequestMetaDataUpdateV1 `{"data": {"action": "REFRESH"}, "meta": {}}`.

- not an object, `data` or `data.action` missing -> 400 Field/Missing naming it;
- an unknown member, a `data`/`meta` that is not an object, an action other than REFRESH
  (the only value of the enum) -> 400 Field/Invalid naming it.
"""

from __future__ import annotations

from typing import Any

from bank.api import errors

ACTIONS = frozenset({"REFRESH"})


def _printable(name: Any) -> str:
    return "".join(c for c in str(name) if c.isascii() and c.isprintable())[:40]


def _only(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            name = _printable(key)
            raise errors.InvalidFieldError(
                f"{where}{name}" if name else where.rstrip(".") or "body")


def parse_metadata_update(body: Any) -> str:
    """The requested action of a RequestMetaDataUpdateV1 body."""
    if not isinstance(body, dict) or "data" not in body:
        raise errors.MissingFieldError("data")
    _only(body, {"data", "meta"}, "")
    if "meta" in body:
        if not isinstance(body["meta"], dict):
            raise errors.InvalidFieldError("meta")
        _only(body["meta"], set(), "meta.")
    data = body["data"]
    if not isinstance(data, dict):
        raise errors.InvalidFieldError("data")
    _only(data, {"action"}, "data.")
    if "action" not in data:
        raise errors.MissingFieldError("data.action")
    if data["action"] not in ACTIONS:
        raise errors.InvalidFieldError("data.action")
    return str(data["action"])
