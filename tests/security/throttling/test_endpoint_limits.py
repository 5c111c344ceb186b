"""Limits of the endpoints outside the CDR API (RateLimitMiddleware): the OAuth endpoints per
client certificate, the customer's pages and the staff login per source address."""

from __future__ import annotations

import datetime
import logging
from unittest import mock
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from django.test import Client

from security.models import AuditEvent
from security.mtls import certificate_thumbprint
from security.throttling.store import LimiterUnavailable

PROXY = "10.0.0.5"


def _certificate(name: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


@pytest.fixture
def mtls(settings):
    """This process is the mTLS listener behind nginx, which forwards the certificate."""
    settings.BANK_LISTENER = "mtls"
    settings.BANK_TRUSTED_PROXY_CERT_HEADER = "HTTP_X_SSL_CLIENT_CERT"
    settings.BANK_TRUSTED_PROXIES = [PROXY]
    settings.BANK_TRUSTED_PROXY_IP_HEADER = "HTTP_X_REAL_IP"
    return settings


def _as(certificate: x509.Certificate) -> dict[str, str]:
    pem = certificate.public_bytes(Encoding.PEM).decode()
    return {"REMOTE_ADDR": PROXY, "HTTP_X_SSL_CLIENT_CERT": quote(pem)}


def _limits(settings, **rules) -> None:
    settings.BANK_RATE_LIMITS = {**settings.BANK_RATE_LIMITS, **rules}


def _assert_oauth_429(response, *, low: int = 59, high: int = 60) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    wait = int(response["Retry-After"])
    assert low <= wait <= high
    assert body["error_description"] == f"Too many requests. Retry after {wait} seconds."
    assert response.has_header("x-fapi-interaction-id")
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("path", "rule"), [
    ("/token", "token_per_client"),
    ("/par", "par_per_client"),
    ("/register", "registration_per_client"),
    ("/revoke", "write_per_client"),
    ("/arrangements/revoke", "write_per_client"),
    ("/introspect", "client_calls_per_client"),
])
def test_oauth_endpoints_are_limited_per_client_certificate(db, mtls, path, rule):
    _limits(mtls, **{rule: ("1/m", 2)})
    client = Client()
    alice, bob = _certificate("alice"), _certificate("bob")
    for _ in range(2):
        assert client.post(path, {}, **_as(alice)).status_code != 429
    refused = client.post(path, {}, **_as(alice))
    _assert_oauth_429(refused)
    # Another recipient's certificate has its own budget.
    assert client.post(path, {}, **_as(bob)).status_code != 429
    event = AuditEvent.objects.get(event_type="RATE_LIMIT_EXCEEDED")
    thumbprint = certificate_thumbprint(alice.public_bytes(Encoding.DER))
    assert (event.actor_type, event.actor_id, event.subject_id) == (
        "client", f"x5t#S256:{thumbprint}", rule)


def test_every_mtls_call_spends_the_certificates_own_limit(db, mtls):
    _limits(mtls, client_certificate=("1/m", 3))
    client, alice = Client(), _certificate("alice")
    statuses = [client.post(path, {}, **_as(alice)).status_code
                for path in ("/token", "/par", "/introspect", "/revoke")]
    assert 429 not in statuses[:3] and statuses[3] == 429


def test_the_customers_login_is_limited_per_source_address(db, settings):
    _limits(settings, login_per_source=("1/m", 2))
    client = Client()
    for _ in range(2):
        assert client.post("/consent/no-such-request", {}).status_code != 429
    refused = client.post("/consent/no-such-request", {})
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 59 <= wait <= 60
    assert refused["Content-Type"].startswith("text/html")
    page = refused.content.decode()
    assert "Too many attempts" in page and f"wait\n{wait} seconds" in page
    assert "script" not in page
    # Reading a page is not a login attempt; another address has its own budget.
    assert client.get("/consent/no-such-request").status_code != 429
    assert client.post("/consent/no-such-request", {}, REMOTE_ADDR="198.51.100.7"
                       ).status_code != 429


def test_one_time_code_attempts_are_limited_per_source_address(db, settings):
    _limits(settings, otp_per_source=("1/m", 1))
    client = Client()
    assert client.post("/consent/no-such-request/code", {}).status_code != 429
    assert client.post("/consent/no-such-request/code", {}).status_code == 429


