"""Dynamic Client Registration (cds_dcr.json; security/oauth/dcr.py) against the mock Register.

The recipient gets a real SSA from the mock Register and signs its registration request with
its own keys, published at the SSA's jwks_uri; only the HTTP hop to the Register and to the
recipient's JWKS is routed in-process (tests/register/harness.py).
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.models import AccessToken, Application, RefreshToken

from bank.register_mock.keys import register_keys, register_sign
from bank.register_mock.models import RegisterSoftwareProduct
from bank.register_mock.ssa import ssa_claims
from security import audit
from security.models import AuditEvent
from security.oauth import dcr
from security.oauth.client_auth import ASSERTION_TYPE, client_authenticate
from security.oauth.endpoints import issuer
from security.oauth.errors import InvalidClient
from security.oauth.models import ClientRegistration
from security.pki import register_signing_key_create
from security.recipients.models import DataRecipient, SoftwareProduct
from security.recipients.services import software_product_record
from tests.cdr_schema import validate_body
from tests.register import harness
from tests.register.harness import REGISTER_JWKS_URI, dcr_post, dcr_register, sign

# The Register harness's fixtures (tests/register/conftest.py does the same for its package).
register_keys_dir = harness.register_keys_dir
register_env = harness.register_env
make_recipient = harness.make_recipient
recipient = harness.recipient

ALL_SCOPES = ("openid profile bank:accounts.basic:read bank:accounts.detail:read "
              "bank:transactions:read bank:payees:read bank:regular_payments:read "
              "common:customer.basic:read common:customer.detail:read cdr:registration")


def assert_dcr_body(response, operation_id: str, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    problems = validate_body(body, operation_id, status)
    assert not problems, "\n".join(problems)
    return body


def assert_registration_error(response, error: str, *, status: int = 400) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == error, body
    assert not validate_body(body, "postClientRegistration", 400)
    assert response["Cache-Control"] == "no-store"
    return str(body.get("error_description", ""))


def registration_token(client_id: str, *, scope: str = "cdr:registration",
                       seconds: int = 300) -> str:
    """A client-credentials access token as the token endpoint issues it (digest at rest)."""
    raw = uuid.uuid4().hex + uuid.uuid4().hex
    token = AccessToken(user=None, application=Application.objects.get(client_id=client_id),
                        token="", scope=scope,
                        expires=timezone.now() + timedelta(seconds=seconds))
    token._raw_token = raw
    token.save()
    return raw


def _detail(client_id: str) -> str:
    return f"/register/{client_id}"


def _bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def _manage(client: Client, method: str, client_id: str, headers: dict[str, str],
            request_jwt: str):
    if method == "get":
        return client.get(_detail(client_id), headers=headers)
    return getattr(client, method)(_detail(client_id), data=request_jwt,
                                   content_type="application/jwt", headers=headers)


# POST /register: success ----------------------------------------------------------------
def test_registration_creates_the_client_and_returns_the_cds_body(recipient, client):
    ssa = recipient.ssa()
    response = dcr_post(client, recipient.registration_request(ssa))

    body = assert_dcr_body(response, "postClientRegistration", 201)
    assert response["Cache-Control"] == "no-store"
    product = recipient.product
    brand, legal_entity = product.brand, product.brand.legal_entity
    application = Application.objects.get(client_id=body["client_id"])
    assert body == {
        "client_id": application.client_id,
        "client_id_issued_at": int(application.created.timestamp()),
        "client_name": product.client_name,
        "client_description": product.client_description,
        "client_uri": product.client_uri,
        "legal_entity_id": legal_entity.legal_entity_id,
        "legal_entity_name": legal_entity.legal_entity_name,
        "org_id": brand.brand_id,
        "org_name": brand.brand_name,
        "redirect_uris": product.redirect_uris,
        "sector_identifier_uri": product.sector_identifier_uri,
        "logo_uri": product.logo_uri,
        "tos_uri": product.tos_uri,
        "policy_uri": product.policy_uri,
        "jwks_uri": product.jwks_uri,
        "revocation_uri": product.revocation_uri,
        "recipient_base_uri": product.recipient_base_uri,
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "PS256",
        "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
        "response_types": ["code"],
        "application_type": "web",
        "id_token_signed_response_alg": "PS256",
        "request_object_signing_alg": "PS256",
        "authorization_signed_response_alg": "PS256",
        "software_statement": ssa,
        "software_id": product.software_product_id,
        "software_roles": "data-recipient-software-product",
        "scope": ALL_SCOPES,
    }

    # The rows behind it: DOT client, the recipient mirror, the registration.
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.client_secret.startswith(("pbkdf2", "md5", "scrypt", "argon2", "bcrypt"))
    assert application.redirect_uris.split() == product.redirect_uris
    bank_product = SoftwareProduct.objects.get(software_product_id=product.software_product_id)
    assert bank_product.client == application
    assert (bank_product.name, bank_product.brand_name) == (product.client_name, brand.brand_name)
    assert bank_product.recipient == DataRecipient.objects.get(
        legal_entity_id=legal_entity.legal_entity_id)
    registration = ClientRegistration.objects.get(application=application)
    assert registration.status == ClientRegistration.Status.ACTIVE
    assert registration.software_product == bank_product
    assert registration.jwks == recipient.router.documents[product.jwks_uri]
    assert registration.metadata == body
    assert registration.scope == ALL_SCOPES
    event = AuditEvent.objects.get(event_type="CLIENT_REGISTERED")
    assert event.detail["client_id"] == application.client_id


def test_a_registered_client_authenticates_with_private_key_jwt(recipient):
    body = dcr_register(recipient)
    registered = body["token_endpoint_auth_signing_alg"]
    other = "ES256" if registered == "PS256" else "PS256"

    def authenticate(alg):
        now = int(time.time())
        assertion = recipient.sign({"iss": body["client_id"], "sub": body["client_id"],
                                    "aud": issuer(), "iat": now, "exp": now + 300,
                                    "jti": str(uuid.uuid4())}, alg=alg)
        request = RequestFactory().post("/token", {"client_assertion_type": ASSERTION_TYPE,
                                                   "client_assertion": assertion})
        return client_authenticate(request, endpoint="token_endpoint")

    assert authenticate(registered).client_id == body["client_id"]
    # OIDC DCR §2: only the registered token_endpoint_auth_signing_alg.
    with pytest.raises(InvalidClient):
        authenticate(other)


def test_registration_may_narrow_redirect_uris_and_scope_and_use_es256(recipient, client):
    first = recipient.redirect_uris[0]
    response = dcr_post(client, recipient.registration_request(
        alg="ES256", redirect_uris=[first], scope="openid bank:accounts.basic:read energy:x",
        token_endpoint_auth_signing_alg="ES256", id_token_signed_response_alg="ES256",
        request_object_signing_alg="ES256", authorization_signed_response_alg="ES256",
        grant_types=["authorization_code"]))
    body = assert_dcr_body(response, "postClientRegistration", 201)
    assert body["redirect_uris"] == [first]
    assert body["scope"] == "openid bank:accounts.basic:read"
    assert body["grant_types"] == ["authorization_code"]
    assert body["token_endpoint_auth_signing_alg"] == "ES256"


def test_registration_defaults_come_from_the_ssa(recipient, client):
    response = dcr_post(client, recipient.registration_request(
        redirect_uris=None, authorization_signed_response_alg=None, application_type=None,
        response_types=None))
    body = assert_dcr_body(response, "postClientRegistration", 201)
    assert body["redirect_uris"] == recipient.redirect_uris
    assert body["authorization_signed_response_alg"] == "PS256"


def test_scopes_the_bank_does_not_support_are_dropped(make_recipient, client):
    recipient = make_recipient(scope="openid energy:accounts.basic:read bank:payees:read")
    body = assert_dcr_body(dcr_post(client, recipient.registration_request()),
                           "postClientRegistration", 201)
    assert body["scope"] == "openid bank:payees:read"


def test_the_register_jwks_is_fetched_once_and_refetched_for_a_new_key(
        make_recipient, register_env, settings, tmp_path, register_keys_dir):
    a, b = make_recipient(), make_recipient(name="Other")
    dcr_register(a)
    dcr_register(b)
    assert [url for _, url in register_env.calls].count(REGISTER_JWKS_URI) == 1

    # The Register rotates: a new key signs, the bank's cached JWKS does not know its kid.
    rotated = tmp_path / "register"
    shutil.copytree(register_keys_dir, rotated)
    settings.BANK_MOCK_REGISTER_KEYS_DIR = str(rotated)
    time.sleep(1)  # key names sort by creation time
    register_signing_key_create(rotated)
    c = make_recipient(name="Third")
    # Within a minute of the last fetch an unknown kid does not trigger another one: forged
    # SSAs cannot make the bank hammer the Register.
    assert_registration_error(dcr_post(Client(), c.registration_request()),
                              "invalid_software_statement")
    assert [url for _, url in register_env.calls].count(REGISTER_JWKS_URI) == 1
    cache.delete(dcr.REGISTER_JWKS_REFETCH_KEY)  # a minute later
    dcr_register(c)
    assert [url for _, url in register_env.calls].count(REGISTER_JWKS_URI) == 2


# POST /register: refusals ----------------------------------------------------------------
def _ssa(recipient, **changes) -> str:
    claims = {**ssa_claims(product=recipient.product), **changes}
    return register_sign({k: v for k, v in claims.items() if v is not None})


def _forged_ssa(recipient, *, same_kid: bool) -> str:
    forger = jwk.JWK.generate(kty="RSA", size=2048)
    kid = register_keys()[-1].kid if same_kid else "forged"
    return sign(ssa_claims(product=recipient.product), forger, alg="PS256", kid=kid)


REFUSALS = {
    # case: (error, how to build the request from a recipient)
    "ssa_bad_signature": ("invalid_software_statement",
                          lambda r: r.registration_request(_forged_ssa(r, same_kid=True))),
    "ssa_unknown_key": ("invalid_software_statement",
                        lambda r: r.registration_request(_forged_ssa(r, same_kid=False))),
    "ssa_expired": ("invalid_software_statement", lambda r: r.registration_request(
        _ssa(r, iat=int(time.time()) - 1200, exp=int(time.time()) - 600))),
    "ssa_other_issuer": ("invalid_software_statement",
                         lambda r: r.registration_request(_ssa(r, iss="not-the-register"))),
    "ssa_missing_claim": ("invalid_software_statement",
                          lambda r: r.registration_request(_ssa(r, jwks_uri=None))),
    "ssa_wrong_role": ("invalid_software_statement",
                       lambda r: r.registration_request(_ssa(r, software_roles="data-holder"))),
    "ssa_http_jwks_uri": ("invalid_software_statement", lambda r: r.registration_request(
        _ssa(r, jwks_uri="ftp://adr.example/jwks"))),
    "ssa_uri_too_long": ("invalid_software_statement", lambda r: r.registration_request(
        _ssa(r, recipient_base_uri="https://adr.example/" + "a" * 600))),
    "ssa_signed_by_recipient": ("invalid_software_statement", lambda r: r.registration_request(
        r.sign(ssa_claims(product=r.product)))),
    "missing_software_statement": ("invalid_software_statement",
                                   lambda r: r.registration_request(ssa="")),
    "request_key_not_in_jwks_uri": ("invalid_client_metadata", lambda r: r.registration_request(
        key=jwk.JWK.generate(kty="RSA", size=2048, kid=r.keys["PS256"].get("kid")))),
    "request_rs256": ("invalid_client_metadata", lambda r: r.sign(
        r.registration_claims(), alg="RS256", key=r.keys["PS256"])),
    "request_wrong_aud": ("invalid_client_metadata",
                          lambda r: r.registration_request(aud="https://other-bank.example")),
    "request_wrong_iss": ("invalid_client_metadata",
                          lambda r: r.registration_request(iss="someone-else")),
    "request_expired": ("invalid_client_metadata", lambda r: r.registration_request(
        iat=int(time.time()) - 600, exp=int(time.time()) - 300)),
    "request_no_jti": ("invalid_client_metadata", lambda r: r.registration_request(jti=None)),
    "request_other_software_id": ("invalid_client_metadata",
                                  lambda r: r.registration_request(software_id="other")),
    "not_a_jwt": ("invalid_client_metadata", lambda r: "definitely not a JWT"),
    "redirect_uri_not_in_ssa": ("invalid_redirect_uri", lambda r: r.registration_request(
        redirect_uris=[r.redirect_uris[0], "https://evil.example/cb"])),
    "redirect_uris_empty": ("invalid_redirect_uri",
                            lambda r: r.registration_request(redirect_uris=[])),
    "token_auth_alg_rs256": ("invalid_client_metadata", lambda r: r.registration_request(
        token_endpoint_auth_signing_alg="RS256")),
    "id_token_alg_hs256": ("invalid_client_metadata", lambda r: r.registration_request(
        id_token_signed_response_alg="HS256")),
    "request_object_alg_missing": ("invalid_client_metadata", lambda r: r.registration_request(
        request_object_signing_alg=None)),
    "jarm_alg_none": ("invalid_client_metadata", lambda r: r.registration_request(
        authorization_signed_response_alg="none")),
    "grant_type_password": ("invalid_client_metadata", lambda r: r.registration_request(
        grant_types=["authorization_code", "password"])),
    "grant_type_implicit": ("invalid_client_metadata", lambda r: r.registration_request(
        grant_types=["implicit"])),
    "hybrid_response_type": ("invalid_client_metadata", lambda r: r.registration_request(
        response_types=["code id_token"])),
    "client_secret_auth": ("invalid_client_metadata", lambda r: r.registration_request(
        token_endpoint_auth_method="client_secret_basic")),
    "native_application": ("invalid_client_metadata", lambda r: r.registration_request(
        application_type="native")),
    "no_supported_scope": ("invalid_client_metadata",
                           lambda r: r.registration_request(scope="energy:x")),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_registration_refusals_are_400_with_the_cds_error_and_leave_nothing(recipient, client,
                                                                           case):
    error, build = REFUSALS[case]
    response = dcr_post(client, build(recipient))
    assert_registration_error(response, error)
    assert not Application.objects.exists()
    assert not ClientRegistration.objects.exists()
    assert not SoftwareProduct.objects.exists()
    # The refusal itself is on the audit trail, and nothing secret is in it.
    event = AuditEvent.objects.get(event_type="CLIENT_REGISTRATION_REJECTED")
    assert event.outcome == "denied" and event.detail == {"error": error, "status": 400}


@pytest.mark.parametrize("content_type", ["application/json", "text/plain",
                                          "application/x-www-form-urlencoded"])
def test_registration_needs_application_jwt(recipient, client, content_type):
    response = dcr_post(client, recipient.registration_request(), content_type=content_type)
    assert_registration_error(response, "invalid_client_metadata", status=415)
    assert not ClientRegistration.objects.exists()


def test_a_second_active_registration_of_a_product_is_refused(recipient, client):
    dcr_register(recipient)
    description = assert_registration_error(
        dcr_post(client, recipient.registration_request()), "invalid_client_metadata")
    assert "Duplicate" in description
    assert ClientRegistration.objects.count() == 1


@pytest.mark.parametrize("status", ["INACTIVE", "REMOVED"])
def test_a_product_the_register_deactivated_is_unapproved(recipient, client, status):
    ssa = recipient.ssa()  # issued while still active
    product = software_product_record(
        software_product_id=recipient.software_id, name="x", brand_name="y",
        legal_entity_id=recipient.product.brand.legal_entity.legal_entity_id,
        legal_entity_name="z", actor=audit.Actor.system("t"))
    SoftwareProduct.objects.filter(pk=product.pk).update(status=status)
    description = assert_registration_error(
        dcr_post(client, recipient.registration_request(ssa)), "unapproved_software_statement")
    assert status in description


def test_a_suspended_recipient_is_unapproved(recipient, client):
    legal_entity_id = recipient.product.brand.legal_entity.legal_entity_id
    DataRecipient.objects.create(legal_entity_id=legal_entity_id, legal_entity_name="x",
                                 status="SUSPENDED")
    assert_registration_error(dcr_post(client, recipient.registration_request()),
                              "unapproved_software_statement")


def test_a_product_known_under_another_recipient_is_unapproved(recipient, client):
    software_product_record(software_product_id=recipient.software_id, name="x", brand_name="y",
                            legal_entity_id="another-legal-entity", legal_entity_name="z",
                            actor=audit.Actor.system("t"))
    assert_registration_error(dcr_post(client, recipient.registration_request()),
                              "unapproved_software_statement")


def test_a_registration_request_is_single_use(recipient, client):
    request_jwt = recipient.registration_request()
    body = assert_dcr_body(dcr_post(client, request_jwt), "postClientRegistration", 201)
    token = registration_token(body["client_id"])
    response = client.put(_detail(body["client_id"]), data=request_jwt,
                          content_type="application/jwt", headers=_bearer(token))
    assert "used before" in assert_registration_error(response, "invalid_client_metadata")


def test_register_accepts_post_only(register_env, client):
    assert client.get("/register").status_code == 405


# GET / PUT / DELETE /register/{client_id} --------------------------------------------------
@pytest.fixture
def registered(recipient):
    body = dcr_register(recipient)
    return recipient, body


def test_get_returns_the_registration(registered, client):
    _, body = registered
    response = client.get(_detail(body["client_id"]),
                          headers=_bearer(registration_token(body["client_id"])))
    assert assert_dcr_body(response, "getClientRegistration", 200) == body
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("case", ["no_token", "unknown_token", "expired_token", "basic_scheme",
                                  "unknown_client"])
def test_management_without_a_valid_token_is_401(registered, client, method, case):
    recipient, body = registered
    client_id = body["client_id"]
    headers = {}
    if case == "unknown_token":
        headers = _bearer("x" * 43)
    elif case == "expired_token":
        headers = _bearer(registration_token(client_id, seconds=-5))
    elif case == "basic_scheme":
        headers = {"Authorization": f"Basic {registration_token(client_id)}"}
    elif case == "unknown_client":
        headers = _bearer(registration_token(client_id))
        client_id = "no-such-client"
    response = _manage(client, method, client_id, headers, recipient.registration_request())
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="cdr", error="invalid_token"'
    assert ClientRegistration.objects.get().status == "ACTIVE"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_management_with_another_clients_token_is_403(make_recipient, registered, client,
                                                      method):
    recipient, body = registered
    other = dcr_register(make_recipient(name="Other"))
    response = _manage(client, method, body["client_id"],
                       _bearer(registration_token(other["client_id"])),
                       recipient.registration_request())
    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"
    assert ClientRegistration.objects.filter(status="ACTIVE").count() == 2


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_management_with_a_data_scope_token_is_403(registered, client, method):
    recipient, body = registered
    token = registration_token(body["client_id"], scope="openid bank:accounts.basic:read")
    response = _manage(client, method, body["client_id"], _bearer(token),
                       recipient.registration_request())
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert response["WWW-Authenticate"] == \
        'Bearer error="insufficient_scope", scope="cdr:registration"'


def test_put_updates_the_registration_and_keeps_the_client_id(registered, client):
    recipient, body = registered
    client_id = body["client_id"]
    RegisterSoftwareProduct.objects.filter(pk=recipient.product.pk).update(
        client_name="Budget Buddy 2", scope="openid bank:accounts.basic:read cdr:registration")
    recipient.product.refresh_from_db()
    ssa = recipient.ssa()
    response = client.put(_detail(client_id), data=recipient.registration_request(
        ssa, redirect_uris=[recipient.redirect_uris[1]], grant_types=["client_credentials"]),
        content_type="application/jwt", headers=_bearer(registration_token(client_id)))

    updated = assert_dcr_body(response, "putClientRegistration", 200)
    assert updated["client_id"] == client_id
    assert updated["client_id_issued_at"] == body["client_id_issued_at"]
    assert updated["client_name"] == "Budget Buddy 2"
    assert updated["software_statement"] == ssa
    assert updated["redirect_uris"] == [recipient.redirect_uris[1]]
    assert updated["scope"] == "openid bank:accounts.basic:read cdr:registration"
    registration = ClientRegistration.objects.get()
    assert registration.metadata == updated and registration.grant_types == ["client_credentials"]
    application = registration.application
    assert application.redirect_uris == recipient.redirect_uris[1]
    assert application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert SoftwareProduct.objects.get().name == "Budget Buddy 2"
    assert AuditEvent.objects.filter(event_type="CLIENT_REGISTRATION_UPDATED").count() == 1
    get = client.get(_detail(client_id), headers=_bearer(registration_token(client_id)))
    assert get.json() == updated


def test_put_refusals_change_nothing(make_recipient, registered, client):
    recipient, body = registered
    client_id = body["client_id"]
    other = make_recipient(name="Other")
    for request_jwt, error in (
        (other.registration_request(), "invalid_software_statement"),
        (recipient.registration_request(redirect_uris=["https://evil.example"]),
         "invalid_redirect_uri"),
        (recipient.registration_request(grant_types=["password"]), "invalid_client_metadata"),
    ):
        response = client.put(_detail(client_id), data=request_jwt,
                              content_type="application/jwt",
                              headers=_bearer(registration_token(client_id)))
        assert_registration_error(response, error)
    response = client.put(_detail(client_id), data=recipient.registration_request(),
                          content_type="application/json",
                          headers=_bearer(registration_token(client_id)))
    assert_registration_error(response, "invalid_client_metadata", status=415)
    assert ClientRegistration.objects.get().metadata == body


def test_delete_ends_the_registration_and_every_token(registered, client):
    recipient, body = registered
    client_id = body["client_id"]
    application = Application.objects.get(client_id=client_id)
    token = registration_token(client_id)
    other_token = registration_token(client_id, scope="openid")
    user = get_user_model().objects.create(username="dcr-refresh-holder")
    RefreshToken.objects.create(user=user, application=application, token="r" * 40)

    response = client.delete(_detail(client_id), headers=_bearer(token))

    assert response.status_code == 204 and response.content == b""
    registration = ClientRegistration.objects.get()
    assert registration.status == ClientRegistration.Status.DELETED
    assert not AccessToken.objects.filter(application=application).exists()
    assert not RefreshToken.objects.filter(application=application).exists()
    application.refresh_from_db()
    assert application.redirect_uris == ""
    assert AuditEvent.objects.filter(event_type="CLIENT_REGISTRATION_DELETED").count() == 1
    # Gone: the management URL, the token, client authentication.
    assert client.get(_detail(client_id), headers=_bearer(token)).status_code == 401
    assert client.get(_detail(client_id), headers=_bearer(other_token)).status_code == 401
    now = int(time.time())
    assertion = recipient.sign({"iss": client_id, "sub": client_id, "aud": issuer(),
                                "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())})
    with pytest.raises(InvalidClient):
        client_authenticate(RequestFactory().post("/token", {
            "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}),
            endpoint="token_endpoint")

    # The product may register again, as a new client.
    again = dcr_register(recipient)
    assert again["client_id"] != client_id
    assert SoftwareProduct.objects.get().client.client_id == again["client_id"]


def test_management_url_allows_get_put_delete_only(registered, client):
    _, body = registered
    response = client.post(_detail(body["client_id"]),
                           headers=_bearer(registration_token(body["client_id"])))
    assert response.status_code == 405


def test_registration_body_never_carries_a_secret(registered):
    _, body = registered
    assert "client_secret" not in json.dumps(body)


def test_redirect_uris_on_two_hosts_need_a_sector_identifier(make_recipient, client):
    recipient = make_recipient(redirect_uris=["https://one.example/cb", "https://two.example/cb"],
                               sector_identifier_uri="")
    response = dcr_post(client, recipient.registration_request(recipient.ssa()))
    assert "sector_identifier_uri" in assert_registration_error(response, "invalid_client_metadata")
    single = dcr_post(client, recipient.registration_request(
        recipient.ssa(), redirect_uris=["https://one.example/cb"]))
    assert single.status_code == 201


def test_production_refuses_http_redirect_uris(make_recipient, client, settings):
    """Dev and test settings let recipients redirect to http:// on loopback (bank-client's
    listener). Production keeps base.py's https-only redirect schemes: with that relaxation
    taken back, the same registration is refused."""
    from oauth2_provider.settings import oauth2_settings

    from bank.settings import base

    recipient = make_recipient(redirect_uris=["http://127.0.0.1:8450/callback"])
    assert base.OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"] == ["https"]
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER,
                                "ALLOWED_REDIRECT_URI_SCHEMES": ["https"]}
    assert oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES == ["https"]
    response = dcr_post(client, recipient.registration_request())
    assert_registration_error(response, "invalid_redirect_uri")
    assert not ClientRegistration.objects.exists()


def test_test_settings_accept_the_http_loopback_redirect_production_refuses(make_recipient):
    """The other side of the test above: the relaxation is what lets it through."""
    recipient = make_recipient(redirect_uris=["http://127.0.0.1:8450/callback"])
    assert dcr_register(recipient)["redirect_uris"] == ["http://127.0.0.1:8450/callback"]
