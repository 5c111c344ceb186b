"""Request bodies, validated by allow-list (standards/_payloads.md).

The only CDS request body of a data holder's resource API is RequestAccountIdListV1:
`{"data": {"accountIds": [...]}, "meta": {}}`. Anything else in it is refused, naming the
offending member, before any account is looked at:

- not an object, or `data`/`accountIds` missing -> 400 Field/Missing;
- an unknown member, a non-string or oversized ID, an empty list -> 400 Field/Invalid.
"""

from __future__ import annotations

from typing import Any

from bank.api import errors

#: More IDs than any customer holds accounts; bounds the work one request can ask for.
MAX_ACCOUNT_IDS = 1000
_MAX_ID_LENGTH = 100


def _only(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            name = "".join(c for c in str(key) if c.isascii() and c.isprintable())[:40]
            raise errors.InvalidFieldError(f"{where}{name}" if name else where.rstrip("."))


def parse_account_id_list(body: Any) -> list[str]:
    """The accountIds of a RequestAccountIdListV1 body."""
    if not isinstance(body, dict):
        raise errors.MissingFieldError("data")
    _only(body, {"data", "meta"}, "")
    if "meta" in body and not isinstance(body["meta"], dict):
        raise errors.InvalidFieldError("meta")
    if "meta" in body:
        _only(body["meta"], set(), "meta.")
    data = body.get("data")
    if data is None:
        raise errors.MissingFieldError("data")
    if not isinstance(data, dict):
        raise errors.InvalidFieldError("data")
    _only(data, {"accountIds"}, "data.")
    ids = data.get("accountIds")
    if ids is None:
        raise errors.MissingFieldError("data.accountIds")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_ACCOUNT_IDS:
        raise errors.InvalidFieldError("data.accountIds")
    for value in ids:
        if not isinstance(value, str) or not value or len(value) > _MAX_ID_LENGTH:
            raise errors.InvalidFieldError("data.accountIds")
    return ids
