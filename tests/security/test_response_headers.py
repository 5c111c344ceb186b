"""Every response of every endpoint carries the bank's security headers (security/headers.py).

One parametrised test over every route the URL configuration has (including the ones a test
cannot reach with valid input: their error responses must carry the headers too), with GET
and POST, plus the error paths outside the views (unknown URL, wrong listener, bad Host).
"""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver

from tests.security.test_listeners import _routes

pytestmark = pytest.mark.django_db

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "X-XSS-Protection": "0",
}
CACHEABLE = {"/.well-known/openid-configuration", "/jwks", "/api/schema",
             "/mock-register/cdr-register/v1/jwks",
             "/mock-register/idp/.well-known/openid-configuration",
             "/mock-register/idp/.well-known/openid-configuration/jwks"}


def _paths() -> list[str]:
    paths = []
    for route in _routes(get_resolver().url_patterns):
        if "(?P" in route or "^" in route:
            continue  # the admin's regex routes: covered by the concrete admin paths below
        paths.append("/" + re.sub(r"<str:\w+>", "x1", route))
    return sorted(set(paths) | {"/admin/accounts/customer/", "/no-such-page",
                                "/static/consent/consent.css"})


def assert_hardened(response, path: str) -> None:
    for name, value in EXPECTED.items():
        assert response.get(name) == value, (path, name, response.get(name))
    assert "Server" not in response and "X-Powered-By" not in response
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    html = response.get("Content-Type", "").startswith("text/html")
    assert response["Referrer-Policy"] == ("same-origin" if html else "no-referrer")
    if path not in CACHEABLE and not path.startswith("/static/"):
        assert "no-store" in response["Cache-Control"], (path, response["Cache-Control"])


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", _paths())
def test_every_response_is_hardened(client, path, method):
    response = getattr(client, method)(path, secure=True, HTTP_X_V="1")
    assert_hardened(response, path)


def test_a_credentialed_request_is_never_cacheable(client):
    response = client.get("/jwks", secure=True, HTTP_AUTHORIZATION="Bearer x")
    assert response["Cache-Control"] == "no-store"


def test_a_response_on_the_wrong_listener_is_hardened(client, settings):
    settings.BANK_LISTENER = "public"
    response = client.get("/cds-au/v1/banking/accounts", secure=True)
    assert response.status_code == 404
    assert_hardened(response, "/cds-au/v1/banking/accounts")


def test_a_bad_host_is_refused_with_the_headers(client):
    response = client.get("/cds-au/v1/banking/products", secure=True, HTTP_HOST="evil.example",
                          HTTP_X_V="5")
    assert response.status_code == 400
    assert_hardened(response, "/cds-au/v1/banking/products")


def test_the_https_redirect_is_hardened(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/cds-au/v1/banking/products")
    assert response.status_code == 301
    for name in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy",
                 "Cross-Origin-Resource-Policy"):
        assert name in response, name
    assert response["Cache-Control"] == "no-store"
