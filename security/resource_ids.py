"""CDR resource IDs: opaque, stable, per customer and per software product (standards/_ids.md).

An ID is AES-256-SIV (RFC 5297) over the row's internal key, with the resource kind, the
customer and the software product as associated data, then base64url:

- meaningless and not enumerable: without the key an ID reveals nothing and cannot be made;
- stable: SIV is deterministic, so the same row, customer and software product always give
  the same ID, across sessions, tokens and re-consents;
- different per software product and per customer (each joint owner gets their own ID),
  because both are bound into the associated data;
- tamper-evident: an ID altered, minted for another customer or software product, or for
  another kind of resource fails authentication and decodes to nothing.

Decoding never raises: a bad ID is `None`, and callers answer it exactly like an ID that
decodes but is not theirs to see (see `NO_ROW`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import Enum
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from security.keys import resource_id_key

_DOMAIN = b"cdr-resource-id/v1"
# 8-byte key + 16-byte SIV tag = 24 bytes = 32 base64url characters, no padding.
_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")
#: An internal key no row has: lookups for undecodable IDs run this, so that a forged ID and
#: a real-but-unshared one take the same query and answer the same way.
NO_ROW = 0


@cache
def _siv() -> AESSIV:
    # One keyed cipher per process: a page of 1000 transactions encodes 1000 IDs.
    return AESSIV(resource_id_key())


class ResourceKind(Enum):
    ACCOUNT = b"account"
    TRANSACTION = b"transaction"
    PAYEE = b"payee"
    SCHEDULED_PAYMENT = b"scheduled-payment"
    INSTALMENT_PLAN = b"instalment-plan"


@dataclass(frozen=True, slots=True)
class ResourceIds:
    """Encodes and decodes IDs for one customer as seen by one software product."""

    customer_key: str
    software_product_id: str

    def _associated_data(self, kind: ResourceKind) -> list[bytes]:
        return [
            _DOMAIN,
            kind.value,
            self.customer_key.encode(),
            self.software_product_id.encode(),
        ]

    def encode(self, kind: ResourceKind, pk: int) -> str:
        if pk <= 0:
            raise ValueError("internal keys are positive")
        sealed = _siv().encrypt(pk.to_bytes(8, "big"), self._associated_data(kind))
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()

    def decode(self, kind: ResourceKind, public_id: str) -> int | None:
        """The internal key behind `public_id`, or None for anything we did not issue here."""
        if not isinstance(public_id, str) or not _ID_SHAPE.fullmatch(public_id):
            return None
        try:
            sealed = base64.urlsafe_b64decode(public_id + "=" * (-len(public_id) % 4))
            plain = _siv().decrypt(sealed, self._associated_data(kind))
        except (InvalidTag, binascii.Error, ValueError):
            return None
        return int.from_bytes(plain, "big") or None

    def decode_or_no_row(self, kind: ResourceKind, public_id: str) -> int:
        decoded = self.decode(kind, public_id)
        return NO_ROW if decoded is None else decoded


def echoable_id(public_id: str, *, name: str) -> str:
    """What an error `detail` may repeat of an ID the caller sent: the ID if it has our
    shape, else the parameter name (never arbitrary input in an error body)."""
    return public_id if _ID_SHAPE.fullmatch(public_id or "") else name
