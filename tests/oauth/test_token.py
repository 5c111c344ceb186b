"""The token endpoint: code exchange (PKCE, single use, replay), refresh, client credentials,
certificate binding and the ID token.

Authorizations are made the way security/oauth/authorization.py approves one (an arrangement
through the consent services, a DOT Grant with a 60 s code and S256 challenge, its
GrantContext), directly, so these tests do not depend on the authorize flow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from accounts.demo.seeder import demo_data_delete, seed_run
from accounts.models import Account, User
from security.audit import Actor
from security.consent.models import AccessTokenBinding, Arrangement
from security.consent.services import arrangement_create, arrangement_revoke
from security.models import AuditEvent
from security.mtls import certificate_thumbprint
from security.oauth import tokens
from security.oauth.endpoints import issuer
from security.oauth.jose import keyset, unverified_header_and_claims, verify
from security.oauth.models import GrantContext, RefreshTokenContext, UsedAuthorizationCode
from tests.conftest import assert_cdr_error
from tests.oauth.conftest import REDIRECT_URI

TOKEN = "/token"
FORM = "application/x-www-form-urlencoded"
CERT = b"0\x82 recipient transport certificate (DER)"
OTHER_CERT = b"0\x82 another certificate"
SCOPES = ("openid", "profile", "bank:accounts.basic:read", "bank:transactions:read")
DAY = 24 * 3600


# Fixtures and helpers (test_introspection_revocation.py imports them) --------------------
@pytest.fixture(scope="module")
def seeded_bank(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo cast (jane.citizen, john.citizen, priya.sharma...) for this module."""
    with django_db_blocker.unblock():
        demo_data_delete()
        seed_run(seed=20261128, as_of=timezone.now().date(), customers=0,
                 transactions_per_account=2, brand="demo", brand_name="Demo Bank")
    yield
    with django_db_blocker.unblock():
        Arrangement.objects.all().delete()
        demo_data_delete()


@pytest.fixture
def bank(seeded_bank: Any, db: Any) -> None:
    return None


class TlsSocket:
    """What gunicorn puts in the WSGI environ for a TLS connection with a client cert."""

    def __init__(self, der: bytes) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False) -> bytes:
        return self.der


def tls(der: bytes | None) -> dict[str, Any]:
    return {"gunicorn.socket": TlsSocket(der)} if der is not None else {}


def post_form(path: str, client: Any, data: dict[str, Any], *, der: bytes | None = CERT,
              authenticate: bool = True) -> Any:
    body = {**(client.auth_form() if authenticate else {}), **data}
    body = {k: v for k, v in body.items() if v is not None}
    return Client().post(path, urlencode(body), content_type=FORM, **tls(der))


def assert_oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert body["error"] == error, body
    assert response["Cache-Control"] == "no-store"
    return body


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


@dataclass
class Authorized:
    code: str
    verifier: str
    arrangement: Arrangement
    grant: Any
    user: User


def authorize(client: Any, *, username: str = "jane.citizen", scopes: tuple[str, ...] = SCOPES,
              sharing_duration: int = 90 * DAY, nonce: str = "n-0S6_WzA2Mj",
              replaces: Arrangement | None = None, acr: str = "urn:cds.au:cdr:2") -> Authorized:
    """What authorization_decide leaves behind for the token endpoint."""
    now = timezone.now()
    user = User.objects.get(username=username)
    arrangement = arrangement_create(
        customer=user.customer, user=user, software_product=client.registration.software_product,
        scopes=scopes, accounts=Account.objects.filter(account_holders__customer=user.customer),
        sharing_expires_at=now + timedelta(seconds=sharing_duration) if sharing_duration else None,
        actor=Actor.system("test"),
    )
    code = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    grant = Grant.objects.create(
        user=user, code=hashlib.sha256(code.encode()).hexdigest(),
        application=client.registration.application,
        expires=now + timedelta(seconds=60), redirect_uri=REDIRECT_URI, scope=" ".join(scopes),
        code_challenge=challenge, code_challenge_method="S256", nonce=nonce,
        claims=json.dumps({"id_token": {"acr": {"essential": True, "values": [acr]}}}),
    )
    GrantContext.objects.create(
        grant=grant, arrangement=arrangement, auth_time=now - timedelta(seconds=30), acr=acr,
        sharing_duration=sharing_duration, replaces=replaces,
    )
    return Authorized(code=code, verifier=verifier, arrangement=arrangement, grant=grant,
                      user=user)


