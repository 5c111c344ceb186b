"""The bank's TLS policy for the listeners it terminates itself (gunicorn), in one place.

Mozilla's "intermediate" profile, narrowed to what FAPI 1.0 Advanced §8.5 and the CDS allow:

- TLS 1.2 and 1.3 only;
- TLS 1.2: ECDHE key exchange with AES-GCM only (the four FAPI-recommended suites);
- TLS 1.3: AES-GCM suites only; groups X25519, P-256, P-384;
- no compression (CRIME), no renegotiation, no session tickets (forward secrecy does not
  hang on a ticket key), the server's cipher order.

Python's ssl module cannot set TLS 1.3 suites or groups, so those come from
deploy/tls/openssl.cnf, which `python -m bank.serve` hands to OpenSSL through OPENSSL_CONF
before the interpreter starts it. `server_context_check` refuses to serve if that did not
happen (fail closed rather than quietly offer ChaCha20 or X448).

nginx in production applies the same policy (deploy/nginx/bank.conf).
"""

from __future__ import annotations

import ssl
from pathlib import Path

#: TLS 1.2 suites, OpenSSL names (FAPI 1.0 Adv §8.5 / Mozilla intermediate, AES-GCM only).
TLS12_CIPHERS = ":".join([
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
])
TLS13_SUITES = frozenset({"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"})
OPENSSL_CONF = Path(__file__).resolve().parent.parent / "deploy" / "tls" / "openssl.cnf"


class TlsPolicyError(RuntimeError):
    """The process cannot apply the bank's TLS policy; it must not serve."""


def server_context_harden(context: ssl.SSLContext, *, require_client_certificate: bool,
                          ca_file: str | None) -> ssl.SSLContext:
    """Apply the policy to a server context that already holds its certificate and key."""
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= (ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_TICKET
                        | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_SINGLE_ECDH_USE)
    if require_client_certificate:
        if not ca_file:
            raise TlsPolicyError("The mTLS listener needs the CA that issues client certificates.")
        context.load_verify_locations(cafile=ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        # The public listener never asks for a certificate (CDS: public endpoints are not mTLS).
        context.verify_mode = ssl.CERT_NONE
    server_context_check(context)
    return context


def server_context_check(context: ssl.SSLContext) -> None:
    """TlsPolicyError unless the context offers exactly the allowed suites."""
    offered = {c["name"]: c["protocol"] for c in context.get_ciphers()}
    tls13 = {name for name, protocol in offered.items() if protocol == "TLSv1.3"}
    if tls13 != TLS13_SUITES:
        raise TlsPolicyError(
            f"TLS 1.3 suites {sorted(tls13)} are not the policy's: start the server with "
            f"OPENSSL_CONF={OPENSSL_CONF} (python -m bank.serve does).")
    tls12 = {name for name, protocol in offered.items() if protocol != "TLSv1.3"}
    if tls12 != set(TLS12_CIPHERS.split(":")):
        raise TlsPolicyError(f"TLS 1.2 suites {sorted(tls12)} are not the policy's.")
