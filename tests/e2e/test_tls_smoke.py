"""The live bank answers over TLS and sees the client certificate the handshake presented."""

from __future__ import annotations

import requests


def test_discovery_over_tls(live_bank):
    body = requests.get(f"{live_bank.url}/.well-known/openid-configuration", verify=str(live_bank.ca),
                        timeout=5).json()
    assert body["issuer"] == live_bank.url
    assert body["tls_client_certificate_bound_access_tokens"] is True


def test_plain_http_is_not_served(live_bank):
    http_url = live_bank.url.replace("https://", "http://")
    try:
        response = requests.get(f"{http_url}/jwks", timeout=5)
    except requests.RequestException:
        return
    assert response.status_code >= 400
