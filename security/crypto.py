"""Digests of bearer secrets (STYLE.md §7): the one way tokens and codes are stored and found.

DOT's TokenChecksumField keeps the hex SHA-256 of each token; codes and the Register's tokens
are stored the same way, so a database dump holds nothing a caller could present.
"""

from __future__ import annotations

import hashlib


def token_digest(raw: str) -> str:
    """Hex SHA-256 of a token, code or other bearer secret (DOT's lookup checksum)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