def exchange(client: Any, auth: Authorized, *, der: bytes | None = CERT, **overrides: Any) -> Any:
    data = {"grant_type": "authorization_code", "code": auth.code, "redirect_uri": REDIRECT_URI,
            "code_verifier": auth.verifier, **overrides}
    return post_form(TOKEN, client, data, der=der)


def tokens_for(client: Any, **kwargs: Any) -> dict[str, Any]:
    response = exchange(client, authorize(client, **kwargs))
    assert response.status_code == 200, response.content
    return response.json()


def refresh(client: Any, refresh_token: str, *, der: bytes | None = CERT, **extra: Any) -> Any:
    return post_form(TOKEN, client, {"grant_type": "refresh_token",
                                     "refresh_token": refresh_token, **extra}, der=der)


def accounts_call(access_token: str, *, der: bytes | None = CERT) -> Any:
    return Client().get("/cds-au/v1/banking/accounts", HTTP_AUTHORIZATION=f"Bearer {access_token}",
                        HTTP_X_V="3", HTTP_X_FAPI_AUTH_DATE=http_date(),
                        HTTP_ACCEPT="application/json", **tls(der))


def bank_keys() -> Any:
    return keyset(Client().get("/jwks").json())


def stored_access_token(raw: str) -> Any:
    return AccessToken.objects.get(token_checksum=hashlib.sha256(raw.encode()).hexdigest())


# authorization_code -----------------------------------------------------------------------
def test_code_exchange_returns_bound_tokens_and_stores_only_digests(bank, client_app):
    auth = authorize(client_app)
    response = exchange(client_app, auth)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token",
                         "scope", "cdr_arrangement_id"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == " ".join(sorted(SCOPES))
    assert body["cdr_arrangement_id"] == auth.arrangement.cdr_arrangement_id
    assert len(body["access_token"]) >= 43 and len(body["refresh_token"]) >= 43  # 256 bits

    access = stored_access_token(body["access_token"])
    assert access.token == ""
    assert access.application_id == client_app.registration.application_id
    binding = AccessTokenBinding.objects.get(access_token=access)
    assert binding.arrangement_id == auth.arrangement.pk
    assert binding.certificate_thumbprint == certificate_thumbprint(CERT)
    refresh_row = RefreshToken.objects.get(
        token_checksum=hashlib.sha256(body["refresh_token"].encode()).hexdigest())
    assert refresh_row.token == ""
    assert refresh_row.context.expires_at == auth.arrangement.sharing_expires_at
    assert not Grant.objects.filter(pk=auth.grant.pk).exists()
    assert UsedAuthorizationCode.objects.filter(
        code_digest=hashlib.sha256(auth.code.encode()).hexdigest()).exists()

    assert accounts_call(body["access_token"], der=CERT).status_code == 200
    assert_cdr_error(accounts_call(body["access_token"], der=OTHER_CERT), 401,
                     "GeneralError/Expected")
    assert_cdr_error(accounts_call(body["access_token"], der=None), 401, "GeneralError/Expected")


def test_code_exchange_without_certificate_is_refused_where_binding_is_required(
        bank, client_app, settings):
    settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = True
    auth = authorize(client_app)
    # mTLS comes first: no certificate, no client authentication (RFC 8705 §2).
    assert_oauth_error(exchange(client_app, auth, der=None), 401, "invalid_client")
    assert not AccessToken.objects.filter(application=client_app.registration.application).exists()
    # The refusal did not burn the code: the same client, now with its certificate, succeeds.
    assert exchange(client_app, auth, der=CERT).status_code == 200


def test_code_exchange_without_certificate_issues_a_plain_token_only_where_relaxed(
        bank, client_app, settings):
    settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = False
    body = exchange(client_app, authorize(client_app), der=None).json()
    binding = AccessTokenBinding.objects.get(access_token=stored_access_token(body["access_token"]))
    assert binding.certificate_thumbprint == ""


