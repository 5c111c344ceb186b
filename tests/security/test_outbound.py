"""The guarded outbound door (security/outbound.py) over a real TLS connection: the address is
pinned, the certificate is still checked against the host name, allowed networks open a
private address, and everything else stays shut."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from security import outbound, pki


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("pki")
    layout = pki.PkiLayout(root)
    ca_key, ca_cert = pki.ca_create(layout)
    pki.server_certificate_issue(layout, ca_key=ca_key, ca_cert=ca_cert)
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Host", ""))
            body = b'{"keys": []}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(layout.server_cert, layout.server_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], str(layout.ca_cert), seen
    server.shutdown()


@pytest.fixture
def strict(settings):
    settings.BANK_ALLOW_HTTP_CLIENT_URIS = False
    settings.BANK_ALLOW_PRIVATE_OUTBOUND = False
    settings.BANK_OUTBOUND_ALLOWED_NETWORKS = []
    return settings


def test_loopback_is_refused_before_any_connection(strict, tls_server):
    port, ca, seen = tls_server
    before = len(seen)
    with pytest.raises(outbound.OutboundRefused, match="not a public address"):
        outbound.call("GET", f"https://localhost:{port}/jwks", max_bytes=1024, deadline=5,
                      verify=ca)
    assert len(seen) == before


def test_an_allowed_network_is_reached_pinned_with_the_name_checked(strict, tls_server):
    port, ca, seen = tls_server
    strict.BANK_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    answer = outbound.call("GET", f"https://localhost:{port}/jwks", max_bytes=1024, deadline=5,
                           verify=ca)
    assert answer.status == 200 and answer.body == b'{"keys": []}'
    assert seen[-1] == f"localhost:{port}"  # the Host the server saw: the name, not the IP


def test_the_certificate_must_match_the_name_not_the_pinned_address(strict, tls_server):
    """The demo server certificate names localhost and 127.0.0.1, not this name: pinning to
    the address must not turn off hostname verification."""
    import requests

    port, ca, _ = tls_server
    strict.BANK_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    import socket

    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "jwks.other.example" else host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", resolve)
        with pytest.raises(requests.exceptions.SSLError):
            outbound.call("GET", f"https://jwks.other.example:{port}/jwks", max_bytes=1024,
                          deadline=5, verify=ca)


@pytest.mark.parametrize("url", ["http://example.com/jwks", "https://user:pw@example.com/x",  # pragma: allowlist secret
                                 "ftp://example.com/x", "https:///nohost"])
def test_only_plain_https_urls(strict, url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.call("GET", url, max_bytes=10, deadline=1)


def test_production_keeps_the_address_rule():
    from bank.settings import base

    assert base.BANK_ALLOW_PRIVATE_OUTBOUND is False
