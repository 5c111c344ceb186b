from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache

from tests.staff_sso.idp import TestIdp

# bank/urls.py decides at import whether the SSO routes exist: import it now, while SSO is
# not configured, not first from tests/staff_sso/urls.py under the `sso` fixture's settings.
import bank.urls  # noqa: F401  isort: skip

CLIENT_ID = "bank-staff-console"
CALLBACK = "http://testserver/staff-sso/callback/"


@pytest.fixture(scope="module")
def idp_server() -> Iterator[TestIdp]:
    idp = TestIdp(client_id=CLIENT_ID, client_secret="idp-client-secret-for-tests",
                  redirect_uri=CALLBACK).start()
    yield idp
    idp.stop()


@pytest.fixture
def idp(idp_server: TestIdp) -> Iterator[TestIdp]:
    idp_server.forge = None
    idp_server.subject = "staff-sub-1"
    idp_server.amr = ["pwd", "otp"]
    idp_server.authorize_requests.clear()
    yield idp_server
    idp_server.forge = None


@pytest.fixture
def sso(settings, idp: TestIdp) -> TestIdp:
    """Staff SSO configured against the test IdP, with its URLs."""
    settings.BANK_STAFF_OIDC_ISSUER = idp.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = idp.client_secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{idp.issuer}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{idp.issuer}/token"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{idp.issuer}/jwks"
    settings.BANK_STAFF_OIDC_SIGNING_ALGORITHMS = ["RS256"]
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.ROOT_URLCONF = "tests.staff_sso.urls"
    cache.clear()  # the JWKS cache is keyed by URL; each module's IdP has its own key
    return idp


def idp_round_trip(client, start_url: str) -> tuple[str, str]:
    """Start a sign-in at the bank, let the IdP answer; the callback's path and query."""
    start = client.get(start_url)
    assert start.status_code == 302, start.status_code
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.status_code
    callback = urlsplit(answer.headers["Location"])
    return callback.path, callback.query


def sign_in(client, start_url: str = "/staff-sso/authenticate/?next=/admin/"):
    path, query = idp_round_trip(client, start_url)
    return client.get(f"{path}?{query}")


def bounce_target(response) -> str:
    """The URL a callback's same-site bounce page navigates to (its meta refresh)."""
    assert response.status_code == 200, response.status_code
    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">',
                      response.content.decode())
    assert match is not None, response.content[:500]
    return html.unescape(match.group(1))


def follow_bounce(client, response):
    """What the browser does with the bounce page: request its target from our origin."""
    return client.get(bounce_target(response))
