"""Staff sign-in through the corporate IdP (security/staff_sso), against a live test IdP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth import get_user_model
from django.core import checks
from django.urls import NoReverseMatch, reverse
from joserfc.jwk import RSAKey

from security import listeners
from security.models import AuditEvent
from security.staff_sso.models import StaffIdentity
from tests.staff_sso.conftest import CLIENT_ID, follow_bounce, idp_round_trip, sign_in
from tests.staff_sso.idp import TestIdp, b64url, unsigned_token

pytestmark = pytest.mark.django_db

REFUSED_PAGE_TEXT = "The bank could not sign you in with its identity provider."


def _staff(username: str = "alice", *, is_staff: bool = True, is_active: bool = True,
           email: str = "alice@bank.example"):
    return get_user_model().objects.create_user(username=username, email=email,
                                                is_staff=is_staff, is_active=is_active)


def _link(idp: TestIdp, user, subject: str = "staff-sub-1") -> StaffIdentity:
    return StaffIdentity.objects.create(issuer=idp.issuer, subject=subject, user=user)


def _events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def _assert_refused(client, response, reason: str) -> None:
    assert response.status_code == 403
    body = response.content.decode()
    assert REFUSED_PAGE_TEXT in body
    assert reason not in body.split("<main>")[1]  # no hint of which check failed
    assert "_auth_user_id" not in client.session
    assert "staff_second_factor" not in client.session
    [event] = _events("STAFF_SSO_REFUSED")
    assert (event.outcome, event.actor_type, event.detail) == (
        "denied", "anonymous", {"method": "oidc", "reason": reason, "step_up": False})
    assert _events("STAFF_LOGIN_SUCCEEDED") == []


# The full sign-in -----------------------------------------------------------------------

def test_sso_sign_in_logs_in_the_mapped_staff_user_with_the_oidc_marker(client, sso):
    user = _staff()
    identity = _link(sso, user)
    client.get("/staff-sso/authenticate/?next=/admin/")
    key_before = client.session.session_key
    path, query = idp_round_trip(client, "/staff-sso/authenticate/?next=/admin/accounts/")
    started = int(time.time())
    response = client.get(f"{path}?{query}")

    assert response.status_code == 302
    assert response["Location"] == "/admin/accounts/"
    session = client.session
    assert int(session["_auth_user_id"]) == user.pk
    assert session["_auth_user_backend"] == "security.staff_sso.backends.StaffOidcBackend"
    assert session["staff_second_factor"]["method"] == "oidc"
    assert started <= session["staff_second_factor"]["at"] <= int(time.time())
    assert session.session_key != key_before
    assert "oidc_access_token" not in session and "oidc_id_token" not in session
    [event] = _events("STAFF_LOGIN_SUCCEEDED")
    assert (event.outcome, event.actor_type, event.actor_id, event.subject_type,
            event.subject_id, event.detail) == (
        "success", "staff", str(user.pk), "staff_sso.staffidentity", str(identity.pk),
        {"method": "oidc", "step_up": False})


def test_sso_authorization_request_uses_pkce_s256_state_and_nonce(client, sso):
    start = client.get("/staff-sso/authenticate/")
    location = urlsplit(start["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{sso.issuer}/authorize"
    request = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert set(request) == {"response_type", "scope", "client_id", "redirect_uri", "state",
                            "nonce", "code_challenge", "code_challenge_method"}
    assert (request["response_type"], request["scope"], request["client_id"],
            request["redirect_uri"], request["code_challenge_method"]) == (
        "code", "openid", CLIENT_ID, "http://testserver/staff-sso/callback/", "S256")
    entry = client.session["oidc_states"][request["state"]]
    assert entry["nonce"] == request["nonce"]
    challenge = b64url(hashlib.sha256(entry["code_verifier"].encode()).digest())
    assert challenge == request["code_challenge"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x",
                                      "/\\evil.example", "javascript:alert(1)"])
def test_sso_sign_in_ignores_a_next_url_off_this_site(client, sso, next_url):
    _link(sso, _staff())
    response = sign_in(client, f"/staff-sso/authenticate/?next={next_url}")
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_sso_routes_do_not_exist_when_sso_is_not_configured(client):
    with pytest.raises(NoReverseMatch):
        reverse("staff_sso:authenticate", urlconf="bank.urls")
    assert client.get("/staff-sso/authenticate/").status_code == 404


def test_sso_routes_are_served_on_the_mtls_listener_only(sso):
    for name in ("authenticate", "callback", "step_up"):
        assert listeners.listener_for_path(reverse(f"staff_sso:{name}")) == "mtls"


def test_admin_login_page_links_to_sso_only_when_configured(client, settings, idp):
    link = "Sign in with the bank's identity provider"
    assert link not in client.get("/admin/login/").content.decode()
    settings.BANK_STAFF_OIDC_ISSUER = idp.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = idp.client_secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{idp.issuer}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{idp.issuer}/token"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{idp.issuer}/jwks"
    settings.ROOT_URLCONF = "tests.staff_sso.urls"
    body = client.get("/admin/login/").content.decode()
    assert f'<a href="/staff-sso/authenticate/?next=/admin/">{link}</a>' in body
    assert body.count(link) == 1


# Forged ID tokens -------------------------------------------------------------------------

def _other_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "idp-1"})


def _public_pem(key: RSAKey) -> bytes:
    return key.public_key.public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)


def _hs256_with_public_key(claims: dict[str, Any], key: RSAKey) -> str:
    signing_input = unsigned_token(claims, {"alg": "HS256", "kid": key.kid})
    mac = hmac.new(_public_pem(key), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _resign(idp_claims_change: dict[str, Any]):
    def forge(claims: dict[str, Any], key: RSAKey) -> str:
        from joserfc import jwt
        changed = {k: v for k, v in {**claims, **idp_claims_change}.items() if v is not None}
        return jwt.encode({"alg": "RS256", "kid": key.kid}, changed, key)
    return forge


FORGERIES = {
    "wrong_aud": (_resign({"aud": "another-client"}), "audience"),
    "several_aud_without_azp": (_resign({"aud": [CLIENT_ID, "another-client"]}), "audience"),
    "azp_of_another_client": (_resign({"azp": "another-client"}), "audience"),
    "wrong_iss": (_resign({"iss": "https://evil.example"}), "issuer"),
    "expired": (_resign({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}),
                "expired"),
    "issued_in_the_future": (_resign({"iat": int(time.time()) + 3600}), "expired"),
    "wrong_nonce": (_resign({"nonce": "not-the-session-nonce"}), "nonce"),
    "no_nonce": (_resign({"nonce": None}), "nonce"),
    "no_sub": (_resign({"sub": None}), "claims"),
    "bad_signature": (lambda claims, key: _resign({})(claims, _other_key()), "signature"),
    "tampered_payload": (
        lambda claims, key: ".".join([_resign({})(claims, key).split(".")[0],
                                      b64url(json.dumps({**claims, "sub": "admin"}).encode()),
                                      _resign({})(claims, key).split(".")[2]]),
        "signature"),
    "unknown_kid": (lambda claims, key: _resign({})(
        claims, RSAKey.generate_key(2048, parameters={"kid": "idp-unknown"})), "signature"),
    "alg_none": (lambda claims, key: unsigned_token(claims, {"alg": "none"}) + ".",
                 "algorithm"),
    "hs256_with_public_key": (_hs256_with_public_key, "algorithm"),
    "not_a_jwt": (lambda claims, key: "not-a-jwt", "malformed"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_sso_refuses_a_forged_id_token(client, sso, name):
    _link(sso, _staff())
    sso.forge, reason = FORGERIES[name]
    _assert_refused(client, sign_in(client), reason)


def test_sso_refuses_a_replayed_callback(client, sso):
    _link(sso, _staff())
    path, query = idp_round_trip(client, "/staff-sso/authenticate/")
    assert client.get(f"{path}?{query}").status_code == 302
    client.logout()
    replayed = follow_bounce(client, client.get(f"{path}?{query}"))  # a state it no longer holds
    assert replayed.status_code == 403
    assert "_auth_user_id" not in client.session
    assert "staff_second_factor" not in client.session
    [event] = _events("STAFF_SSO_REFUSED")
    assert event.detail == {"method": "oidc", "reason": "state", "step_up": False}
    assert len(_events("STAFF_LOGIN_SUCCEEDED")) == 1


def test_sso_refuses_a_callback_in_a_session_that_did_not_start_it(client, sso, django_user_model):
    from django.test import Client
    _link(sso, _staff())
    path, query = idp_round_trip(Client(), "/staff-sso/authenticate/")  # the attacker's
    _assert_refused(client, follow_bounce(client, client.get(f"{path}?{query}")), "state")


def test_sso_refuses_a_callback_with_an_unknown_state(client, sso):
    _link(sso, _staff())
    path, query = idp_round_trip(client, "/staff-sso/authenticate/")
    forged = query.replace("state=", "state=x")
    _assert_refused(client, follow_bounce(client, client.get(f"{path}?{forged}")), "state")


def test_sso_refuses_an_error_answer_from_the_idp(client, sso):
    start = client.get("/staff-sso/authenticate/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    _assert_refused(client, client.get(f"/staff-sso/callback/?error=access_denied&state={state}"),
                    "idp_error")
    assert state not in client.session["oidc_states"]


def test_sso_refuses_when_the_token_endpoint_refuses_the_client(client, sso, settings):
    settings.OIDC_RP_CLIENT_SECRET = "not-the-registered-secret"
    _link(sso, _staff())
    _assert_refused(client, sign_in(client), "token_exchange")


# Who may sign in ---------------------------------------------------------------------------

def test_sso_refuses_a_subject_with_no_mapping(client, sso):
    _link(sso, _staff(), subject="somebody-else")
    _assert_refused(client, sign_in(client), "unknown_subject")


def test_sso_never_matches_staff_by_email(client, sso):
    _link(sso, _staff(email="alice@bank.example"), subject="alice-real-sub")
    sso.subject = "mallory-sub"
    sso.forge = _resign({"email": "alice@bank.example", "email_verified": True})
    _assert_refused(client, sign_in(client), "unknown_subject")
    assert get_user_model().objects.count() == 1  # and never creates a user


def test_sso_refuses_a_mapping_from_another_issuer(client, sso):
    StaffIdentity.objects.create(issuer="https://other-idp.example", subject="staff-sub-1",
                                 user=_staff())
    _assert_refused(client, sign_in(client), "unknown_subject")


@pytest.mark.parametrize(("is_staff", "is_active"), [(False, True), (True, False)])
def test_sso_refuses_a_user_who_is_not_active_staff(client, sso, is_staff, is_active):
    _link(sso, _staff(is_staff=is_staff, is_active=is_active))
    _assert_refused(client, sign_in(client), "not_staff")


def test_sso_requires_the_configured_mfa_claim(client, sso, settings):
    settings.BANK_STAFF_OIDC_MFA_VALUES = ["hwk", "urn:bank:acr:mfa"]
    _link(sso, _staff())
    sso.amr = ["pwd"]
    _assert_refused(client, sign_in(client), "mfa")


@pytest.mark.parametrize("change", [{"amr": ["pwd", "hwk"]}, {"acr": "urn:bank:acr:mfa"}])
def test_sso_accepts_an_mfa_amr_or_acr(client, sso, settings, change):
    settings.BANK_STAFF_OIDC_MFA_VALUES = ["hwk", "urn:bank:acr:mfa"]
    _link(sso, _staff())
    sso.amr = ["pwd"]
    sso.forge = _resign(change)
    assert sign_in(client).status_code == 302
    assert client.session["staff_second_factor"]["method"] == "oidc"


# JWKS cache ------------------------------------------------------------------------------

def test_sso_caches_the_idp_jwks(client, sso):
    _link(sso, _staff())
    fetches = sso.jwks_fetches
    assert sign_in(client).status_code == 302
    client.logout()
    assert sign_in(client).status_code == 302
    assert sso.jwks_fetches == fetches + 1


def test_sso_refetches_the_jwks_at_most_once_for_unknown_kids(client, sso):
    _link(sso, _staff())
    assert sign_in(client).status_code == 302  # keys cached
    client.logout()
    fetches = sso.jwks_fetches
    sso.forge = FORGERIES["unknown_kid"][0]
    for _ in range(3):
        assert sign_in(client).status_code == 403
    assert sso.jwks_fetches == fetches + 1


# Configuration -----------------------------------------------------------------------------

@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["RS256", "HS512"], []])
def test_system_check_refuses_symmetric_or_no_algorithms(sso, settings, algorithms):
    from security.staff_sso.checks import check_staff_sso_algorithms
    settings.BANK_STAFF_OIDC_SIGNING_ALGORITHMS = algorithms
    assert [e.id for e in check_staff_sso_algorithms()] == ["staff_sso.E001"]
    assert all(e.level == checks.ERROR for e in check_staff_sso_algorithms())


def test_system_check_passes_the_default_configuration(sso):
    from security.staff_sso.checks import check_staff_sso_algorithms
    assert check_staff_sso_algorithms() == []


def test_hs256_is_refused_even_if_configured(client, sso, settings):
    settings.BANK_STAFF_OIDC_SIGNING_ALGORITHMS = ["RS256", "HS256"]
    _link(sso, _staff())
    sso.forge = _hs256_with_public_key
    _assert_refused(client, sign_in(client), "algorithm")


