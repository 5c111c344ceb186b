"""OWASP API4:2023 Unrestricted Resource Consumption, against the live bank over TLS and mTLS.

What a tester tries: pages larger than the standard allows, pages past the end, bodies over the
limit (declared and actually sent), JSON nested or repeated to make the parser work, more query
parameters and longer headers than a request should carry, and floods of each kind of call the
bank limits. Expected: the CDS error of the standard (400 Field/InvalidPageSize, 422
Field/InvalidPage, 413, 400 Field/Invalid), gunicorn's own refusal for over-long request lines
and headers (no Django, no version), and 429 with an exact `Retry-After` for every limited class
of call, each in its own family's body (CDR error, OAuth JSON error, a plain page).

The live rate limits: tests/e2e/test_rate_limits_live.py already proves the public site-wide
total across three workers on Redis. Here a second bank (one worker per listener, the same
database, the in-memory store, every other operation's limit set low) shows every other limited
class refusing at exactly its limit: per source address (public calls, /authorize, the password
and the one-time code), per client certificate (every mTLS call), per client for PAR, token,
introspection, revocation and registration, and the `text` search per customer. Per-source tests
each come from their own loopback address (127.0.0.x), so they never share a bucket.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.e2e.conftest import ROOT, LiveBank, Pem, _free_port
from tests.security.attacks.conftest import (
    BASIC_SCOPE,
    Party,
    assert_no_internals,
    assert_security_headers,
    authorize,
    call,
    cdr_error,
    fapi_date,
)

PAGE_SIZE_MAX = 1000
BODY_LIMIT = 128 * 1024


# Pagination ------------------------------------------------------------------------------
#: (path, x-v) of paginated list endpoints, authenticated and public.
PAGED = [("banking/accounts", "3"), ("banking/payees", "2"),
         ("banking/accounts/direct-debits", "2"), ("banking/payments/scheduled", "3")]


@pytest.mark.parametrize(("path", "x_v"), PAGED)
def test_page_size_up_to_the_maximum_is_served(victim: Party, path: str, x_v: str) -> None:
    response = call(victim.recipient, path, victim.access_token, x_v,
                    params={"page-size": str(PAGE_SIZE_MAX)})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["meta"]["totalPages"] == 1


@pytest.mark.parametrize(("path", "x_v"), PAGED)
@pytest.mark.parametrize("size", ["1001", "99999999", "1" + "0" * 29])
def test_page_size_over_the_maximum_is_invalid_page_size(victim: Party, path: str, x_v: str,
                                                         size: str) -> None:
    response = call(victim.recipient, path, victim.access_token, x_v, params={"page-size": size})
    cdr_error(response, 400, "Field/InvalidPageSize")


@pytest.mark.parametrize("size", ["abc", "0", "-1", "1e3", "1.5", "", " 10", "0x10",
                                  "\uff11\uff10",  # fullwidth digits: str.isdigit() says yes
                                  "9" * 31])
def test_page_size_that_is_not_a_positive_integer_is_invalid(victim: Party, size: str) -> None:
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                    params={"page-size": size})
    error = cdr_error(response, 400, "Field/Invalid")
    assert error["detail"] == "page-size"


def test_public_page_size_is_bounded_too(live_bank: LiveBank) -> None:
    url = f"{live_bank.url}/cds-au/v1/banking/products"
    ok = requests.get(url, params={"page-size": "1000"}, headers={"x-v": "5"},
                      verify=str(live_bank.ca), timeout=15)
    assert ok.status_code == 200
    refused = requests.get(url, params={"page-size": "1001"}, headers={"x-v": "5"},
                           verify=str(live_bank.ca), timeout=15)
    cdr_error(refused, 400, "Field/InvalidPageSize")


@pytest.mark.parametrize("page", ["2", "1000", "1" + "0" * 29])
def test_a_page_past_the_last_is_invalid_page(victim: Party, page: str) -> None:
    # The victim's accounts fit on one page of 25.
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                    params={"page": page})
    error = cdr_error(response, 422, "Field/InvalidPage")
    assert error["detail"] == "1"  # the last page there is
    first = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                 params={"page": "1"})
    assert first.status_code == 200


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.0"])
def test_a_page_that_is_not_a_positive_integer_is_invalid(victim: Party, page: str) -> None:
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3",
                    params={"page": page})
    assert cdr_error(response, 400, "Field/Invalid")["detail"] == "page"


# Bodies ----------------------------------------------------------------------------------
def _balances(party: Party, body: bytes, **headers: str) -> requests.Response:
    return call(party.recipient, "banking/accounts/balances", party.access_token, "1",
                method="POST", data=body,
                headers={"Content-Type": "application/json", **headers})


def _balances_body(party: Party, **extra: Any) -> dict[str, Any]:
    return {"data": {"accountIds": party.account_ids[:1]}, "meta": {}, **extra}


def test_a_body_within_the_limit_is_served(victim: Party) -> None:
    response = _balances(victim, json.dumps(_balances_body(victim)).encode())
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["data"]["balances"]) == 1


def test_a_body_over_the_limit_is_413(victim: Party) -> None:
    padding = "x" * (BODY_LIMIT + 1)
    body = json.dumps(_balances_body(victim, pad=padding)).encode()
    cdr_error(_balances(victim, body), 413, "GeneralError/Expected")


def _raw_exchange(host: str, port: int, request: bytes, *, ca: str,
                  cert: tuple[str, str] | None = None, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send `request` as is over TLS and read the answer until it is complete, the server
    closes or `timeout`; (answer, seconds until its first byte)."""
    context = ssl.create_default_context(cafile=ca)
    if cert is not None:
        context.load_cert_chain(*cert)
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(request)
        answer = bytearray()
        first_byte = timeout
        try:
            while chunk := tls.recv(65536):
                if not answer:
                    first_byte = time.monotonic() - started
                answer.extend(chunk)
                if b"\r\n\r\n" in answer and _complete(bytes(answer)):
                    break
        except (TimeoutError, ssl.SSLError, ConnectionResetError):
            pass
    return bytes(answer), first_byte


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    if re.search(rb"(?i)\r\ntransfer-encoding:\s*chunked", head):
        return body.endswith(b"0\r\n\r\n")
    match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    return match is not None and len(body) >= int(match.group(1))


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("https://").split(":")
    return host, int(port)


