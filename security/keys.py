"""The one module that reads key material (STYLE.md §7).

Today it holds the resource-ID key; the key-management issue moves keys into the HSM behind
the same functions, so callers never learn where a key lives.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

#: AES-256-SIV takes a 512-bit key (two 256-bit halves: one for S2V, one for CTR).
RESOURCE_ID_KEY_BYTES = 64


def decode_resource_id_key(text: str) -> bytes:
    """The key from its base64url text form, or ImproperlyConfigured saying what is wrong."""
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("BANK_RESOURCE_ID_KEY is not base64url.") from exc
    if len(key) != RESOURCE_ID_KEY_BYTES:
        raise ImproperlyConfigured(
            f"BANK_RESOURCE_ID_KEY must decode to {RESOURCE_ID_KEY_BYTES} bytes."
        )
    return key


@cache
def resource_id_key() -> bytes:
    """The AES-SIV key behind every CDR resource ID (accountId, transactionId...).

    Long-lived on purpose: IDs must stay the same across sessions and consents
    (standards/_ids.md), so replacing this key changes every ID a recipient holds.
    """
    return decode_resource_id_key(settings.BANK_RESOURCE_ID_KEY)
