"""The pushed authorization request endpoint (RFC 9126) and the request object (RFC 9101,
FAPI 1.0 Advanced §5.2.2, CDS security/_request_object.md)."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from jwcrypto import jwk

from accounts.choices import CustomerType
from accounts.models import Customer
from security.consent.models import Arrangement, ArrangementStatus
from security.oauth.endpoints import endpoint_url, issuer
from security.oauth.models import PushedAuthorizationRequest
from tests.oauth.conftest import REDIRECT_URI
from tests.oauth.flow_helpers import PAR_URL, push, request_claims

pytestmark = pytest.mark.django_db

ONE_YEAR = 31_536_000


def _error(response, status, error):
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["error"] == error, body
    assert set(body) <= {"error", "error_description"}
    assert response["Cache-Control"] == "no-store"
    assert not PushedAuthorizationRequest.objects.exists()
    return body


def _stored(response):
    assert response.status_code == 201, response.content
    return PushedAuthorizationRequest.objects.get(request_uri=response.json()["request_uri"])


def _unsigned(claims, alg="none"):
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{b64({'alg': alg})}.{b64(claims)}."


def _customer():
    return Customer.objects.create(customer_type=CustomerType.PERSON, last_name="Citizen",
                                   first_name="Test", last_update_time=timezone.now())


def _arrangement(client, *, status=ArrangementStatus.ACTIVE, days=30):
    return Arrangement.objects.create(
        customer=_customer(), software_product=client.registration.software_product,
        scope="bank:accounts.basic:read", status=status,
        revoked_at=timezone.now() if status == ArrangementStatus.REVOKED else None,
        sharing_expires_at=timezone.now() + timedelta(days=days),
    )


# --- the happy path and the response ---------------------------------------------------------


def test_par_stores_the_validated_request_and_answers_201(client_app):
    claims = request_claims(client_app)
    response = push(client_app, claims)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"}
    assert body["expires_in"] == 90
    assert re.fullmatch(r"urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}", body["request_uri"])
    pushed = PushedAuthorizationRequest.objects.get(request_uri=body["request_uri"])
    assert pushed.registration == client_app.registration
    assert pushed.used_at is None
    assert timedelta(seconds=85) < pushed.expires_at - timezone.now() <= timedelta(seconds=90)
    stored = pushed.parameters
    assert stored["redirect_uri"] == REDIRECT_URI
    assert stored["scopes"] == sorted(claims["scope"].split())
    assert stored["state"] == claims["state"] and stored["nonce"] == claims["nonce"]
    assert stored["code_challenge"] == claims["code_challenge"]
    assert stored["code_challenge_method"] == "S256"
    assert stored["sharing_duration"] == 7_776_000
    assert stored["cdr_arrangement_id"] is None
    assert stored["acr_values"] == ["urn:cds.au:cdr:2"] and stored["acr_essential"] is True


def test_each_push_gets_its_own_request_uri(client_app):
    first, second = push(client_app), push(client_app)
    assert first.json()["request_uri"] != second.json()["request_uri"]


def test_par_is_csrf_exempt(client_app):
    response = push(client_app, browser=Client(enforce_csrf_checks=True))
    assert response.status_code == 201


def test_par_refuses_get():
    assert Client().get(PAR_URL).status_code == 405


def test_par_requires_a_form_body(client_app):
    body = {**client_app.auth_form(), "request": client_app.sign(request_claims(client_app))}
    response = Client().post(PAR_URL, json.dumps(body), content_type="application/json")
    _error(response, 400, "invalid_request")


# --- client authentication -------------------------------------------------------------------


def test_par_without_client_authentication_is_invalid_client(client_app):
    response = Client().post(
        PAR_URL, urlencode({"request": client_app.sign(request_claims(client_app))}),
        content_type="application/x-www-form-urlencoded",
    )
    _error(response, 401, "invalid_client")


@pytest.mark.parametrize("case", ["wrong_aud", "wrong_key", "secret", "expired"])
def test_par_with_bad_client_authentication_is_invalid_client(client_app, case):
    if case == "wrong_aud":
        response = push(client_app, aud="https://other-bank.example")
    elif case == "expired":
        response = push(client_app, exp=int(time.time()) - 60, iat=int(time.time()) - 120)
    elif case == "secret":
        response = push(client_app, form={"client_secret": "s3cret"})
    else:
        other = jwk.JWK.generate(kty="RSA", size=2048)
        now = int(time.time())
        assertion = client_app.sign(
            {"iss": client_app.client_id, "sub": client_app.client_id, "aud": issuer(),
             "exp": now + 60, "jti": "x"}, key=other, kid=client_app.keys["PS256"].get("kid"))
        response = push(client_app, form={"client_assertion": assertion})
    _error(response, 401, "invalid_client")


def test_client_assertion_may_name_the_par_endpoint(client_app):
    response = push(client_app, aud=endpoint_url("pushed_authorization_request_endpoint"))
    assert response.status_code == 201, response.content


def test_client_id_beside_the_assertion_is_accepted_when_it_matches(client_app):
    assert push(client_app, form={"client_id": client_app.client_id}).status_code == 201


@pytest.mark.parametrize("case", ["product_inactive", "product_removed", "recipient_suspended",
                                  "no_code_grant"])
def test_par_from_a_client_that_may_not_authorize_is_unauthorized_client(client_app, case):
    product = client_app.registration.software_product
    if case == "product_inactive":
        product.status = "INACTIVE"
        product.save()
    elif case == "product_removed":
        product.status = "REMOVED"
        product.save()
    elif case == "recipient_suspended":
        product.recipient.status = "SUSPENDED"
        product.recipient.save()
    else:
        client_app.registration.grant_types = ["client_credentials"]
        client_app.registration.save()
    _error(push(client_app), 400, "unauthorized_client")


# --- the form around the request object ------------------------------------------------------


def test_par_without_a_request_object_is_invalid_request(client_app):
    response = Client().post(PAR_URL, urlencode(client_app.auth_form()),
                             content_type="application/x-www-form-urlencoded")
    _error(response, 400, "invalid_request")


@pytest.mark.parametrize("name", ["scope", "redirect_uri", "state", "nonce", "response_type",
                                  "response_mode", "code_challenge", "claims", "request_uri",
                                  "client_assertion_extra"])
def test_parameters_outside_the_request_object_are_refused(client_app, name):
    _error(push(client_app, form={name: "openid"}), 400, "invalid_request")


def test_parameters_in_the_url_are_refused(client_app):
    body = {**client_app.auth_form(), "request": client_app.sign(request_claims(client_app))}
    response = Client().post(PAR_URL + "?scope=openid", urlencode(body),
                             content_type="application/x-www-form-urlencoded")
    _error(response, 400, "invalid_request")


def test_a_repeated_parameter_is_refused(client_app):
    token = client_app.sign(request_claims(client_app))
    pairs = [*client_app.auth_form().items(), ("request", token), ("request", token)]
    response = Client().post(PAR_URL, urlencode(pairs),
                             content_type="application/x-www-form-urlencoded")
    _error(response, 400, "invalid_request")


# --- the request object as a JWT: invalid_request_object --------------------------------------


def _bad_request_object(client, case):
    now = int(time.time())
    claims = request_claims(client)
    if case == "not_a_jwt":
        return "not-a-jwt"
    if case == "unsigned_alg_none":
        return _unsigned(claims)
    if case == "unsigned_empty_signature_ps256":
        return _unsigned(claims, "PS256")
    if case == "hs256":
        return client.sign(claims, alg="HS256", key=jwk.JWK.generate(kty="oct", size=256))
    if case == "rs256":
        return client.sign(claims, alg="RS256", key=client.keys["PS256"])
    if case == "wrong_key":
        return client.sign(claims, key=jwk.JWK.generate(kty="RSA", size=2048),
                           kid=client.keys["PS256"].get("kid"))
    if case == "unknown_kid":
        return client.sign(claims, key=jwk.JWK.generate(kty="RSA", size=2048), kid="nobody")
    if case == "es256_but_ps256_registered":
        return client.sign(claims, alg="ES256")
    if case == "jwk_in_header":
        public = json.loads(client.keys["PS256"].export_public())
        return client.sign(claims, header={"jwk": public})
    overrides = {
        "missing_exp": {"exp": None},
        "missing_nbf": {"nbf": None},
        "exp_nbf_over_60_min": {"nbf": now, "exp": now + 3601},
        # Lifetime 3600 s and exp within the verifier's 5 s leeway: only nbf's age fails.
        "nbf_older_than_60_min": {"nbf": now - 3602, "exp": now - 2, "iat": now - 3602},
        "nbf_in_the_future": {"nbf": now + 120, "exp": now + 600},
        "expired": {"nbf": now - 600, "exp": now - 60},
        "wrong_aud": {"aud": "https://other-bank.example"},
        "aud_is_the_par_endpoint": {"aud": endpoint_url("pushed_authorization_request_endpoint")},
        "aud_list_without_issuer": {"aud": ["https://other-bank.example", "x"]},
        "missing_aud": {"aud": None},
        "wrong_iss": {"iss": "someone-else"},
        "missing_iss": {"iss": None},
        "client_id_mismatch": {"client_id": "someone-else"},
        "missing_client_id": {"client_id": None},
        "nested_request_uri": {"request_uri": "urn:ietf:params:oauth:request_uri:abc"},
        "nested_request": {"request": "a.b.c"},
    }[case]
    return client.sign(request_claims(client, **overrides))


@pytest.mark.parametrize("case", [
    "not_a_jwt", "unsigned_alg_none", "unsigned_empty_signature_ps256", "hs256", "rs256",
    "wrong_key", "unknown_kid", "es256_but_ps256_registered", "jwk_in_header", "missing_exp",
    "missing_nbf", "exp_nbf_over_60_min", "nbf_older_than_60_min", "nbf_in_the_future",
    "expired", "wrong_aud", "aud_is_the_par_endpoint", "aud_list_without_issuer", "missing_aud",
    "wrong_iss", "missing_iss", "client_id_mismatch", "missing_client_id", "nested_request_uri",
    "nested_request",
])
def test_bad_request_objects_are_invalid_request_object(client_app, case):
    response = push(client_app, request_object=_bad_request_object(client_app, case))
    _error(response, 400, "invalid_request_object")


def test_request_object_of_another_client_is_refused(make_client):
    mine, theirs = make_client(name="Mine"), make_client(name="Theirs")
    # Signed by `theirs` with their own claims, pushed with `mine`'s authentication.
    response = push(mine, request_object=theirs.sign(request_claims(theirs)))
    _error(response, 400, "invalid_request_object")


# --- the authorization parameters inside: invalid_request / invalid_scope ----------------------


def _challenge(length):
    return ("A" * length)


INVALID_REQUEST = {
    "response_type_token": {"response_type": "token"},
    "response_type_code_id_token": {"response_type": "code id_token"},
    "response_type_missing": {"response_type": None},
    "response_mode_missing": {"response_mode": None},
    "response_mode_query": {"response_mode": "query"},
    "response_mode_fragment_jwt": {"response_mode": "fragment.jwt"},
    "response_mode_form_post": {"response_mode": "form_post"},
    "redirect_uri_missing": {"redirect_uri": None},
    "redirect_uri_not_registered": {"redirect_uri": "https://evil.example/callback"},
    "redirect_uri_trailing_slash": {"redirect_uri": REDIRECT_URI + "/"},
    "redirect_uri_different_case": {"redirect_uri": REDIRECT_URI.replace("callback", "Callback")},
    "redirect_uri_host_case": {"redirect_uri": REDIRECT_URI.replace("recipient", "Recipient")},
    "redirect_uri_extra_query": {"redirect_uri": REDIRECT_URI + "?x=1"},
    "redirect_uri_http": {"redirect_uri": REDIRECT_URI.replace("https:", "http:")},
    "redirect_uri_not_a_string": {"redirect_uri": [REDIRECT_URI]},
    "code_challenge_missing": {"code_challenge": None},
    "code_challenge_method_missing": {"code_challenge_method": None},
    "code_challenge_method_plain": {"code_challenge_method": "plain"},
    "code_challenge_method_lowercase": {"code_challenge_method": "s256"},
    "code_challenge_too_short": {"code_challenge": _challenge(42)},
    "code_challenge_too_long": {"code_challenge": _challenge(129)},
    "code_challenge_not_base64url": {"code_challenge": "+" * 43},
    "code_challenge_padded": {"code_challenge": "A" * 42 + "="},
    "nonce_missing": {"nonce": None},
    "nonce_longer_than_255": {"nonce": "n" * 256},
    "nonce_not_a_string": {"nonce": 12345},
    "state_not_a_string": {"state": 12345},
    "state_empty": {"state": ""},
    "claims_not_an_object": {"claims": "sharing_duration=100"},
    "sharing_duration_negative": {"claims": {"sharing_duration": -1}},
    "sharing_duration_string": {"claims": {"sharing_duration": "86400"}},
    "sharing_duration_fraction": {"claims": {"sharing_duration": 1.5}},
    "sharing_duration_boolean": {"claims": {"sharing_duration": True}},
    "cdr_arrangement_id_unknown": {"claims": {"cdr_arrangement_id": "02e7c9d9-cfe7-4c3e-8f64-e91173c84ecb"}},
    "cdr_arrangement_id_not_a_string": {"claims": {"cdr_arrangement_id": 42}},
    "acr_essential_unsupported": {"claims": {"id_token": {"acr": {"essential": True,
                                                                    "values": ["urn:cds.au:cdr:9"]}}}},
    "acr_values_not_a_list": {"claims": {"id_token": {"acr": {"values": "urn:cds.au:cdr:2"}}}},
}


@pytest.mark.parametrize("case", sorted(INVALID_REQUEST))
def test_invalid_authorization_parameters_are_invalid_request(client_app, case):
    response = push(client_app, request_claims(client_app, **INVALID_REQUEST[case]))
    _error(response, 400, "invalid_request")


def test_a_registered_http_redirect_uri_is_still_refused(make_client):
    http_uri = "http://recipient.example/callback"
    client = make_client(redirect_uris=[http_uri])
    _error(push(client, request_claims(client, redirect_uri=http_uri)), 400, "invalid_request")


def test_a_registered_redirect_uri_with_a_fragment_is_refused(make_client):
    uri = REDIRECT_URI + "#frag"
    client = make_client(redirect_uris=[uri])
    _error(push(client, request_claims(client, redirect_uri=uri)), 400, "invalid_request")


@pytest.mark.parametrize("scope", [None, "", "profile bank:accounts.basic:read", "OPENID",
                                   "openid bank:payees:read", "openid cdr:registration",
                                   "openid admin:metrics.basic:read"])
def test_scope_without_openid_or_beyond_the_registration_is_invalid_scope(client_app, scope):
    response = push(client_app, request_claims(client_app, scope=scope))
    _error(response, 400, "invalid_scope")


# --- cdr_arrangement_id (amending) ----------------------------------------------------------


def test_cdr_arrangement_id_of_an_active_arrangement_of_this_product_is_accepted(client_app):
    arrangement = _arrangement(client_app)
    claims = request_claims(client_app, claims={"sharing_duration": 3600,
                                                 "cdr_arrangement_id": arrangement.cdr_arrangement_id})
    stored = _stored(push(client_app, claims))
    assert stored.parameters["cdr_arrangement_id"] == arrangement.cdr_arrangement_id


@pytest.mark.parametrize("case", ["another_product", "revoked", "expired"])
def test_cdr_arrangement_id_that_cannot_be_amended_is_refused(make_client, case):
    client, other = make_client(name="Mine"), make_client(name="Other")
    if case == "another_product":
        arrangement = _arrangement(other)
    elif case == "revoked":
        arrangement = _arrangement(client, status=ArrangementStatus.REVOKED)
    else:
        arrangement = _arrangement(client, days=-1)
    claims = request_claims(client, claims={"cdr_arrangement_id": arrangement.cdr_arrangement_id})
    body = _error(push(client, claims), 400, "invalid_request")
    # The same words as for an unknown ID: nothing tells the caller which case it hit.
    assert body["error_description"] == "cdr_arrangement_id does not name an active arrangement."


# --- must succeed ----------------------------------------------------------------------------


def test_aud_may_be_a_list_containing_the_issuer(client_app):
    claims = request_claims(client_app, aud=["https://other.example", issuer()])
    assert push(client_app, claims).status_code == 201


def test_long_state_and_nonce_are_kept_exactly(client_app):
    state = "s-" + "AbC123_-.~" * 30 + "/+=?&#ü"
    nonce = "n-" + "xYz789" * 40
    stored = _stored(push(client_app, request_claims(client_app, state=state, nonce=nonce)))
    assert stored.parameters["state"] == state and len(state) > 64
    assert stored.parameters["nonce"] == nonce and len(nonce) > 64


def test_a_request_without_state_is_accepted(client_app):
    stored = _stored(push(client_app, request_claims(client_app, state=None)))
    assert stored.parameters["state"] is None


def test_scopes_may_come_in_any_order(client_app):
    forward = _stored(push(client_app, request_claims(
        client_app, scope="openid profile bank:accounts.basic:read bank:transactions:read")))
    backward = _stored(push(client_app, request_claims(
        client_app, scope="bank:transactions:read bank:accounts.basic:read profile openid")))
    assert forward.parameters["scopes"] == backward.parameters["scopes"]


def test_scopes_the_server_does_not_know_are_ignored(client_app):
    claims = request_claims(client_app, scope="openid energy:electricity.usage:read frobnicate "
                                              "bank:accounts.basic:read")
    stored = _stored(push(client_app, claims))
    assert stored.parameters["scopes"] == ["bank:accounts.basic:read", "openid"]


def test_es256_request_object_is_accepted_when_registered(client_app):
    client_app.registration.request_object_signing_alg = "ES256"
    client_app.registration.save()
    assert push(client_app, alg="ES256").status_code == 201


@pytest.mark.parametrize(("requested", "stored"), [
    (ONE_YEAR + 1, ONE_YEAR), (10 * ONE_YEAR, ONE_YEAR), (ONE_YEAR, ONE_YEAR), (86400, 86400),
    (86400.0, 86400), (0, 0), (None, 0),
])
def test_sharing_duration_is_capped_at_a_year_and_defaults_to_once_off(client_app, requested,
                                                                        stored):
    claims = {} if requested is None else {"sharing_duration": requested}
    pushed = _stored(push(client_app, request_claims(client_app, claims=claims)))
    assert pushed.parameters["sharing_duration"] == stored


def test_a_request_without_claims_is_once_off_with_no_acr(client_app):
    pushed = _stored(push(client_app, request_claims(client_app, claims=None)))
    assert pushed.parameters["sharing_duration"] == 0
    assert pushed.parameters["acr_values"] == [] and pushed.parameters["acr_essential"] is False


@pytest.mark.parametrize(("claims", "extra", "values", "essential"), [
    ({"id_token": {"acr": {"essential": True, "values": ["urn:cds.au:cdr:3"]}}}, {},
     ["urn:cds.au:cdr:3"], True),
    ({"id_token": {"acr": {"essential": True, "value": "urn:cds.au:cdr:2"}}}, {},
     ["urn:cds.au:cdr:2"], True),
    ({"id_token": {"acr": {"values": ["urn:other", "urn:cds.au:cdr:3"]}}}, {},
     ["urn:cds.au:cdr:3"], False),
    ({}, {"acr_values": "urn:cds.au:cdr:3 urn:cds.au:cdr:2"},
     ["urn:cds.au:cdr:3", "urn:cds.au:cdr:2"], False),
])
def test_requested_acr_is_recorded(client_app, claims, extra, values, essential):
    pushed = _stored(push(client_app, request_claims(client_app, claims=claims, **extra)))
    assert pushed.parameters["acr_values"] == values
    assert pushed.parameters["acr_essential"] is essential


def test_a_rotated_request_object_key_is_fetched_once(client_app, monkeypatch):
    new_key = jwk.JWK.generate(kty="RSA", size=2048, kid="rotated-1", alg="PS256")
    jwks = {"keys": [*client_app.registration.jwks["keys"], json.loads(new_key.export_public())]}
    fetched = []

    def fetch(uri):
        fetched.append(uri)
        return jwks

    monkeypatch.setattr("security.oauth.client_jwks.fetch_jwks", fetch)
    registration = client_app.registration
    registration.jwks_fetched_at = timezone.now() - timedelta(minutes=5)
    registration.save()
    token = client_app.sign(request_claims(client_app), key=new_key)
    assert push(client_app, request_object=token).status_code == 201
    assert fetched == ["https://recipient.example/jwks"]
