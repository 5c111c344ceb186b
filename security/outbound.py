"""The bank's outbound HTTP calls to addresses others chose: one guarded door.

Recipients choose URLs the bank calls on its own: the `jwks_uri` in their SSA (fetched at
registration and whenever a client's key is unknown) and their `recipient_base_uri` (the bank
POSTs arrangement revocations there). The CDR Register's answers come the same way. Without a
guard, a registration could point the bank at its own network: cloud metadata
(169.254.169.254), loopback admin ports, private services, in any spelling (decimal or octal
IPs, IPv4-mapped IPv6, a name that resolves there). So every such call:

- resolves the host once and refuses unless every address is globally routable
  (`ipaddress.is_global`, and for IPv4-mapped IPv6 the IPv4 inside), then connects to that
  same address (no second lookup a rebinding DNS could answer differently), still checking the
  certificate against the host name (SNI and hostname verification keep the name);
- never follows redirects, and takes only the statuses the caller expects;
- reads at most `max_bytes`, and stops at a deadline for the whole call, checked after every
  read (each read returns what has arrived, so a server dribbling a byte at a time cannot hold
  a thread past the deadline).

Dev and test recipients live on http://127.0.0.1: BANK_ALLOW_HTTP_CLIENT_URIS allows plain
http and BANK_ALLOW_PRIVATE_OUTBOUND local addresses there; production refuses both. URLs the
operator configured (the CDR Register's) are called with `check_address=False`: same bounds,
no address rule. The Kubernetes egress NetworkPolicy (deploy/k8s) is the second wall, not the
only one.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter


class OutboundRefused(Exception):
    """The call was not made (destination not allowed) or its answer was not taken."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _routable(address: str) -> bool:
    """Public, or in a network the operator allowed (BANK_OUTBOUND_ALLOWED_NETWORKS)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(network, strict=False)
           for network in settings.BANK_OUTBOUND_ALLOWED_NETWORKS):
        return True
    return bool(ip.is_global) and not ip.is_multicast


def resolve_public(host: str, port: int) -> str:
    """One address of `host` to connect to, if every address it resolves to is public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"cannot resolve {host}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(_routable(address) for address in addresses):
        raise OutboundRefused(f"{host} is not a public address")
    return addresses[0]


class _PinnedAdapter(HTTPAdapter):
    """Connects to the address in the URL, but does TLS as `hostname`: SNI and certificate
    verification use the name the caller was given, not the pinned address."""

    def __init__(self, hostname: str) -> None:
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._hostname
        kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)


def call(method: str, url: str, *, expect: frozenset[int] = frozenset({200}),
         max_bytes: int, deadline: float, headers: dict[str, str] | None = None,
         data: Any = None, verify: str | bool = True, check_address: bool = True,
         read_body: bool = True) -> Answer:
    """One request to a URL someone else chose, within the rules above. `deadline`: seconds
    for the whole call. Raises OutboundRefused, or requests.RequestException on the network."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (
            settings.BANK_ALLOW_HTTP_CLIENT_URIS and parts.scheme == "http"):
        raise OutboundRefused("only https URLs are called")
    if not parts.hostname or parts.username or parts.password:
        raise OutboundRefused("no host, or credentials in the URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.monotonic()
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment may take the call elsewhere
    target = url
    request_headers = dict(headers or {})
    if check_address and not settings.BANK_ALLOW_PRIVATE_OUTBOUND:
        address = resolve_public(parts.hostname, port)
        literal = f"[{address}]" if ":" in address else address
        target = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/",
                             parts.query, ""))
        request_headers["Host"] = parts.netloc
        session.mount(f"{parts.scheme}://", _PinnedAdapter(parts.hostname))
    with session:
        response = session.request(
            method, target, headers=request_headers, data=data, verify=verify,
            allow_redirects=False, stream=True,
            # Per socket read at most 5 s (a recipient may take a moment to answer a POST);
            # the deadline for the whole call is checked after every read below.
            timeout=(min(deadline, 5.0), min(deadline, 5.0)))
        with response:
            if response.status_code not in expect:
                raise OutboundRefused(f"answered {response.status_code}")
            if not read_body:  # the status is the answer; the body is never read
                return Answer(response.status_code, dict(response.headers), b"")
            body = bytearray()
            while True:
                if time.monotonic() - started > deadline:
                    raise OutboundRefused("answered too slowly")
                try:
                    chunk = response.raw.read1(4096)
                except urllib3.exceptions.HTTPError as exc:  # a read timeout, a broken body
                    raise OutboundRefused("answered too slowly or broke off") from exc
                if not chunk:
                    break
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise OutboundRefused("answered too much")
        return Answer(response.status_code, dict(response.headers), bytes(body))
