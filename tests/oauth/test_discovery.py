"""Discovery metadata and the JWKS (CDS security/endpoints/_oidc_provider_configuration.md)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BASE = "https://bank.example.test"


def test_discovery_lists_what_cdr_requires():
    body = Client().get("/.well-known/openid-configuration").json()
    assert body["issuer"] == BASE
    for name, path in [("authorization_endpoint", "/authorize"), ("jwks_uri", "/jwks"),
                       ("pushed_authorization_request_endpoint", "/par"), ("token_endpoint", "/token"),
                       ("introspection_endpoint", "/introspect"), ("revocation_endpoint", "/revoke"),
                       ("cdr_arrangement_revocation_endpoint", "/arrangements/revoke"),
                       ("userinfo_endpoint", "/userinfo"), ("registration_endpoint", "/register")]:
        assert body[name] == BASE + path
    assert body["require_pushed_authorization_requests"] is True
    assert body["tls_client_certificate_bound_access_tokens"] is True
    assert body["response_types_supported"] == ["code"]
    assert body["response_modes_supported"] == ["jwt"]
    assert body["subject_types_supported"] == ["pairwise"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    for key in ("id_token_signing_alg_values_supported", "request_object_signing_alg_values_supported",
                "token_endpoint_auth_signing_alg_values_supported", "authorization_signing_alg_values_supported"):
        assert body[key] == ["ES256", "PS256"]
    assert body["acr_values_supported"] == ["urn:cds.au:cdr:2", "urn:cds.au:cdr:3"]
    assert set(body["mtls_endpoint_aliases"]) >= {"token_endpoint", "pushed_authorization_request_endpoint"}
    assert "bank:accounts.basic:read" in body["scopes_supported"]
    assert "password" not in body["grant_types_supported"]


def test_jwks_has_public_ps256_and_es256_keys_with_distinct_kids():
    response = Client().get("/jwks")
    keys = response.json()["keys"]
    assert response["Cache-Control"].startswith("public")
    assert {k["alg"] for k in keys} >= {"PS256", "ES256"}
    assert len({k["kid"] for k in keys}) == len(keys)
    for key in keys:
        assert key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "no private parts"
        if key["alg"] == "PS256":
            assert key["kty"] == "RSA"
        else:
            assert key["kty"] == "EC" and key["crv"] == "P-256"


def test_retiring_keys_stay_published_and_the_newest_signs(settings, tmp_path):
    from security.oauth import signing_keys
    from security.oauth.jose import keyset, sign, verify

    settings.BANK_SIGNING_KEYS_DIR = str(tmp_path)
    signing_keys.generate_signing_keys(tmp_path, kid_suffix="2026-01")
    signing_keys.generate_signing_keys(tmp_path, kid_suffix="2026-02")
    try:
        jwks = signing_keys.public_jwks()
        assert sorted(k["kid"] for k in jwks["keys"]) == [
            "es256-2026-01", "es256-2026-02", "ps256-2026-01", "ps256-2026-02"]
        token = sign({"exp": 9999999999, "iss": "x"}, alg="ES256")
        assert verify(token, keys=keyset(jwks))["iss"] == "x"
        assert signing_keys.active_key("ES256").kid == "es256-2026-02"
    finally:
        signing_keys.clear_cache()
