"""The client certificate of the connection a request came on (RFC 8705), from one place.

Two sources, nothing else:

1. gunicorn terminating TLS itself (sync/gthread workers): the peer certificate of the
   socket in the WSGI environ;
2. a TLS-terminating reverse proxy the bank runs (nginx), which forwards the verified client
   certificate, URL-encoded PEM (nginx `$ssl_client_escaped_cert`), in the header named by
   BANK_TRUSTED_PROXY_CERT_HEADER. The header is believed only when that setting is on, the
   request's immediate peer (REMOTE_ADDR) is one of BANK_TRUSTED_PROXIES, AND this process
   is the mTLS listener's (BANK_LISTENER=mtls, security/listeners.py: the gunicorn behind
   nginx's mTLS server block, which requires a verified certificate and overwrites the header).
   A client that talks to gunicorn directly, or to the public listener's process, cannot
   claim a certificate; no request header decides which listener a request is on.

No certificate is None, and a certificate-bound token then fails closed.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from security import listeners


def certificate_thumbprint(der: bytes) -> str:
    """RFC 8705 §3.1 x5t#S256: base64url (no padding) SHA-256 of the DER certificate."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def presented_certificate_der(environ: dict[str, Any]) -> bytes | None:
    sock = environ.get("gunicorn.socket")
    getpeercert = getattr(sock, "getpeercert", None)
    if getpeercert is not None:
        der = getpeercert(binary_form=True)
        if der:
            return bytes(der)
    header = settings.BANK_TRUSTED_PROXY_CERT_HEADER
    if (header and environ.get("REMOTE_ADDR") in settings.BANK_TRUSTED_PROXIES
            and listeners.listener_of(environ) == listeners.MTLS):
        forwarded = environ.get(header)
        if forwarded:
            try:
                certificate = x509.load_pem_x509_certificate(unquote(forwarded).encode())
            except ValueError:
                return None
            return certificate.public_bytes(Encoding.DER)
    return None


def presented_certificate_thumbprint(environ: dict[str, Any]) -> str | None:
    der = presented_certificate_der(environ)
    return certificate_thumbprint(der) if der else None