def test_the_staff_login_is_limited_per_source_address(db, settings):
    _limits(settings, login_per_source=("1/m", 2))
    client = Client()
    form = {"username": "nobody", "password": "wrong"}
    assert [client.post("/admin/login/", form).status_code for _ in range(2)] == [200, 200]
    assert client.post("/admin/login/", form).status_code == 429
    assert client.get("/admin/login/").status_code == 200


def test_the_proxys_client_address_counts_only_from_a_trusted_proxy(db, mtls):
    _limits(mtls, login_per_source=("1/m", 1))
    mtls.BANK_LISTENER = "all"
    client = Client()
    # Two customers behind the proxy: each has their own budget.
    for address in ("203.0.113.1", "203.0.113.2"):
        assert client.post("/consent/x", {}, REMOTE_ADDR=PROXY, HTTP_X_REAL_IP=address
                           ).status_code != 429
    # A client talking to the app directly cannot pick a fresh address per attempt.
    assert client.post("/consent/x", {}, REMOTE_ADDR="198.51.100.1",
                       HTTP_X_REAL_IP="203.0.113.3").status_code != 429
    assert client.post("/consent/x", {}, REMOTE_ADDR="198.51.100.1",
                       HTTP_X_REAL_IP="203.0.113.4").status_code == 429


def _limiter_down():
    error = LimiterUnavailable("ConnectionError")
    return (mock.patch("security.throttling.store.MemoryStore.acquire", side_effect=error),
            mock.patch("security.throttling.store.RedisStore.acquire", side_effect=error))


def test_limiter_down_refuses_the_token_endpoint(db, mtls, caplog):
    memory, redis = _limiter_down()
    with memory, redis, caplog.at_level(logging.ERROR, logger="bank.throttling"):
        response = Client().post("/token", {}, **_as(_certificate("alice")))
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response["Retry-After"] == "5"
    assert [r.fail_closed for r in caplog.records
            if getattr(r, "event", "") == "rate_limit.store_unavailable"] == [True]


def test_limiter_down_keeps_the_customers_pages_up(db, caplog):
    memory, redis = _limiter_down()
    with memory, redis, caplog.at_level(logging.ERROR, logger="bank.throttling"):
        response = Client().get("/consent/no-such-request")
    assert response.status_code == 404
    assert [r.fail_closed for r in caplog.records
            if getattr(r, "event", "") == "rate_limit.store_unavailable"] == [False]


def test_discovery_and_jwks_are_limited_per_source(db, settings):
    _limits(settings, public_per_source=("1/m", 2))
    client = Client()
    assert client.get("/jwks").status_code == 200
    assert client.get("/.well-known/openid-configuration").status_code == 200
    _assert_oauth_429(client.get("/jwks"))
    assert client.get("/jwks", REMOTE_ADDR="198.51.100.20").status_code == 200


def test_discovery_and_jwks_are_not_in_the_public_total(db, settings):
    """A flood of Get Products cannot take the JWKS (every token check needs it) down."""
    _limits(settings, public_site_wide=("1/m", 1))
    client = Client()
    headers = {"HTTP_X_V": "5", "HTTP_ACCEPT": "application/json"}
    assert client.get("/cds-au/v1/banking/products", **headers).status_code == 200
    assert client.get("/cds-au/v1/banking/products", REMOTE_ADDR="198.51.100.21",
                      **headers).status_code == 429
    assert client.get("/jwks", REMOTE_ADDR="198.51.100.22").status_code == 200
    assert client.get("/.well-known/openid-configuration", REMOTE_ADDR="198.51.100.23"
                      ).status_code == 200


def test_health_checks_are_limited_per_source(db, settings):
    _limits(settings, public_per_source=("1/m", 2))
    client = Client()
    assert [client.get("/health/ready").status_code for _ in range(2)] == [200, 200]
    assert client.get("/health/live").status_code == 429


@pytest.mark.parametrize(("same", "other"), [
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
])
def test_an_ipv6_network_is_one_source(db, settings, same, other):
    _limits(settings, login_per_source=("1/m", 1))
    client = Client()
    assert client.post("/consent/x", {}, REMOTE_ADDR=same).status_code != 429
    assert client.post("/consent/x", {}, REMOTE_ADDR=other).status_code == 429
    assert client.post("/consent/x", {}, REMOTE_ADDR="2001:db8:1:3::1").status_code != 429


def test_limiter_down_refuses_the_staff_login(db, caplog):
    """The admin login has no lock-out of its own: without the limiter it fails closed."""
    memory, redis = _limiter_down()
    with memory, redis, caplog.at_level(logging.ERROR, logger="bank.throttling"):
        response = Client().post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 503
