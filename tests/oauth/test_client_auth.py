"""private_key_jwt client authentication (RFC 7523), the only method accepted."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.test import RequestFactory
from jwcrypto import jwk

from security.oauth.client_auth import ASSERTION_TYPE, client_authenticate
from security.oauth.errors import InvalidClient

TOKEN = "https://bank.example.test/token"


def _authenticate(form, **meta):
    request = RequestFactory().post("/token", form, **meta)
    return client_authenticate(request, endpoint="token_endpoint")


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
@pytest.mark.parametrize("aud", ["https://bank.example.test", TOKEN, ["https://bank.example.test", "x"]])
def test_valid_assertions_authenticate(client_app, alg, aud):
    registration = _authenticate(client_app.auth_form(alg=alg, aud=aud))
    assert registration.pk == client_app.registration.pk


def _unsigned(claims, alg):
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{b64({'alg': alg})}.{b64(claims)}."


@pytest.mark.parametrize(
    "case",
    ["alg_none", "hs256", "rs256", "wrong_key", "expired", "future_iat", "no_exp", "no_jti",
     "wrong_aud", "wrong_sub", "wrong_iss", "exp_too_far", "jku_header"],
)
def test_bad_assertions_are_invalid_client(client_app, case):
    now = int(time.time())
    base = {"iss": client_app.client_id, "sub": client_app.client_id, "aud": TOKEN,
            "iat": now, "exp": now + 300, "jti": f"jti-{case}"}
    if case == "alg_none":
        assertion = _unsigned(base, "none")
    elif case == "hs256":
        secret = jwk.JWK.generate(kty="oct", size=256)
        assertion = client_app.sign(base, alg="HS256", key=secret)
    elif case == "rs256":
        assertion = client_app.sign(base, alg="RS256", key=client_app.keys["PS256"])
    elif case == "wrong_key":
        other = jwk.JWK.generate(kty="RSA", size=2048)
        assertion = client_app.sign(base, key=other, kid=client_app.keys["PS256"].get("kid"))
    elif case == "jku_header":
        assertion = client_app.sign(base, header={"jku": "https://evil.example/jwks"})
    else:
        claims = dict(base)
        claims.update({
            "expired": {"exp": now - 60, "iat": now - 400},
            "future_iat": {"iat": now + 120},
            "no_exp": {"exp": None},
            "no_jti": {"jti": None},
            "wrong_aud": {"aud": "https://other-bank.example"},
            "wrong_sub": {"sub": "someone-else"},
            "wrong_iss": {"iss": "someone-else"},
            "exp_too_far": {"exp": now + 3600},
        }[case])
        assertion = client_app.sign({k: v for k, v in claims.items() if v is not None})
    with pytest.raises(InvalidClient):
        _authenticate({"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})


def test_a_replayed_assertion_is_refused(client_app):
    form = client_app.auth_form()
    _authenticate(form)
    with pytest.raises(InvalidClient, match="used before"):
        _authenticate(form)


@pytest.mark.parametrize(
    ("extra", "meta"),
    [({"client_secret": "s3cret"}, {}), ({}, {"HTTP_AUTHORIZATION": "Basic eDp5"}),
     ({"client_id": "another-client"}, {})],
)
def test_other_methods_and_mismatched_client_ids_are_refused(client_app, extra, meta):
    with pytest.raises(InvalidClient):
        _authenticate({**client_app.auth_form(), **extra}, **meta)


@pytest.mark.parametrize("form", [{}, {"client_assertion_type": ASSERTION_TYPE},
                                  {"client_assertion_type": "x", "client_assertion": "a.b.c"},
                                  {"client_assertion_type": ASSERTION_TYPE, "client_assertion": "garbage"}])
def test_missing_or_malformed_assertions_are_refused(client_app, form):
    with pytest.raises(InvalidClient):
        _authenticate(form)


def test_unknown_and_deleted_clients_are_refused(client_app, make_client):
    other = make_client(name="Deleted")
    other.registration.status = "DELETED"
    other.registration.save()
    with pytest.raises(InvalidClient):
        _authenticate(other.auth_form())


def test_invalid_client_response_is_oauth_shaped():
    response = InvalidClient("Unknown client.").response()
    assert response.status_code == 401
    assert json.loads(response.content) == {"error": "invalid_client", "error_description": "Unknown client."}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("weak", ["rsa1024", "p384"])
def test_weak_or_wrong_curve_client_keys_are_refused(client_app, weak):
    from security.oauth.jose import JoseError, keyset

    key = (jwk.JWK.generate(kty="RSA", size=1024, kid="weak") if weak == "rsa1024"
           else jwk.JWK.generate(kty="EC", crv="P-384", kid="weak"))
    with pytest.raises(JoseError):
        keyset({"keys": [json.loads(key.export_public())]})
    client_app.registration.jwks = {"keys": [json.loads(key.export_public())]}
    client_app.registration.save()
    alg = "PS256" if weak == "rsa1024" else "ES384"
    assertion = client_app.sign({"iss": client_app.client_id, "sub": client_app.client_id,
                                 "aud": TOKEN, "exp": int(time.time()) + 60, "jti": "weak"},
                                alg=alg, key=key, kid="weak")
    with pytest.raises(InvalidClient):
        _authenticate({"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})


def test_mtls_endpoints_need_a_client_certificate_when_required(client_app, settings):
    settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = True
    with pytest.raises(InvalidClient, match="client certificate"):
        _authenticate(client_app.auth_form())

    class Tls:
        def getpeercert(self, binary_form=False):
            return b"a client certificate"

    assert _authenticate(client_app.auth_form(), **{"gunicorn.socket": Tls()}).pk == client_app.registration.pk


def test_registration_needs_a_client_certificate_when_required(settings, db):
    from django.test import Client

    settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = True
    response = Client().post("/register", data="a.b.c", content_type="application/jwt")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "certificate" in response.json()["error_description"]
