"""Every endpoint answers on its own listener only (security/listeners.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import URLResolver, get_resolver

from security import listeners
from tests.conftest import assert_cdr_error

#: Every route of the bank and the listener that serves it. A new route fails
#: test_every_route_is_classified until it is added here: where it is served is a decision.
ROUTES = {
    # The OpenAPI document and its Swagger UI / Redoc pages (bank/openapi).
    "api/schema": "public",
    "api/docs/": "public",
    "api/redoc/": "public",
    "cds-au/v1/banking/products": "public",
    "cds-au/v1/banking/products/<str:product_id>": "public",
    "cds-au/v1/discovery/status": "public",
    "cds-au/v1/discovery/outages": "public",
    ".well-known/openid-configuration": "public",
    "jwks": "public",
    "authorize": "public",
    "consent/<str:handle>": "public",
    "consent/<str:handle>/code": "public",
    "consent/<str:handle>/accounts": "public",
    "consent/<str:handle>/confirm": "public",
    "consent/<str:handle>/cancel": "public",
    "dashboard/": "public",
    "dashboard/login": "public",
    "dashboard/login/code": "public",
    "dashboard/logout": "public",
    "dashboard/arrangements/<int:pk>": "public",
    "dashboard/arrangements/<int:pk>/stop": "public",
    "cds-au/v1/banking/accounts": "mtls",
    "cds-au/v1/banking/accounts/balances": "mtls",
    "cds-au/v1/banking/accounts/<str:account_id>": "mtls",
    "cds-au/v1/banking/accounts/<str:account_id>/balance": "mtls",
    "cds-au/v1/banking/accounts/<str:account_id>/transactions": "mtls",
    "cds-au/v1/banking/accounts/<str:account_id>/transactions/<str:transaction_id>": "mtls",
    "cds-au/v1/banking/accounts/direct-debits": "mtls",
    "cds-au/v1/banking/accounts/<str:account_id>/direct-debits": "mtls",
    "cds-au/v1/banking/accounts/payments/plans": "mtls",
    "cds-au/v1/banking/accounts/<str:account_id>/payments/plans": "mtls",
    "cds-au/v1/banking/accounts/<str:account_id>/payments/scheduled": "mtls",
    "cds-au/v1/banking/payments/scheduled": "mtls",
    "cds-au/v1/banking/payees": "mtls",
    "cds-au/v1/banking/payees/<str:payee_id>": "mtls",
    "cds-au/v1/common/customer": "mtls",
    "cds-au/v1/common/customer/detail": "mtls",
    "cds-au/v1/admin/metrics": "mtls",
    "cds-au/v1/admin/register/metadata": "mtls",
    "par": "mtls",
    "token": "mtls",
    "introspect": "mtls",
    "revoke": "mtls",
    "arrangements/revoke": "mtls",
    "userinfo": "mtls",
    "register": "mtls",
    "register/<str:client_id>": "mtls",
    # Staff SSO (present when configured; tests/staff_sso checks them there too).
    "staff-sso/authenticate/": "mtls",
    "staff-sso/callback/": "mtls",
    "staff-sso/step-up/": "mtls",
    "health/live": None,
    "health/ready": None,
}


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def _concrete(route: str) -> str:
    return "/" + re.sub(r"<str:\w+>", "x1", route)


def test_every_route_is_classified():
    for route in _routes(get_resolver().url_patterns):
        if route.startswith("admin/"):
            assert listeners.listener_for_path("/" + route.split("^")[0]) == "mtls", route
        elif route.startswith("mock-register/"):
            # The CDR Register is outside the bank; its mock is reached like a public site.
            assert listeners.listener_for_path("/" + route) == "public", route
        else:
            assert route in ROUTES, f"{route}: add it to ROUTES (public or mtls?)"
            assert listeners.listener_for_path(_concrete(route)) == ROUTES[route], route


@pytest.mark.parametrize(("route", "home"),
                         sorted((r, h) for r, h in ROUTES.items() if h is not None))
def test_a_route_does_not_exist_on_the_other_listener(client, settings, route, home):
    settings.BANK_LISTENER = "public" if home == "mtls" else "mtls"
    response = client.get(_concrete(route), HTTP_X_V="1", HTTP_ACCEPT="application/json")
    assert_cdr_error(response, 404, "urn:au-cds:error:cds-all:Resource/NotFound")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/cds-au/v1/banking/products", "/jwks"])
def test_a_public_route_answers_on_the_public_listener(client, settings, path):
    settings.BANK_LISTENER = "public"
    assert client.get(path, HTTP_X_V="4").status_code != 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/token"])
def test_an_mtls_route_answers_on_the_mtls_listener(client, settings, path):
    settings.BANK_LISTENER = "mtls"
    assert client.get(path).status_code != 404


@pytest.mark.parametrize("listener", ["public", "mtls", "all"])
def test_no_request_header_decides_the_listener(settings, listener):
    settings.BANK_LISTENER = listener
    settings.BANK_TRUSTED_PROXIES = ["10.0.0.5"]
    for header in ("mtls", "public", "all"):
        environ = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_BANK_LISTENER": header}
        assert listeners.listener_of(environ) == listener


def test_an_unknown_listener_setting_fails_closed(settings):
    settings.BANK_LISTENER = "proxied"
    with pytest.raises(ValueError):
        listeners.listener_of({})


def test_static_files_and_health_are_on_both(settings):
    assert listeners.listener_for_path("/static/consent/consent.css") is None
    assert listeners.listener_for_path("/health/live") is None
    settings.BANK_LISTENER = "public"
    assert listeners.served_here({}, "/static/admin/css/base.css")


@pytest.mark.parametrize(("path", "expected"), [
    ("/cds-au/v1/banking/accounts", "https://mtls.bank.example/cds-au/v1/banking/accounts?page=2"),
    ("/cds-au/v1/common/customer", "https://mtls.bank.example/cds-au/v1/common/customer?page=2"),
    ("/cds-au/v1/banking/products", "https://bank.example/cds-au/v1/banking/products?page=2"),
])
def test_links_point_at_the_listener_that_serves_the_endpoint(rf, settings, path, expected):
    from bank.api.links import absolute_url

    settings.BANK_PUBLIC_BASE_URL = "https://bank.example"
    settings.BANK_MTLS_BASE_URL = "https://mtls.bank.example"
    request = rf.get(path, {"page": "1"}, HTTP_HOST="attacker.example")
    assert absolute_url(request, page=2) == expected
