"""OWASP API7:2023 Server Side Request Forgery: the URLs an outsider makes the bank fetch.

A registration carries the Register's SSA, and the SSA names URLs: `jwks_uri` (fetched at DCR
and again whenever a client's key is unknown: security/oauth/client_jwks.py),
`recipient_base_uri` (the bank POSTs arrangement revocations there:
security/oauth/notifications.py), and `logo_uri`, `revocation_uri`, `sector_identifier_uri`,
`redirect_uris`, `client_uri`, `tos_uri`, `policy_uri`, which the bank stores and publishes but
never fetches. An accredited recipient (or anyone who gets a product onto the Register) could
point them at the bank's own network: cloud metadata (169.254.169.254), loopback admin ports,
private services, in any spelling (decimal, octal, IPv6, IPv4-mapped IPv6, a DNS name that
resolves to loopback), or at a server that redirects there, answers forever or answers too much.

The live server cannot show this (its own recipients are on loopback, allowed over http in the
test settings), so these tests run in-process with production-like settings
(BANK_ALLOW_HTTP_CLIENT_URIS off) and watch the sockets: `connections` records every address
the bank tries to connect to, and refuses it, so no test ever reaches the network.

What happens: the bank refuses a non-public destination before it connects
(security/outbound.py: resolve once, every address globally routable, connect to that very
address), and the legitimate fetch to a public address is shown to connect (so the tests can
fail). These tests were written first as xfail(strict) VULN tests; the guard came after.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3.util.connection
from django.test import Client

from security.oauth import client_jwks
from security.oauth.client_jwks import fetch_jwks
from security.oauth.jose import JoseError
from security.oauth.models import ClientRegistration
from tests.oauth.conftest import client_app, make_client  # noqa: F401 (fixtures)
from tests.register.harness import (  # noqa: F401  # noqa: F401
    HttpRouter,
    dcr_post,
    make_recipient,
    register_env,
    register_keys_dir,
)

#: Destinations a registration must never make the bank connect to: (label, URL, the address
#: the bank would connect to). DNS names are resolved by `resolver` below.
FORBIDDEN = [
    ("cloud metadata", "https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("10/8", "https://10.1.2.3/jwks", "10.1.2.3"),
    ("172.16/12", "https://172.20.0.5/jwks", "172.20.0.5"),
    ("192.168/16", "https://192.168.1.10/jwks", "192.168.1.10"),
    ("loopback", "https://127.0.0.1:8444/jwks", "127.0.0.1"),
    ("loopback /8", "https://127.1.2.3/jwks", "127.1.2.3"),
    ("unspecified", "https://0.0.0.0/jwks", "0.0.0.0"),  # noqa: S104 - a target, not a bind
    ("CGNAT", "https://100.64.0.1/jwks", "100.64.0.1"),
    ("IPv6 loopback", "https://[::1]/jwks", "::1"),
    ("IPv6 unique local", "https://[fc00::1]/jwks", "fc00::1"),
    ("IPv6 link local", "https://[fe80::1]/jwks", "fe80::1"),
    ("IPv4-mapped IPv6", "https://[::ffff:127.0.0.1]/jwks", "::ffff:127.0.0.1"),
    ("IPv4-mapped metadata", "https://[::ffff:a9fe:a9fe]/jwks", "::ffff:a9fe:a9fe"),
    ("decimal IP", "https://2130706433/jwks", "127.0.0.1"),
    ("octal IP", "https://0177.0.0.1/jwks", "127.0.0.1"),
    ("hex IP", "https://0x7f.0.0.1/jwks", "127.0.0.1"),
    ("localhost", "https://localhost/jwks", "127.0.0.1"),
    ("a name resolving to loopback", "https://jwks.rebind.example/jwks", "127.0.0.1"),
    ("a name resolving to metadata", "https://meta.rebind.example/jwks", "169.254.169.254"),
]
#: What the (fake) DNS answers; anything else is a public address.
DNS = {"localhost": "127.0.0.1", "jwks.rebind.example": "127.0.0.1",
       "meta.rebind.example": "169.254.169.254", "2130706433": "127.0.0.1",
       "0177.0.0.1": "127.0.0.1", "0x7f.0.0.1": "127.0.0.1"}
PUBLIC_URL = "https://jwks.recipient.example/jwks"
#: A globally routable address (203.0.113.0/24, TEST-NET-3, is not: `is_global` is False).
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the bank tries to connect to over `requests`; each attempt is refused
    (nothing leaves the machine). Names resolve through `DNS` (glibc would resolve the decimal,
    octal and hex forms to 127.0.0.1 just the same); the rest to a public address."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
            address = name
        except OSError:
            address = DNS.get(name, PUBLIC_ADDRESS)
        return real_getaddrinfo(address, port, *args, **kwargs)

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        host = address[0]
        infos = getaddrinfo(host, address[1], 0, socket.SOCK_STREAM)
        attempts.extend(str(info[4][0]) for info in infos[:1])
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return attempts


@pytest.fixture
def production_like(settings: Any) -> Any:
    settings.BANK_ALLOW_HTTP_CLIENT_URIS = False
    settings.BANK_ALLOW_PRIVATE_OUTBOUND = False
    return settings


def test_a_public_jwks_uri_is_fetched(production_like: Any, connections: list[str]) -> None:
    """The legitimate case reaches the connection (so the refusals below are not vacuous)."""
    with pytest.raises(JoseError, match="could not be fetched"):
        fetch_jwks(PUBLIC_URL)
    assert connections == [PUBLIC_ADDRESS]


@pytest.mark.parametrize("uri", ["http://jwks.recipient.example/jwks",
                                 "ftp://jwks.recipient.example/jwks",
                                 "file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO"])
def test_only_https_is_fetched_in_production(production_like: Any, connections: list[str],
                                             uri: str) -> None:
    with pytest.raises(JoseError, match="https"):
        fetch_jwks(uri)
    assert connections == []


@pytest.mark.parametrize(("label", "uri", "address"), FORBIDDEN,
                         ids=[label for label, _, _ in FORBIDDEN])
def test_a_jwks_uri_on_a_non_public_address_is_not_connected_to(
        production_like: Any, connections: list[str], label: str, uri: str,
        address: str) -> None:
    with pytest.raises(JoseError):
        fetch_jwks(uri)
    assert connections == [], f"{label}: the bank connected to {connections}"


def test_a_revocation_notice_is_not_sent_to_a_private_recipient_base_uri(
        production_like: Any, connections: list[str], client_app: Any) -> None:  # noqa: F811
    """The bank POSTs `<recipient_base_uri>/arrangements/revoke` on its own initiative (a
    customer revoked on the dashboard): a recipient_base_uri on the metadata address must
    not be called."""
    from security.consent.models import Arrangement, ArrangementStatus
    from security.oauth import notifications

    registration = client_app.registration
    registration.recipient_base_uri = "https://169.254.169.254"
    registration.save(update_fields=["recipient_base_uri"])
    arrangement = Arrangement(software_product=registration.software_product,
                              status=ArrangementStatus.REVOKED, cdr_arrangement_id="a-1")
    try:
        notifications.arrangement_revocation_notice_send(arrangement=arrangement)
    except Exception:  # noqa: S110 - a refused connection is what we want to see
        pass
    assert connections == [], f"the bank connected to {connections}"


# The SSA's URIs at registration (DCR through the Register harness) -----------------------
#: SSA URIs the bank stores but must never fetch; put on the metadata address.
NEVER_FETCHED = ("logo_uri", "client_uri", "tos_uri", "policy_uri", "revocation_uri",
                 "sector_identifier_uri")
METADATA = "https://169.254.169.254"


def test_registration_fetches_only_the_jwks_uri(make_recipient: Callable[..., Any],  # noqa: F811
                                                register_env: HttpRouter,  # noqa: F811
                                                settings: Any) -> None:
    """Every other SSA URI on the metadata address: registration succeeds and the bank's only
    outbound calls are to the Register and the jwks_uri."""
    settings.BANK_ALLOW_HTTP_CLIENT_URIS = True  # the harness's Register is http://testserver
    recipient = make_recipient(**{name: f"{METADATA}/{name}" for name in NEVER_FETCHED
                                  if name not in ("tos_uri", "policy_uri")})
    recipient.product.tos_uri = f"{METADATA}/tos_uri"
    recipient.product.policy_uri = f"{METADATA}/policy_uri"
    recipient.product.save(update_fields=["tos_uri", "policy_uri"])
    jwks_uri = recipient.product.jwks_uri
    response = dcr_post(Client(), recipient.registration_request())
    assert response.status_code == 201, response.content
    assert response.json()["logo_uri"] == f"{METADATA}/logo_uri"
    fetched = [url for _, url in register_env.calls if not url.startswith("http://testserver/")]
    assert set(fetched) == {jwks_uri}
    assert not any("169.254" in url for _, url in register_env.calls)


@pytest.mark.parametrize("jwks_uri", [f"{METADATA}/jwks", "https://10.0.0.8/jwks",
                                      "https://[::1]:8444/jwks", "https://localhost/jwks"])
def test_registration_with_a_private_jwks_uri_is_refused_before_any_fetch(
        make_recipient: Callable[..., Any], register_env: HttpRouter,  # noqa: F811
        settings: Any, jwks_uri: str) -> None:
    settings.BANK_ALLOW_HTTP_CLIENT_URIS = True  # the harness's Register is http://testserver
    settings.BANK_ALLOW_PRIVATE_OUTBOUND = False  # as in production, for the recipient's URLs
    recipient = make_recipient()
    recipient.product.jwks_uri = jwks_uri
    recipient.product.save(update_fields=["jwks_uri"])
    register_env.documents[jwks_uri] = register_env.documents.pop(
        next(iter(u for u in register_env.documents if u.endswith("/jwks"))))
    # The SSA first: the (mock) Register checks the recipient's key at its jwks_uri itself,
    # as the real Register may; only the bank's own fetches count below.
    ssa = recipient.ssa()
    register_env.calls.clear()
    response = dcr_post(Client(), recipient.registration_request(ssa))
    assert response.status_code == 400, response.content
    assert response.json()["error"] in {"invalid_software_statement", "invalid_client_metadata"}
    assert not ClientRegistration.objects.exists()
    fetched = [url for _, url in register_env.calls if url == jwks_uri]
    assert fetched == [], "the bank fetched a jwks_uri on a private address"


# Redirects, size and time, against a real server the test controls ----------------------
class _Server:
    """A local HTTP server with one behaviour per path."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner.hits.append(self.path)
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{owner.port}/internal")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/big":
                    body = json.dumps({"keys": [], "pad": "x" * (2 * 1024 * 1024)}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    try:
                        self.wfile.write(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                elif self.path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "4096")
                    self.end_headers()
                    try:
                        for _ in range(16):  # a byte every 0.25 s: each read is quick
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.25)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                else:
                    body = b'{"keys": []}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server(settings: Any) -> Iterator[_Server]:
    settings.BANK_ALLOW_HTTP_CLIENT_URIS = True  # a local plain-HTTP server stands in
    running = _Server()
    yield running
    running.httpd.shutdown()


def test_a_jwks_from_the_server_is_read(server: _Server) -> None:
    assert fetch_jwks(server.url("/jwks")) == {"keys": []}


def test_redirects_are_never_followed(server: _Server) -> None:
    with pytest.raises(JoseError):
        fetch_jwks(server.url("/redirect"))
    assert server.hits == ["/redirect"]


def test_an_oversize_answer_is_cut_off(server: _Server) -> None:
    with pytest.raises(JoseError, match="too much"):
        fetch_jwks(server.url("/big"))


def test_a_slow_answer_is_cut_off_at_the_deadline(server: _Server,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read is quick (a byte every 0.25 s, under any per-read timeout), so only a
    deadline for the whole fetch stops it."""
    monkeypatch.setattr(client_jwks, "FETCH_DEADLINE", 1.0)
    started = time.monotonic()
    with pytest.raises(JoseError):
        fetch_jwks(server.url("/slow"))
    took = time.monotonic() - started
    assert took < 3, f"the fetch ran {took:.1f}s past a 1s deadline"
