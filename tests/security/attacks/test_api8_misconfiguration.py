"""OWASP API8:2023 Security Misconfiguration, against the live bank (gunicorn over TLS).

What a tester checks from the outside: every route the URL configuration has, on both
listeners (its own and the wrong one), answers with the security headers (CSP, HSTS, nosniff,
X-Frame-Options, Referrer-Policy, COOP/CORP/COEP, Permissions-Policy, `Cache-Control: no-store`
on everything but the few cacheable documents) and without a `Server` or `X-Powered-By`
header; error answers of every status the bank gives (400, 401, 403, 404, 405, 406, 415, 422;
429 is in test_api4_resource_consumption.py) are CDS error bodies with no stack trace, no Django
debug page and no version; DEBUG is off (an unknown URL is not Django's technical 404); CORS
is open (`*`, never with credentials) only on the public CDR endpoints the standard names, and
closed everywhere else. The TLS policy (versions, ciphers, groups, no renegotiation) is proven by
real handshakes in tests/e2e/test_tls_policy.py and tests/e2e/test_sslyze.py, not repeated here.
In-process, tests/security/test_response_headers.py checks the same headers value by value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from django.urls import get_resolver

from security.listeners import MTLS, listener_for_path
from tests.e2e.conftest import LiveBank
from tests.security.attacks.conftest import (
    Party,
    assert_no_internals,
    assert_security_headers,
    call,
    cdr_error,
)
from tests.security.test_listeners import _routes

#: Documents meant to be cached for a while (key rotation is seen within five minutes).
CACHEABLE = {"/.well-known/openid-configuration", "/jwks",
             "/mock-register/cdr-register/v1/jwks",
             "/mock-register/idp/.well-known/openid-configuration",
             "/mock-register/idp/.well-known/openid-configuration/jwks", "/api/schema"}
#: Paths the standard makes CORS-open (CDS security/_cors.md: unauthenticated endpoints).
CORS_OPEN = {"/cds-au/v1/banking/products", "/cds-au/v1/banking/products/x1",
             "/cds-au/v1/discovery/status", "/cds-au/v1/discovery/outages"}
#: Public documents any web client may read (OpenID discovery and the bank's JWKS): open, but
#: never with credentials.
OPEN_DOCUMENTS = ("/.well-known/openid-configuration", "/jwks")
_LEAKS = re.compile(r"(?i)(gunicorn|wsgiref|werkzeug|python/3|django/\d|DEBUG = True|"
                    r"technical_404|settings\.py|Request Method:|Exception Location)")


def _concrete(route: str) -> str:
    route = re.sub(r"<str:\w+>", "x1", route)
    route = re.sub(r"<(?:path|int):\w+>", "1", route)
    return "/" + route


def _paths() -> list[str]:
    paths = {_concrete(route) for route in _routes(get_resolver().url_patterns)
             if "(?P" not in route and "^" not in route}
    return sorted(paths | {"/no-such-page", "/static/consent/consent.css", "/static/nope.css"})


@pytest.fixture(scope="module")
def walker(live_bank: LiveBank) -> tuple[str, str]:
    """A client certificate of the demo CA with no registration behind it."""
    return live_bank.pki.client("misconfig-walker").pair


@pytest.fixture(scope="module")
def sessions(walker: tuple[str, str]) -> Iterator[dict[str, requests.Session]]:
    public, mtls = requests.Session(), requests.Session()
    mtls.cert = walker
    yield {"public": public, "mtls": mtls}
    public.close()
    mtls.close()


def _url(bank: LiveBank, listener: str, path: str) -> str:
    return (bank.mtls_url if listener == MTLS else bank.url) + path


def assert_headers(response: requests.Response, path: str) -> None:
    assert_security_headers(response)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    if path not in CACHEABLE and not path.startswith("/static/"):
        assert "no-store" in headers["Cache-Control"], (path, headers["Cache-Control"])
    assert not _LEAKS.search(response.text), (path, _LEAKS.search(response.text))


@pytest.mark.parametrize("path", _paths())
def test_every_route_on_both_listeners_is_hardened(live_bank: LiveBank,
                                                   sessions: dict[str, requests.Session],
                                                   path: str) -> None:
    home = listener_for_path(path)
    for listener in ("public", "mtls"):
        response = sessions[listener].get(_url(live_bank, listener, path), verify=str(live_bank.ca),
                                          allow_redirects=False, timeout=15,
                                          headers={"x-v": "1"})
        assert response.status_code < 500, (listener, path, response.status_code)
        assert_headers(response, path)
        if home is not None and listener != home:
            assert response.status_code == 404, (listener, path, response.status_code)


def test_an_unknown_url_is_a_cdr_404_not_a_debug_page(live_bank: LiveBank) -> None:
    response = requests.get(f"{live_bank.url}/cds-au/v1/banking/nothing-here?debug=1",
                            verify=str(live_bank.ca), timeout=15)
    cdr_error(response, 404, "Resource/NotFound")
    assert "Page not found" not in response.text and "URLconf" not in response.text


#: (label, method, path, headers, body, status, CDS code) for each error the bank gives.
def _error_cases(party: Party) -> list[tuple[str, str, str, dict[str, str], bytes | None, int,
                                             str]]:
    return [
        ("400 bad version", "GET", "banking/accounts", {"x-v": "abc"}, None, 400,
         "Header/InvalidVersion"),
        ("401 no token", "GET", "banking/accounts", {"Authorization": ""}, None, 401,
         "GeneralError/Expected"),
        ("403 scope", "GET", "banking/accounts/direct-debits", {"x-v": "2"}, None, 403,
         "Authorisation/InvalidConsent"),
        ("404 unknown account", "GET", "banking/accounts/" + "A" * 32, {"x-v": "5"}, None, 404,
         "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount"),
        ("405 method", "DELETE", "banking/accounts", {}, None, 405, "GeneralError/Expected"),
        ("406 accept", "GET", "banking/accounts", {"Accept": "text/html"}, None, 406,
         "GeneralError/Expected"),
        ("415 content type", "POST", "banking/accounts/balances",
         {"x-v": "1", "Content-Type": "text/plain"}, b"{}", 415, "GeneralError/Expected"),
        ("422 page", "GET", "banking/accounts?page=99", {}, None, 422, "Field/InvalidPage"),
    ]


@pytest.mark.parametrize("case", range(8), ids=["400", "401", "403", "404", "405", "406", "415",
                                                "422"])
def test_error_answers_are_cds_bodies_without_internals(victim: Party, live_bank: LiveBank,
                                                        basic_party: Party, case: int) -> None:
    party = basic_party if case == 2 else victim  # 403: a consent without that scope
    label, method, path, headers, body, status, code = _error_cases(party)[case]
    token = None if headers.get("Authorization") == "" else party.access_token
    sent = {k: v for k, v in headers.items() if k not in ("Authorization", "x-v")}
    x_v = headers.get("x-v", "3")
    response = call(party.recipient, path, token, x_v, method=method, data=body, headers=sent)
    error = cdr_error(response, status, code)
    assert not _LEAKS.search(response.text), label
    assert "Traceback" not in error.get("detail", "")


@pytest.fixture(scope="module")
def basic_party(live_bank: LiveBank, victim_recipient: object) -> Party:
    """A consent with the basic scopes only (no regular payments)."""
    from tests.security.attacks.conftest import BASIC_SCOPE, authorize

    return authorize(live_bank, victim_recipient, username="jane.citizen",  # type: ignore[arg-type]
                     scope=BASIC_SCOPE, accounts=["Everyday Account"], discover=False)


# CORS ------------------------------------------------------------------------------------
def _preflight(url: str, ca: str, cert: tuple[str, str] | None = None) -> requests.Response:
    return requests.options(url, verify=ca, cert=cert, timeout=15, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-v"})


@pytest.mark.parametrize("path", sorted(CORS_OPEN - {"/cds-au/v1/banking/products/x1"}))
def test_cors_is_open_on_the_public_cdr_endpoints_without_credentials(live_bank: LiveBank,
                                                                      path: str) -> None:
    preflight = _preflight(live_bank.url + path, str(live_bank.ca))
    assert preflight.status_code == 200
    assert preflight.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert set(preflight.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) \
        <= {"GET", "OPTIONS"}
    actual = requests.get(live_bank.url + path, verify=str(live_bank.ca), timeout=15,
                          headers={"Origin": "https://evil.example", "x-v": "1" if "discovery"
                                   in path else "5"})
    assert actual.status_code == 200
    assert actual.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in actual.headers


@pytest.mark.parametrize(("listener", "path"), [
    ("mtls", "/cds-au/v1/banking/accounts"), ("mtls", "/cds-au/v1/common/customer"),
    ("mtls", "/token"), ("mtls", "/par"), ("mtls", "/register"), ("mtls", "/admin/login/"),
    ("public", "/authorize"), ("public", "/dashboard/login"), ("public", "/api/schema"),
])
def test_cors_is_closed_everywhere_else(live_bank: LiveBank, victim: Party, listener: str,
                                        path: str) -> None:
    cert = victim.cert if listener == MTLS else None
    preflight = _preflight(_url(live_bank, listener, path), str(live_bank.ca), cert)
    assert "Access-Control-Allow-Origin" not in preflight.headers, path
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    response = requests.get(_url(live_bank, listener, path), verify=str(live_bank.ca), cert=cert,
                            timeout=15, allow_redirects=False,
                            headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers, path


@pytest.mark.parametrize("path", OPEN_DOCUMENTS)
def test_public_documents_are_readable_cross_origin_without_credentials(live_bank: LiveBank,
                                                                       path: str) -> None:
    response = requests.get(live_bank.url + path, verify=str(live_bank.ca), timeout=15,
                            headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_debug_is_off_and_nothing_names_the_software(live_bank: LiveBank,
                                                     walker: tuple[str, str]) -> None:
    response = requests.get(f"{live_bank.url}/this/does/not/exist", verify=str(live_bank.ca),
                            timeout=15)
    assert response.status_code == 404
    assert_no_internals(response)
    assert not _LEAKS.search(response.text)
    assert "Server" not in response.headers and "X-Powered-By" not in response.headers
    # The staff console's login is where Django would show its version banner, if any.
    admin = requests.get(f"{live_bank.mtls_url}/admin/login/", verify=str(live_bank.ca),
                         cert=walker, timeout=15)
    assert admin.status_code == 200
    assert not re.search(r"(?i)django (version )?\d", admin.text)
