"""The client certificate of the TLS connection a request came on (RFC 8705).

gunicorn's sync/gthread workers terminate TLS themselves and expose the socket in the WSGI
environ; the peer certificate's DER bytes give the `x5t#S256` thumbprint that certificate-bound
tokens carry. No certificate (plain HTTP in the test client, or TLS without a client
certificate) is None, and a bound token then fails closed.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any


def certificate_thumbprint(der: bytes) -> str:
    """RFC 8705 §3.1 x5t#S256: base64url (no padding) SHA-256 of the DER certificate."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def presented_certificate_thumbprint(environ: dict[str, Any]) -> str | None:
    sock = environ.get("gunicorn.socket")
    getpeercert = getattr(sock, "getpeercert", None)
    if getpeercert is None:
        return None
    der = getpeercert(binary_form=True)
    return certificate_thumbprint(der) if der else None