def test_once_off_consent_gets_no_refresh_token(bank, client_app):
    auth = authorize(client_app, sharing_duration=0)
    body = exchange(client_app, auth).json()
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token", "scope",
                         "cdr_arrangement_id"}
    assert not RefreshToken.objects.filter(application=client_app.registration.application).exists()


def test_code_replay_is_refused_and_revokes_what_the_code_issued(bank, client_app):
    auth = authorize(client_app)
    first = exchange(client_app, auth).json()
    assert accounts_call(first["access_token"]).status_code == 200

    assert_oauth_error(exchange(client_app, auth), 400, "invalid_grant")

    assert_cdr_error(accounts_call(first["access_token"]), 401, "GeneralError/Expected")
    assert_oauth_error(refresh(client_app, first["refresh_token"]), 400, "invalid_grant")
    assert AuditEvent.objects.filter(event_type=tokens.AUTHORIZATION_CODE_REPLAYED).exists()


def test_expired_code_is_invalid_grant(bank, client_app):
    auth = authorize(client_app)
    Grant.objects.filter(pk=auth.grant.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert_oauth_error(exchange(client_app, auth), 400, "invalid_grant")


def test_code_older_than_60_seconds_is_invalid_whatever_its_expiry(bank, client_app):
    auth = authorize(client_app)
    Grant.objects.filter(pk=auth.grant.pk).update(
        created=timezone.now() - timedelta(seconds=61),
        expires=timezone.now() + timedelta(minutes=10))
    assert_oauth_error(exchange(client_app, auth), 400, "invalid_grant")


@pytest.mark.parametrize("redirect_uri", ["https://recipient.example/other", None,
                                          REDIRECT_URI + "/"])
def test_redirect_uri_must_equal_the_authorization_requests(bank, client_app, redirect_uri):
    auth = authorize(client_app)
    assert_oauth_error(exchange(client_app, auth, redirect_uri=redirect_uri), 400, "invalid_grant")


@pytest.mark.parametrize("case", ["wrong", "missing", "short", "too_long", "bad_chars",
                                  "the_challenge_itself"])
def test_code_verifier_must_match_the_s256_challenge(bank, client_app, case):
    auth = authorize(client_app)
    verifier = {
        "wrong": secrets.token_urlsafe(48),
        "missing": None,
        "short": auth.verifier[:42],
        "too_long": auth.verifier + "a" * 100,
        "bad_chars": auth.verifier[:50] + "+/=",
        "the_challenge_itself": auth.grant.code_challenge,
    }[case]
    assert_oauth_error(exchange(client_app, auth, code_verifier=verifier), 400, "invalid_grant")
    # A failed check burns the code: the right verifier no longer helps.
    assert_oauth_error(exchange(client_app, auth), 400, "invalid_grant")


def test_code_of_another_client_is_refused_and_left_to_its_owner(bank, make_client):
    owner, thief = make_client(), make_client(name="Other App")
    auth = authorize(owner)
    assert_oauth_error(exchange(thief, auth), 400, "invalid_grant")
    assert exchange(owner, auth).status_code == 200


def test_code_for_a_revoked_arrangement_is_invalid_grant(bank, client_app):
    auth = authorize(client_app)
    arrangement_revoke(arrangement=auth.arrangement, actor=Actor.system("test"))
    assert_oauth_error(exchange(client_app, auth), 400, "invalid_grant")


def test_unknown_code_is_invalid_grant(bank, client_app):
    auth = authorize(client_app)
    assert_oauth_error(exchange(client_app, auth, code="not-a-code"), 400, "invalid_grant")
    assert_oauth_error(exchange(client_app, auth, code=None), 400, "invalid_request")


def test_amending_revokes_the_old_tokens_only_once_the_new_code_is_redeemed(bank, client_app):
    old = authorize(client_app)
    old_tokens = exchange(client_app, old).json()
    amended = authorize(client_app, replaces=old.arrangement,
                        scopes=(*SCOPES, "bank:accounts.detail:read"))

    # A failed exchange of the amending code leaves the old tokens alone.
    assert_oauth_error(exchange(client_app, amended, code_verifier=pkce_pair()[0]), 400,
                       "invalid_grant")
    assert accounts_call(old_tokens["access_token"]).status_code == 200

    amended = authorize(client_app, replaces=old.arrangement)
    new_tokens = exchange(client_app, amended).json()
    assert new_tokens["cdr_arrangement_id"] == old_tokens["cdr_arrangement_id"]
    assert_cdr_error(accounts_call(old_tokens["access_token"]), 401, "GeneralError/Expected")
    assert_oauth_error(refresh(client_app, old_tokens["refresh_token"]), 400, "invalid_grant")
    assert accounts_call(new_tokens["access_token"]).status_code == 200
    assert refresh(client_app, new_tokens["refresh_token"]).status_code == 200


# refresh_token ----------------------------------------------------------------------------
def test_refresh_returns_the_same_refresh_token_and_a_new_bound_access_token(bank, client_app):
    first = tokens_for(client_app)
    response = refresh(client_app, first["refresh_token"], der=OTHER_CERT)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    # No rotation (CDS), no ID token on refresh (OIDC Core §12.2 allows omitting it).
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope",
                         "cdr_arrangement_id"}
    assert body["refresh_token"] == first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert body["cdr_arrangement_id"] == first["cdr_arrangement_id"]
    assert body["expires_in"] == 300
    binding = AccessTokenBinding.objects.get(access_token=stored_access_token(body["access_token"]))
    assert binding.certificate_thumbprint == certificate_thumbprint(OTHER_CERT)
    assert accounts_call(body["access_token"], der=OTHER_CERT).status_code == 200
    assert_cdr_error(accounts_call(body["access_token"], der=CERT), 401, "GeneralError/Expected")
    # It can be used again and again (no rotation, no reuse detection tripping).
    assert refresh(client_app, first["refresh_token"]).status_code == 200


