"""Where a request's client certificate may come from (security/mtls.py)."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from security.mtls import certificate_thumbprint, presented_certificate_thumbprint


@pytest.fixture(scope="module")
def certificate() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "recipient")])
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


class _Socket:
    def __init__(self, der):
        self.der = der

    def getpeercert(self, binary_form=False):
        return self.der


def test_gunicorn_tls_socket(certificate):
    der = certificate.public_bytes(Encoding.DER)
    assert presented_certificate_thumbprint({"gunicorn.socket": _Socket(der)}) == certificate_thumbprint(der)
    assert presented_certificate_thumbprint({"gunicorn.socket": _Socket(b"")}) is None
    assert presented_certificate_thumbprint({}) is None


def _proxied(certificate, remote):
    pem = certificate.public_bytes(Encoding.PEM).decode()
    return {"REMOTE_ADDR": remote, "HTTP_X_SSL_CLIENT_CERT": quote(pem),
            # A header that once named the listener: it must decide nothing.
            "HTTP_X_BANK_LISTENER": "mtls"}


@pytest.fixture
def behind_proxy(settings):
    settings.BANK_LISTENER = "mtls"
    settings.BANK_TRUSTED_PROXY_CERT_HEADER = "HTTP_X_SSL_CLIENT_CERT"
    settings.BANK_TRUSTED_PROXIES = ["10.0.0.5"]
    return settings


def test_proxy_header_ignored_unless_configured(certificate, behind_proxy):
    behind_proxy.BANK_TRUSTED_PROXY_CERT_HEADER = ""
    assert presented_certificate_thumbprint(_proxied(certificate, "10.0.0.5")) is None


@pytest.mark.parametrize("listener", ["all", "public"])
def test_proxy_header_believed_only_in_the_mtls_listeners_process(certificate, behind_proxy,
                                                                 listener):
    behind_proxy.BANK_LISTENER = listener
    assert presented_certificate_thumbprint(_proxied(certificate, "10.0.0.5")) is None


def test_proxy_header_believed_only_from_trusted_proxies(certificate, behind_proxy):
    expected = certificate_thumbprint(certificate.public_bytes(Encoding.DER))
    assert presented_certificate_thumbprint(_proxied(certificate, "10.0.0.5")) == expected
    assert presented_certificate_thumbprint(_proxied(certificate, "203.0.113.9")) is None
    garbage = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_SSL_CLIENT_CERT": "not a certificate"}
    assert presented_certificate_thumbprint(garbage) is None