def test_a_declared_oversize_body_is_refused_before_it_is_sent(victim: Party,
                                                               live_bank: LiveBank) -> None:
    """Content-Length says 50 MB and nothing follows: the answer comes at once (unread)."""
    host, port = _host_port(live_bank.mtls_url)
    request = (
        f"POST /cds-au/v1/banking/accounts/balances HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {victim.access_token}\r\nx-v: 1\r\n"
        f"x-fapi-auth-date: {fapi_date()}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    answer, took = _raw_exchange(host, port, request, ca=str(live_bank.ca), cert=victim.cert)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert took < 5, "the bank waited for a body it was always going to refuse"
    assert b"urn:au-cds:error:cds-all:GeneralError/Expected" in answer, answer[:600]


def test_a_refused_body_is_not_drained(victim: Party, live_bank: LiveBank) -> None:
    host, port = _host_port(live_bank.mtls_url)
    head = (
        f"POST /cds-au/v1/banking/accounts/balances HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {victim.access_token}\r\nx-v: 1\r\n"
        f"x-fapi-auth-date: {fapi_date()}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    context = ssl.create_default_context(cafile=str(live_bank.ca))
    context.load_cert_chain(*victim.cert)
    with socket.create_connection((host, port), timeout=3) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(head)
        answer = tls.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
        # bank/wsgi.py has gunicorn close the connection rather than drain the body.
        assert re.search(rb"(?im)^connection:\s*close", answer), answer[:300]
        # ...and it does close: the rest of the answer, then end of stream, not a wait.
        tls.settimeout(3)
        while tls.recv(65536):
            pass


def test_a_chunked_body_is_never_read(victim: Party) -> None:
    """No Content-Length to check up front: under WSGI the app reads no body at all without
    one (Django treats it as empty), so 256 KiB sent chunked costs nothing and the call is
    refused for its missing members, not served."""
    chunk = b" " * 65536

    def body() -> Iterator[bytes]:
        yield b'{"data": {"accountIds": ' + json.dumps(victim.account_ids[:1]).encode()
        yield b'}, "meta": {}, "pad": "'
        for _ in range(4):  # 256 KiB
            yield chunk
        yield b'"}'

    started = time.monotonic()
    response = _balances(victim, body())  # type: ignore[arg-type]
    assert time.monotonic() - started < 5
    assert cdr_error(response, 400, "Field/Missing")["detail"] == "data"


@pytest.mark.parametrize(("label", "body"), [
    ("nested 17 deep", b'{"data": {"accountIds": []}, "meta": {}, "x": '
     + b"[" * 16 + b"]" * 16 + b"}"),
    ("nested 5000 deep", b'{"data": {"accountIds": []}, "meta": {}, "x": '
     + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("8,000 members", b'{"data": {"accountIds": []}, "meta": {}, "x": {'
     + b",".join(b'"k%d": 0' % i for i in range(8_000)) + b"}}"),
    ("a huge number", b'{"data": {"accountIds": []}, "meta": {"n": ' + b"9" * 100_000 + b"}}"),
])
def test_costly_json_is_refused_not_parsed_at_length(victim: Party, label: str,
                                                     body: bytes) -> None:
    started = time.monotonic()
    response = _balances(victim, body)
    assert time.monotonic() - started < 5, label
    assert response.status_code in {400, 413}, (label, response.status_code, response.text[:200])
    expected = "GeneralError/Expected" if response.status_code == 413 else "Field/Invalid"
    cdr_error(response, response.status_code, expected)


def test_json_nested_to_the_limit_is_parsed(victim: Party) -> None:
    """16 levels is allowed (the refusal above is the limit, not any nesting): the body reaches
    the member check, which names the unknown member."""
    body = (b'{"data": {"accountIds": ' + json.dumps(victim.account_ids[:1]).encode()
            + b'}, "meta": {"x": ' + b"[" * 13 + b"]" * 13 + b"}}")
    response = _balances(victim, body)
    assert response.status_code in {200, 400}, response.text[:300]
    if response.status_code == 400:
        assert "not valid JSON" not in response.text


# Query parameters and headers ------------------------------------------------------------
def test_unknown_query_parameters_are_refused_by_name(victim: Party) -> None:
    params = [("page-size", "10"), ("p1", "1"), ("p2", "1")]
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3", params=params)
    error = cdr_error(response, 400, "Field/Invalid")
    assert error["detail"] in {"p1", "p2"}, error


def test_more_query_parameters_than_django_parses_are_refused(victim: Party) -> None:
    """Over DATA_UPLOAD_MAX_NUMBER_FIELDS (100) the query string is not even parsed."""
    params = [(f"p{i}", "1") for i in range(150)]
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3", params=params)
    cdr_error(response, 400, "GeneralError/Expected")


def test_a_repeated_query_parameter_is_refused(victim: Party) -> None:
    params = [("page-size", "10")] * 50
    response = call(victim.recipient, "banking/accounts", victim.access_token, "3", params=params)
    cdr_error(response, 400, "Field/Invalid")


def _gunicorn_refusal(answer: bytes) -> str:
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1")
    status = head.split("\r\n", 1)[0]
    assert status.startswith("HTTP/1.1 4"), answer[:300]
    assert not re.search(r"(?im)^server:", head), head
    text = answer.decode("latin-1")
    assert "gunicorn" not in text.lower() and "Traceback" not in text
    return status


def test_an_over_long_request_line_is_refused_by_the_server(live_bank: LiveBank) -> None:
    host, port = _host_port(live_bank.url)
    target = "/cds-au/v1/banking/products?" + "a" * 9000
    request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nx-v: 5\r\n\r\n".encode()
    answer, _ = _raw_exchange(host, port, request, ca=str(live_bank.ca))
    assert _gunicorn_refusal(answer) == "HTTP/1.1 414 URI Too Long"


@pytest.mark.parametrize("shape", ["one long header", "too many headers"])
def test_over_long_or_too_many_headers_are_refused_by_the_server(live_bank: LiveBank,
                                                                 victim: Party,
                                                                 shape: str) -> None:
    host, port = _host_port(live_bank.mtls_url)
    if shape == "one long header":
        extra = f"x-fapi-interaction-id: {'a' * 9000}\r\n"
    else:
        extra = "".join(f"x-junk-{i}: 1\r\n" for i in range(120))
    request = (f"GET /cds-au/v1/banking/accounts HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Authorization: Bearer {victim.access_token}\r\nx-v: 3\r\n{extra}\r\n").encode()
    answer, _ = _raw_exchange(host, port, request, ca=str(live_bank.ca), cert=victim.cert)
    assert _gunicorn_refusal(answer) == "HTTP/1.1 431 Request Header Fields Too Large"
    # The same request within the limits is served.
    ok = call(victim.recipient, "banking/accounts", victim.access_token, "3")
    assert ok.status_code == 200


# Rate limits per class, live -------------------------------------------------------------
#: Every limit a refusal here could come from: low, one token an hour (so a refusal's
#: Retry-After is the real wait, up to an hour). The site-wide totals stay high (the existing
#: live test covers them); the per-certificate one is above what the per-client tests spend.
OPERATION_BURST = 3
LIMITS = {
    "public_per_source": ["1/h", 5],
    "client_certificate": ["1/h", 25],
    "authorize_per_source": ["1/h", OPERATION_BURST],
    "login_per_source": ["1/h", OPERATION_BURST],
    "otp_per_source": ["1/h", OPERATION_BURST],
    "par_per_client": ["1/h", OPERATION_BURST],
    "token_per_client": ["1/h", OPERATION_BURST],
    "client_calls_per_client": ["1/h", OPERATION_BURST],
    "write_per_client": ["1/h", OPERATION_BURST],
    "registration_per_client": ["1/h", OPERATION_BURST],
    "search_per_customer": ["1/h", OPERATION_BURST],
}


@dataclass
class LimitedBank:
    url: str
    mtls_url: str
    ca: str
    client: Pem  # for the per-client operations (one certificate, one bucket per rule)
    flooder: Pem  # for the per-certificate limit alone


class SourceAddressAdapter(HTTPAdapter):
    """Connections from a chosen loopback address: each per-source test is its own source."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def _from(source: str) -> requests.Session:
    session = requests.Session()
    session.mount("https://", SourceAddressAdapter(source))
    return session


@pytest.fixture(scope="module")
def limited_bank(live_bank: LiveBank) -> Iterator[LimitedBank]:
    """The live bank's code, database and keys, served again with low limits (one worker per
    listener, in-memory counters: exact)."""
    env = {**live_bank.env, "BANK_RATE_LIMIT_MULTIPLIER": "1",
           "BANK_RATE_LIMIT_STORE": "memory://",
           "BANK_RATE_LIMIT_KEY_PREFIX": f"rl-attack-{uuid.uuid4().hex}",
           "BANK_RATE_LIMIT_OVERRIDES": json.dumps(LIMITS)}
    env.pop("REDIS_URL", None)
    ports = {"public": _free_port(), "mtls": _free_port()}
    log = (live_bank.workdir / "limited-attack.log").open("w")
    servers = [subprocess.Popen(
        [sys.executable, "-m", "bank.serve", listener, "--bind", f"127.0.0.1:{port}",
         "--pki-dir", str(live_bank.pki.root), "--workers", "1", "--threads", "4"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT) for listener, port in ports.items()]
    bank = LimitedBank(url=f"https://127.0.0.1:{ports['public']}",
                       mtls_url=f"https://127.0.0.1:{ports['mtls']}", ca=str(live_bank.ca),
                       client=live_bank.pki.client("limits-client"),
                       flooder=live_bank.pki.client("limits-flooder"))
    ready = live_bank.pki.client("limits-ready")
    try:
        deadline = time.monotonic() + 30
        # Readiness from 127.0.0.1 and the readiness certificate: no test's bucket.
        for url, cert in ((f"{bank.url}/jwks", None), (f"{bank.mtls_url}/jwks", ready.pair)):
            while True:
                try:
                    requests.get(url, verify=bank.ca, cert=cert, timeout=2)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline or any(s.poll() is not None for s in servers):
                        raise AssertionError(
                            (live_bank.workdir / "limited-attack.log").read_text()) from None
                    time.sleep(0.3)
        yield bank
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
        log.close()


def _retry_after(response: requests.Response) -> int:
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 3600, wait
    return wait


def _until_refused(send: Any, most: int = 60) -> tuple[list[int], requests.Response]:
    """Statuses of the calls served before the first 429, and that 429."""
    served: list[int] = []
    for _ in range(most):
        response = send()
        if response.status_code == 429:
            return served, response
        served.append(response.status_code)
    raise AssertionError(f"no 429 after {most} calls: {served[-5:]}")


def test_public_calls_are_limited_per_source_with_a_cdr_error(limited_bank: LimitedBank) -> None:
    session = _from("127.0.0.21")
    served, refused = _until_refused(lambda: session.get(
        f"{limited_bank.url}/cds-au/v1/discovery/status", headers={"x-v": "1"},
        verify=limited_bank.ca, timeout=10))
    assert served == [200] * 5
    cdr_error(refused, 429, "GeneralError/Expected")
    _retry_after(refused)
    # Another source is not affected.
    other = _from("127.0.0.22").get(f"{limited_bank.url}/cds-au/v1/discovery/status",
                                    headers={"x-v": "1"}, verify=limited_bank.ca, timeout=10)
    assert other.status_code == 200


def test_authorize_is_limited_per_source(limited_bank: LimitedBank) -> None:
    session = _from("127.0.0.23")
    served, refused = _until_refused(lambda: session.get(
        f"{limited_bank.url}/authorize", params={"client_id": "nobody", "request_uri": "x"},
        verify=limited_bank.ca, timeout=10, allow_redirects=False))
    assert len(served) == OPERATION_BURST and 429 not in served
    assert refused.headers["Content-Type"].startswith("text/html")
    assert_security_headers(refused)
    assert_no_internals(refused)
    _retry_after(refused)


def _csrf(session: requests.Session, url: str, ca: str) -> str:
    page = session.get(url, verify=ca, timeout=10)
    assert page.status_code == 200, page.status_code
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, "no CSRF token on the login page"
    return match.group(1)


def test_password_attempts_are_limited_per_source(limited_bank: LimitedBank) -> None:
    session = _from("127.0.0.24")
    url = f"{limited_bank.url}/dashboard/login"
    tokens = [_csrf(session, url, limited_bank.ca)]

    def attempt() -> requests.Response:
        response = session.post(url, data={"csrfmiddlewaretoken": tokens[-1],
                                           "customer_id": f"nobody-{uuid.uuid4().hex[:8]}",
                                           "password": "wrong"},
                                headers={"Origin": limited_bank.url, "Referer": url},
                                verify=limited_bank.ca, timeout=10, allow_redirects=False)
        # The form comes back with a fresh CSRF token (rotated at each attempt).
        fresh = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        if fresh:
            tokens.append(fresh.group(1))
        return response

    served, refused = _until_refused(attempt)
    assert len(served) == OPERATION_BURST and 403 not in served, served  # not CSRF refusals
    assert refused.headers["Content-Type"].startswith("text/html")
    _retry_after(refused)


def test_one_time_code_attempts_are_limited_per_source(limited_bank: LimitedBank) -> None:
    """POSTs to the code step spend the code limit whatever state the session is in."""
    session = _from("127.0.0.25")
    login = f"{limited_bank.url}/dashboard/login"
    token = _csrf(session, login, limited_bank.ca)
    url = f"{limited_bank.url}/dashboard/login/code"

    def attempt() -> requests.Response:
        return session.post(url, data={"csrfmiddlewaretoken": token, "code": "000000",
                                       "action": "verify"},
                            headers={"Origin": limited_bank.url, "Referer": url},
                            verify=limited_bank.ca, timeout=10, allow_redirects=False)

    served, refused = _until_refused(attempt)
    assert len(served) == OPERATION_BURST and 403 not in served, served
    _retry_after(refused)


#: Per-client operations on the mTLS listener: (path, form) answered without any valid
#: credential, so each call is refused (401/400) but still spends its limit.
CLIENT_OPERATIONS = {
    "par": ("/par", {"request": "x"}),
    "token": ("/token", {"grant_type": "client_credentials"}),
    "introspection": ("/introspect", {"token": "x"}),
    "revocation": ("/revoke", {"token": "x"}),
    "registration": ("/register", None),
}


@pytest.mark.parametrize("operation", CLIENT_OPERATIONS)
def test_each_client_operation_is_limited_per_certificate(limited_bank: LimitedBank,
                                                          operation: str) -> None:
    path, form = CLIENT_OPERATIONS[operation]

    def send() -> requests.Response:
        if form is None:
            return requests.post(limited_bank.mtls_url + path, data=b"not-a-jwt",
                                 headers={"Content-Type": "application/jwt"},
                                 verify=limited_bank.ca, cert=limited_bank.client.pair,
                                 timeout=10)
        return requests.post(limited_bank.mtls_url + path, data=form, verify=limited_bank.ca,
                             cert=limited_bank.client.pair, timeout=10)

    served, refused = _until_refused(send)
    assert len(served) == OPERATION_BURST, (operation, served)
    assert all(400 <= status < 500 for status in served), served
    assert refused.json()["error"] == "temporarily_unavailable"
    assert_security_headers(refused)
    _retry_after(refused)


def test_every_mtls_call_is_limited_per_certificate(limited_bank: LimitedBank) -> None:
    """Before any other check: calls without a token spend the certificate's budget too."""
    def send() -> requests.Response:
        return requests.get(f"{limited_bank.mtls_url}/cds-au/v1/banking/accounts",
                            headers={"x-v": "3"}, verify=limited_bank.ca,
                            cert=limited_bank.flooder.pair, timeout=10)

    served, refused = _until_refused(send)
    assert served == [401] * 25, served
    cdr_error(refused, 429, "GeneralError/Expected")
    _retry_after(refused)
    # Another certificate is not affected.
    other = requests.get(f"{limited_bank.mtls_url}/cds-au/v1/banking/accounts",
                         headers={"x-v": "3"}, verify=limited_bank.ca,
                         cert=limited_bank.client.pair, timeout=10)
    assert other.status_code == 401


def test_the_text_search_is_limited_per_customer(limited_bank: LimitedBank, live_bank: LiveBank,
                                                 victim_recipient: Any) -> None:
    """The expensive call (it decrypts descriptions) has its own, lower limit; plain listing
    of the same account stays within the product's budget."""
    party = authorize(live_bank, victim_recipient, username="jane.citizen", scope=BASIC_SCOPE,
                      accounts=["Everyday Account"], discover=False)
    token = party.access_token
    accounts = requests.get(f"{limited_bank.mtls_url}/cds-au/v1/banking/accounts",
                            headers={"Authorization": f"Bearer {token}", "x-v": "3",
                                     "x-fapi-auth-date": fapi_date()},
                            verify=limited_bank.ca, cert=party.cert, timeout=10)
    assert accounts.status_code == 200, accounts.text[:300]
    account = accounts.json()["data"]["accounts"][0]["accountId"]
    url = f"{limited_bank.mtls_url}/cds-au/v1/banking/accounts/{account}/transactions"

    def search(**params: str) -> requests.Response:
        return requests.get(url, params=params,
                            headers={"Authorization": f"Bearer {token}", "x-v": "2",
                                     "x-fapi-auth-date": fapi_date()},
                            verify=limited_bank.ca, cert=party.cert, timeout=30)

    served, refused = _until_refused(lambda: search(text="coffee"))
    assert served == [200] * OPERATION_BURST
    cdr_error(refused, 429, "GeneralError/Expected")
    _retry_after(refused)
    assert search().status_code == 200  # the listing without `text` is not a search