def test_access_token_expiry_is_capped_by_the_end_of_sharing(bank, client_app):
    first = tokens_for(client_app, sharing_duration=200)
    assert 195 <= first["expires_in"] <= 200
    body = refresh(client_app, first["refresh_token"]).json()
    assert body["expires_in"] <= 200
    access = stored_access_token(body["access_token"])
    arrangement = Arrangement.objects.get(cdr_arrangement_id=first["cdr_arrangement_id"])
    assert access.expires <= arrangement.sharing_expires_at


def test_refresh_may_narrow_the_scope_but_not_widen_it(bank, client_app):
    first = tokens_for(client_app)
    narrow = refresh(client_app, first["refresh_token"], scope="bank:accounts.basic:read").json()
    assert narrow["scope"] == "bank:accounts.basic:read"
    assert stored_access_token(narrow["access_token"]).scope == "bank:accounts.basic:read"
    assert_oauth_error(refresh(client_app, first["refresh_token"],
                               scope="bank:accounts.basic:read bank:payees:read"),
                       400, "invalid_scope")


def test_refresh_after_the_arrangement_is_revoked_is_invalid_grant(bank, client_app):
    first = tokens_for(client_app)
    arrangement = Arrangement.objects.get(cdr_arrangement_id=first["cdr_arrangement_id"])
    arrangement_revoke(arrangement=arrangement, actor=Actor.system("test"))
    assert_oauth_error(refresh(client_app, first["refresh_token"]), 400, "invalid_grant")


def test_refresh_after_sharing_ends_is_invalid_grant(bank, client_app):
    first = tokens_for(client_app)
    RefreshTokenContext.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_oauth_error(refresh(client_app, first["refresh_token"]), 400, "invalid_grant")


