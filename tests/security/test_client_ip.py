"""The client's address: the peer, or the trusted proxy's X-Real-IP (security/client_ip.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from security.client_ip import client_ip


@pytest.fixture
def proxied(settings):
    settings.BANK_TRUSTED_PROXIES = ["10.0.0.5"]
    settings.BANK_TRUSTED_PROXY_IP_HEADER = "HTTP_X_REAL_IP"
    return settings


def _request(remote: str, real_ip: str | None = None, **extra):
    meta = {"REMOTE_ADDR": remote, **extra}
    if real_ip is not None:
        meta["HTTP_X_REAL_IP"] = real_ip
    return RequestFactory().get("/", **meta)


def test_without_a_proxy_the_peer_is_the_client(settings):
    settings.BANK_TRUSTED_PROXY_IP_HEADER = ""
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_the_trusted_proxys_header_names_the_client(proxied):
    assert client_ip(_request("10.0.0.5", "198.51.100.1")) == "198.51.100.1"
    assert client_ip(_request("10.0.0.5", " 2001:db8::1 ")) == "2001:db8::1"


@pytest.mark.parametrize("value", ["", "not-an-ip", "198.51.100.1, 10.0.0.1", "999.1.1.1"])
def test_a_malformed_header_from_the_proxy_falls_back_to_the_peer(proxied, value):
    assert client_ip(_request("10.0.0.5", value)) == "10.0.0.5"


def test_anyone_else_cannot_choose_their_address(proxied):
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert client_ip(_request("203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "203.0.113.9"
