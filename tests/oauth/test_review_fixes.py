"""Regression tests for the independent review of the authorization server."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone
from jwcrypto import jwk

from security.oauth import client_jwks
from security.oauth.client_auth import ASSERTION_TYPE, client_authenticate
from security.oauth.errors import InvalidClient
from security.oauth.jose import JoseError, unverified_header_and_claims

TOKEN = "https://bank.example.test/token"
PAR = "https://bank.example.test/par"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _auth(form, endpoint="token_endpoint"):
    return client_authenticate(RequestFactory().post("/x", form), endpoint=endpoint)


def test_token_endpoint_audience_is_accepted_at_every_endpoint(client_app):
    for endpoint in ("pushed_authorization_request_endpoint", "introspection_endpoint",
                     "cdr_arrangement_revocation_endpoint"):
        assert _auth(client_app.auth_form(aud=TOKEN), endpoint).pk == client_app.registration.pk


def test_a_removed_key_stops_working_once_the_cache_is_old(client_app):
    reg = client_app.registration
    reg.jwks_fetched_at = timezone.now() - timedelta(days=30)
    reg.save()
    only_es = {"keys": [json.loads(client_app.keys["ES256"].export_public())]}
    with mock.patch.object(client_jwks, "fetch_jwks", return_value=only_es) as fetch:
        with pytest.raises(InvalidClient):
            _auth(client_app.auth_form(alg="PS256"))
        assert fetch.call_count == 1
        assert _auth(client_app.auth_form(alg="ES256")).pk == reg.pk


def test_refetches_are_limited_even_when_they_fail(client_app):
    stranger = jwk.JWK.generate(kty="RSA", size=2048, kid="unknown")
    with mock.patch.object(client_jwks, "fetch_jwks", side_effect=JoseError("down")) as fetch:
        for i in range(20):
            now = int(time.time())
            assertion = client_app.sign({"iss": client_app.client_id, "sub": client_app.client_id,
                                         "aud": TOKEN, "exp": now + 60, "jti": f"j{i}"},
                                        key=stranger, kid="unknown")
            with pytest.raises(InvalidClient):
                _auth({"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})
    assert fetch.call_count <= 1


def test_fetch_is_bounded_in_size(settings):
    """An endless answer is cut off after MAX_JWKS_BYTES (security/outbound.py reads it)."""
    class Raw:
        def read1(self, size):
            return b"x" * size

    class Big:
        status_code = 200
        headers: dict = {}
        raw = Raw()

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    with mock.patch("requests.Session.request", return_value=Big()), \
            pytest.raises(JoseError, match="too much"):
        client_jwks.fetch_jwks("https://recipient.example/jwks")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "true", "-5"])
def test_non_finite_or_absurd_numeric_dates_are_refused(client_app, value):
    import base64

    header = base64.urlsafe_b64encode(json.dumps({"alg": "PS256"}).encode()).rstrip(b"=").decode()
    body = f'{{"iss":"{client_app.client_id}","sub":"{client_app.client_id}","aud":"{TOKEN}","exp":{value},"jti":"n"}}'
    payload = base64.urlsafe_b64encode(body.encode()).rstrip(b"=").decode()
    from jwcrypto import jws

    signed = jws.JWS(body.encode())
    signed.add_signature(client_app.keys["PS256"], alg="PS256",
                         protected=json.dumps({"alg": "PS256", "kid": client_app.keys["PS256"].get("kid")}))
    assertion = signed.serialize(compact=True)
    assert header and payload
    with pytest.raises(InvalidClient):
        _auth({"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})


def test_json_serialized_jws_is_refused(client_app):
    from jwcrypto import jws

    signed = jws.JWS(b'{"iss":"x"}')
    signed.add_signature(client_app.keys["PS256"], alg="PS256", protected=json.dumps({"alg": "PS256"}),
                         header=json.dumps({"kid": client_app.keys["PS256"].get("kid")}))
    with pytest.raises(JoseError, match="compact"):
        unverified_header_and_claims(signed.serialize(compact=False))


def test_the_registered_assertion_algorithm_is_enforced(client_app):
    client_app.registration.metadata = {"token_endpoint_auth_signing_alg": "PS256"}
    client_app.registration.save()
    assert _auth(client_app.auth_form(alg="PS256")).pk == client_app.registration.pk
    with pytest.raises(InvalidClient):
        _auth(client_app.auth_form(alg="ES256"))