def test_refresh_token_of_another_client_is_invalid_grant(bank, make_client):
    owner, other = make_client(), make_client(name="Other App")
    first = tokens_for(owner)
    assert_oauth_error(refresh(other, first["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(refresh(owner, "unknown-refresh-token"), 400, "invalid_grant")


def test_refresh_without_certificate_is_refused_where_binding_is_required(
        bank, client_app, settings):
    first = tokens_for(client_app)
    settings.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = True
    assert_oauth_error(refresh(client_app, first["refresh_token"], der=None), 401,
                       "invalid_client")


# client_credentials -----------------------------------------------------------------------
REGISTRATION_CLIENT_SCOPE = "openid bank:accounts.basic:read cdr:registration"


def test_client_credentials_issue_a_registration_token_the_cdr_api_refuses(bank, make_client):
    client = make_client(scope=REGISTRATION_CLIENT_SCOPE)
    response = post_form(TOKEN, client, {"grant_type": "client_credentials",
                                         "scope": "cdr:registration"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "cdr:registration" and body["token_type"] == "Bearer"
    stored = stored_access_token(body["access_token"])
    assert stored.token == "" and stored.user is None and stored.scope == "cdr:registration"
    assert stored.application_id == client.registration.application_id
    assert not AccessTokenBinding.objects.filter(access_token=stored).exists()
    assert_cdr_error(accounts_call(body["access_token"]), 403, "Authorisation/InvalidConsent")


@pytest.mark.parametrize("scope", ["bank:accounts.basic:read", "cdr:registration openid",
                                   "cdr:registration bank:transactions:read", "", None])
def test_client_credentials_never_carry_other_scopes(bank, make_client, scope):
    client = make_client(scope=REGISTRATION_CLIENT_SCOPE)
    response = post_form(TOKEN, client, {"grant_type": "client_credentials", "scope": scope})
    assert_oauth_error(response, 400, "invalid_scope")


def test_client_credentials_need_the_registration_scope_registered(bank, client_app):
    response = post_form(TOKEN, client_app, {"grant_type": "client_credentials",
                                             "scope": "cdr:registration"})
    assert_oauth_error(response, 400, "invalid_scope")


# The endpoint itself ----------------------------------------------------------------------
@pytest.mark.parametrize("grant_type", [
    "password", "implicit", "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:jwt-bearer",
])
def test_other_grant_types_are_unsupported(bank, client_app, grant_type):
    response = post_form(TOKEN, client_app, {"grant_type": grant_type, "username": "jane.citizen",
                                             "password": "x"})
    assert_oauth_error(response, 400, "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(bank, client_app):
    assert_oauth_error(post_form(TOKEN, client_app, {}), 400, "invalid_request")


def test_grant_type_not_registered_is_unauthorized_client(bank, client_app):
    client_app.registration.grant_types = ["authorization_code"]
    client_app.registration.save()
    assert_oauth_error(refresh(client_app, "whatever"), 400, "unauthorized_client")


def test_inactive_software_product_gets_no_tokens(bank, make_client):
    client = make_client(product_status="INACTIVE")
    assert_oauth_error(exchange(client, authorize_for_inactive(client)), 400,
                       "unauthorized_client")


def authorize_for_inactive(client: Any) -> Authorized:
    # The arrangement was made while the product was active.
    product = client.registration.software_product
    product.status = "ACTIVE"
    product.save()
    auth = authorize(client)
    product.status = "INACTIVE"
    product.save()
    return auth


def test_token_endpoint_requires_client_authentication(bank, client_app):
    auth = authorize(client_app)
    response = post_form(TOKEN, client_app, {"grant_type": "authorization_code", "code": auth.code,
                                             "redirect_uri": REDIRECT_URI,
                                             "code_verifier": auth.verifier},
                         authenticate=False)
    assert_oauth_error(response, 401, "invalid_client")
    assert Grant.objects.filter(pk=auth.grant.pk).exists()


def test_token_endpoint_is_post_only(bank):
    assert Client().get(TOKEN).status_code == 405


def test_token_endpoint_takes_form_bodies_only(bank, client_app):
    auth = authorize(client_app)
    data = {**client_app.auth_form(), "grant_type": "authorization_code", "code": auth.code,
            "redirect_uri": REDIRECT_URI, "code_verifier": auth.verifier}
    as_json = Client().post(TOKEN, json.dumps(data), content_type="application/json", **tls(CERT))
    assert_oauth_error(as_json, 400, "invalid_request")
    multipart = Client().post(TOKEN, data, **tls(CERT))
    assert_oauth_error(multipart, 400, "invalid_request")


def test_repeated_parameters_are_invalid_request(bank, client_app):
    auth = authorize(client_app)
    body = urlencode({**client_app.auth_form(), "grant_type": "authorization_code",
                      "code": auth.code, "redirect_uri": REDIRECT_URI,
                      "code_verifier": auth.verifier}) + "&code=" + auth.code
    response = Client().post(TOKEN, body, content_type=FORM, **tls(CERT))
    assert_oauth_error(response, 400, "invalid_request")


def test_access_token_lifetime_setting_is_refused_outside_two_to_ten_minutes(settings):
    for seconds in (119, 601, "300"):
        settings.BANK_ACCESS_TOKEN_SECONDS = seconds
        with pytest.raises(ImproperlyConfigured):
            tokens.access_token_lifetime()
    settings.BANK_ACCESS_TOKEN_SECONDS = 120
    assert tokens.access_token_lifetime() == timedelta(minutes=2)


def test_access_token_lifetime_follows_the_setting(bank, client_app, settings):
    settings.BANK_ACCESS_TOKEN_SECONDS = 150
    body = tokens_for(client_app)
    assert body["expires_in"] == 150
    assert unverified_header_and_claims(body["id_token"])[1]["exp"] - \
        unverified_header_and_claims(body["id_token"])[1]["iat"] == 150


# ID token ---------------------------------------------------------------------------------
def verified_id_token(client: Any, id_token: str) -> dict[str, Any]:
    return verify(id_token, keys=bank_keys(), issuer=issuer(), audience=[client.client_id],
                  required=("iss", "sub", "aud", "exp", "iat", "auth_time", "acr"))


def test_id_token_is_signed_and_carries_no_personal_information(bank, client_app):
    auth = authorize(client_app, acr="urn:cds.au:cdr:3")
    body = exchange(client_app, auth).json()
    header, _ = unverified_header_and_claims(body["id_token"])
    assert header["alg"] == "PS256"
    claims = verified_id_token(client_app, body["id_token"])
    assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "auth_time", "acr", "nonce"}
    assert claims["aud"] == client_app.client_id
    assert claims["acr"] == "urn:cds.au:cdr:3"
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    context_auth_time = int((timezone.now() - timedelta(seconds=30)).timestamp())
    assert abs(claims["auth_time"] - context_auth_time) <= 2
    assert claims["exp"] - claims["iat"] == 300
    text = json.dumps(claims)
    customer = auth.user.customer
    for personal in (customer.first_name, customer.last_name, auth.user.username, "@"):
        assert personal not in text
    assert claims["sub"] not in (auth.user.username, str(auth.user.pk), str(customer.pk))


def test_id_token_without_nonce_has_no_nonce_claim(bank, client_app):
    body = tokens_for(client_app, nonce="")
    assert "nonce" not in verified_id_token(client_app, body["id_token"])


def test_id_token_uses_the_registered_signing_alg(bank, client_app):
    client_app.registration.id_token_signed_response_alg = "ES256"
    client_app.registration.save()
    body = tokens_for(client_app)
    assert unverified_header_and_claims(body["id_token"])[0]["alg"] == "ES256"
    verified_id_token(client_app, body["id_token"])


def _sub(client: Any, username: str = "jane.citizen") -> str:
    return verified_id_token(client, tokens_for(client, username=username)["id_token"])["sub"]


def test_sub_is_pairwise_per_sector_and_stable_within_one(bank, make_client):
    here = make_client()
    elsewhere = make_client(name="Elsewhere", redirect_uris=["https://elsewhere.example/cb"])
    sub_here = _sub(here)
    assert _sub(here) == sub_here  # stable across authorizations
    assert _sub(elsewhere) != sub_here  # another sector, another pseudonym
    assert _sub(here, "john.citizen") != sub_here  # another customer login

    # Two clients that register the same sector identifier share the pseudonym (OIDC §8.1).
    for client in (here, elsewhere):
        client.registration.sector_identifier_uri = "https://group.example/sector.json"
        client.registration.save()
    assert _sub(here) == _sub(elsewhere) != sub_here
