"""The address of the client a request came from, from one place.

REMOTE_ADDR is the peer of the connection. Behind the bank's own TLS-terminating proxy
(nginx, deploy/) that peer is the proxy, which passes the client's address in the header
named by BANK_TRUSTED_PROXY_IP_HEADER (nginx: `proxy_set_header X-Real-IP $remote_addr`,
read as HTTP_X_REAL_IP). That header is believed only from BANK_TRUSTED_PROXIES, and only if
it is one well-formed address: X-Forwarded-For chains, which any client can start, are not
read. Used for rate limits per source and for the audit trail.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    peer = request.META.get("REMOTE_ADDR") or None
    header = settings.BANK_TRUSTED_PROXY_IP_HEADER
    if header and peer in settings.BANK_TRUSTED_PROXIES:
        forwarded = str(request.META.get(header, "")).strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return peer
    return peer
