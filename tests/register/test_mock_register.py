"""The mock CDR Register behaves as cds_register.json 1.36.0 and CDS security describe it."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from jwcrypto import jwk

from bank.register_mock import urls as register_urls
from bank.register_mock.models import (
    RegisterAccessToken,
    RegisterBrand,
    RegisterLegalEntity,
    RegisterSoftwareProduct,
)
from security.oauth.jose import keyset, verify
from tests.register.harness import REGISTER_BASE, REGISTER_TOKEN_URL
from tests.register.schema import assert_register_body
from tests.staff.helpers import staff_session_with_second_factor

V1 = "/mock-register/cdr-register/v1"


def _register_jwks(client: Client) -> dict:
    response = client.get(f"{V1}/jwks")
    assert response.status_code == 200
    return response.json()


def _assert_register_error(response, status: int, code: str, operation_id: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert_register_body(body, operation_id, status)
    assert [e["code"] for e in body["errors"]] == [code]
    return body["errors"][0]


# Register Operations ---------------------------------------------------------------------
def test_jwks_publishes_the_ps256_key_in_the_spec_shape(register_env, client):
    body = _register_jwks(client)
    assert_register_body(body, "getRegisterJwks", 200)
    [key] = body["keys"]
    assert key["alg"] == "PS256" and key["kty"] == "RSA"
    assert "d" not in key and "p" not in key
    keyset(body)  # the bank's strict loader accepts it


def test_openid_configuration_names_the_token_endpoint(register_env, client):
    response = client.get("/mock-register/idp/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    assert_register_body(body, "getRegisterOpenIdProviderConfig", 200)
    assert body["token_endpoint"] == REGISTER_TOKEN_URL
    assert body["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert body["scopes_supported"] == ["cdr-register:read"]


def test_token_endpoint_issues_a_bearer_token_stored_as_a_digest(recipient):
    response = recipient.token_response()
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "Bearer" and body["scope"] == "cdr-register:read"
    assert 0 < body["expires_in"] <= 7200
    row = RegisterAccessToken.objects.get()
    assert row.digest == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert row.software_product == recipient.product


@pytest.mark.parametrize("case", ["wrong_key", "wrong_aud", "expired", "unknown_client",
                                  "client_id_mismatch", "no_assertion", "wrong_sub", "replay"])
def test_token_endpoint_refuses_bad_client_assertions_with_401(recipient, case):
    form = {}
    if case == "wrong_key":
        other = jwk.JWK.generate(kty="RSA", size=2048)
        now = int(time.time())
        form["client_assertion"] = recipient.sign(
            {"iss": recipient.software_id, "sub": recipient.software_id,
             "aud": REGISTER_TOKEN_URL, "exp": now + 300, "jti": "j1"},
            key=other, kid=recipient.keys["PS256"].get("kid"))
    elif case == "wrong_aud":
        form["client_assertion"] = recipient.assertion(aud="https://bank.example.test/token")
    elif case == "expired":
        form["client_assertion"] = recipient.assertion(exp=int(time.time()) - 60)
    elif case == "unknown_client":
        form["client_assertion"] = recipient.assertion(iss="nobody", sub="nobody")
        form["client_id"] = "nobody"
    elif case == "client_id_mismatch":
        form["client_id"] = "someone-else"
    elif case == "no_assertion":
        form["client_assertion"] = None
    elif case == "wrong_sub":
        form["client_assertion"] = recipient.assertion(sub="someone-else")
    elif case == "replay":
        assertion = recipient.assertion()
        assert recipient.token_response(client_assertion=assertion).status_code == 200
        form["client_assertion"] = assertion
    response = recipient.token_response(**form)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("form", "error"), [
    ({"grant_type": "password"}, "unsupported_grant_type"),
    ({"scope": "bank:accounts.basic:read"}, "invalid_scope"),
    ({"scope": None}, "invalid_scope"),
])
def test_token_endpoint_supports_only_client_credentials_for_cdr_register_read(recipient, form,
                                                                               error):
    response = recipient.token_response(**form)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_ssa_is_signed_ps256_by_the_register_with_the_spec_claims(recipient, client):
    response = client.get(recipient.ssa_url(), headers={
        "Authorization": f"Bearer {recipient.register_token()}", "x-v": "4"})
    assert response.status_code == 200, response.content
    assert response["x-v"] == "4"
    ssa = response.content.decode()
    claims = verify(ssa, keys=keyset(_register_jwks(client)), algs=("PS256",),
                    issuer="cdr-register", required=("iat", "exp", "jti"))
    product = recipient.product
    brand, legal_entity = product.brand, product.brand.legal_entity
    assert claims["exp"] - claims["iat"] == 600
    assert {k: v for k, v in claims.items() if k not in ("iat", "exp", "jti")} == {
        "iss": "cdr-register",
        "legal_entity_id": legal_entity.legal_entity_id,
        "legal_entity_name": legal_entity.legal_entity_name,
        "org_id": brand.brand_id,
        "org_name": brand.brand_name,
        "client_name": product.client_name,
        "client_description": product.client_description,
        "client_uri": product.client_uri,
        "redirect_uris": product.redirect_uris,
        "sector_identifier_uri": product.sector_identifier_uri,
        "logo_uri": product.logo_uri,
        "tos_uri": product.tos_uri,
        "policy_uri": product.policy_uri,
        "jwks_uri": product.jwks_uri,
        "revocation_uri": product.revocation_uri,
        "recipient_base_uri": product.recipient_base_uri,
        "software_id": product.software_product_id,
        "software_roles": "data-recipient-software-product",
        "scope": product.scope,
    }
    assert "cdr:registration" in claims["scope"].split()


def test_ssa_accepts_x_min_v_ranges_that_include_version_4(recipient, client):
    response = client.get(recipient.ssa_url(), headers={
        "Authorization": f"Bearer {recipient.register_token()}", "x-v": "9", "x-min-v": "3"})
    assert response.status_code == 200
    assert response["x-v"] == "4"


def test_ssa_without_a_token_is_401(recipient, client):
    response = client.get(recipient.ssa_url(), headers={"x-v": "4"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_ssa_with_an_expired_token_is_401(recipient, client):
    token = recipient.register_token()
    RegisterAccessToken.objects.update(expires_at="2000-01-01T00:00:00Z")
    response = client.get(recipient.ssa_url(), headers={"Authorization": f"Bearer {token}",
                                                        "x-v": "4"})
    assert response.status_code == 401


@pytest.mark.parametrize(("case", "status", "code"), [
    ("no_x_v", 400, "urn:au-cds:error:cds-all:Header/Missing"),
    ("bad_x_v", 400, "urn:au-cds:error:cds-all:Header/InvalidVersion"),
    ("old_x_v", 406, "urn:au-cds:error:cds-all:Header/UnsupportedVersion"),
    ("industry", 404, "urn:au-cds:error:cds-register:Field/InvalidIndustry"),
    ("other_product", 404, "urn:au-cds:error:cds-register:Field/InvalidSoftwareProduct"),
    ("other_brand", 404, "urn:au-cds:error:cds-register:Field/InvalidBrand"),
    ("product_inactive", 403, "urn:au-cds:error:cds-all:Authorisation/AdrStatusNotActive"),
    ("brand_inactive", 403, "urn:au-cds:error:cds-all:Authorisation/AdrStatusNotActive"),
    ("recipient_suspended", 403, "urn:au-cds:error:cds-all:Authorisation/AdrStatusNotActive"),
])
def test_ssa_errors_follow_the_register_error_codes(make_recipient, client, case, status, code):
    recipient, other = make_recipient(), make_recipient(name="Other")
    headers = {"Authorization": f"Bearer {recipient.register_token()}", "x-v": "4"}
    url = recipient.ssa_url()
    if case == "no_x_v":
        del headers["x-v"]
    elif case == "bad_x_v":
        headers["x-v"] = "four"
    elif case == "old_x_v":
        headers["x-v"] = "3"
    elif case == "industry":
        url = recipient.ssa_url(industry="banking")
    elif case == "other_product":
        url = recipient.ssa_url(brand_id=other.brand_id, software_id=other.software_id)
    elif case == "other_brand":
        url = recipient.ssa_url(brand_id=other.brand_id)
    elif case == "product_inactive":
        RegisterSoftwareProduct.objects.filter(pk=recipient.product.pk).update(status="INACTIVE")
    elif case == "brand_inactive":
        RegisterBrand.objects.filter(pk=recipient.product.brand_id).update(status="INACTIVE")
    elif case == "recipient_suspended":
        RegisterLegalEntity.objects.filter(
            pk=recipient.product.brand.legal_entity_id).update(status="SUSPENDED")
    error = _assert_register_error(client.get(url, headers=headers), status, code,
                                   "getSoftwareStatementAssertion")
    if status == 403:
        assert "status" in error["detail"]


# Register Data Recipient discovery --------------------------------------------------------
def test_status_endpoints_list_every_recipient_and_product(make_recipient, client):
    a, b = make_recipient(), make_recipient(name="Other")
    RegisterSoftwareProduct.objects.filter(pk=b.product.pk).update(status="INACTIVE")
    response = client.get(f"{V1}/all/data-recipients/brands/software-products/status",
                          headers={"x-v": "3"})
    assert response.status_code == 200 and response["x-v"] == "3"
    body = response.json()
    assert_register_body(body, "getSoftwareProductsStatuses", 200)
    assert {row["softwareProductId"]: row["status"] for row in body["data"]} == {
        a.software_id: "ACTIVE", b.software_id: "INACTIVE"}
    assert body["links"]["self"].startswith("http://testserver/mock-register/")

    response = client.get(f"{V1}/all/data-recipients/status", headers={"x-v": "3"})
    body = response.json()
    assert_register_body(body, "getDataRecipientsStatuses", 200)
    assert {row["legalEntityId"] for row in body["data"]} == {
        a.product.brand.legal_entity.legal_entity_id, b.product.brand.legal_entity.legal_entity_id}


def test_status_endpoints_answer_304_to_a_matching_etag(recipient, client):
    url = f"{V1}/all/data-recipients/status"
    first = client.get(url, headers={"x-v": "3"})
    again = client.get(url, headers={"x-v": "3", "If-None-Match": first["Etag"]})
    assert again.status_code == 304 and again.content == b""
    RegisterLegalEntity.objects.update(status="SUSPENDED")
    changed = client.get(url, headers={"x-v": "3", "If-None-Match": first["Etag"]})
    assert changed.status_code == 200


@pytest.mark.parametrize("path", ["data-recipients/status",
                                  "data-recipients/brands/software-products/status"])
def test_status_endpoints_need_x_v_and_a_known_industry(register_env, client, path):
    _assert_register_error(client.get(f"{V1}/all/{path}"), 400,
                           "urn:au-cds:error:cds-all:Header/Missing", "getDataRecipientsStatuses")
    response = client.get(f"{V1}/banking/{path}", headers={"x-v": "3"})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"].endswith("Field/InvalidIndustry")


def test_data_recipients_endpoint_is_schema_valid(make_recipient, client):
    make_recipient()
    response = client.get(f"{V1}/all/data-recipients", headers={"x-v": "4"})
    assert response.status_code == 200 and response["x-v"] == "4"
    body = response.json()
    assert_register_body(body, "getDataRecipients", 200)
    [recipient] = body["data"]
    [brand] = recipient["dataRecipientBrands"]
    assert brand["softwareProducts"][0]["status"] == "ACTIVE"


# Switched off ----------------------------------------------------------------------------
def test_mock_register_is_not_served_when_disabled(register_env, settings, client):
    settings.BANK_MOCK_REGISTER_ENABLED = False
    assert client.get(f"{V1}/jwks").status_code == 404
    try:
        reloaded = importlib.reload(register_urls)
        assert reloaded.urlpatterns == []
    finally:
        settings.BANK_MOCK_REGISTER_ENABLED = True
        importlib.reload(register_urls)


def test_register_base_url_falls_back_to_the_request_url(register_env, settings, client):
    settings.BANK_REGISTER_BASE_URL = ""
    body = client.get("/mock-register/idp/.well-known/openid-configuration").json()
    assert body["token_endpoint"] == f"{REGISTER_BASE}/idp/connect/token"


# Management command and admin --------------------------------------------------------------
def test_mock_register_product_prints_the_new_ids_as_json(register_env, db):
    out = io.StringIO()
    call_command("mock_register_product", "--recipient-base-uri", "https://adr.example",
                 "--jwks-uri", "https://adr.example/jwks",
                 "--redirect-uri", "https://adr.example/cb", stdout=out)
    ids = json.loads(out.getvalue())
    assert set(ids) == {"legal_entity_id", "brand_id", "software_product_id"}
    product = RegisterSoftwareProduct.objects.get(software_product_id=ids["software_product_id"])
    assert product.brand.brand_id == ids["brand_id"]
    assert product.brand.legal_entity.legal_entity_id == ids["legal_entity_id"]
    assert product.redirect_uris == ["https://adr.example/cb"]
    assert product.revocation_uri == "https://adr.example/revocation"

    out = io.StringIO()
    call_command("mock_register_product", "--recipient-base-uri", "https://adr.example",
                 "--jwks-uri", "https://adr.example/jwks2", "--redirect-uri",
                 "https://adr.example/cb", "--legal-entity-id", ids["legal_entity_id"],
                 "--brand-id", ids["brand_id"], "--client-name", "Second App", stdout=out)
    second = json.loads(out.getvalue())
    assert second["brand_id"] == ids["brand_id"]
    assert second["software_product_id"] != ids["software_product_id"]
    assert RegisterLegalEntity.objects.count() == 1


def test_mock_register_product_refuses_bad_uris(register_env, db):
    with pytest.raises(CommandError):
        call_command("mock_register_product", "--recipient-base-uri", "https://adr.example",
                     "--jwks-uri", "https://adr.example/jwks", "--redirect-uri", "not a uri",
                     stdout=io.StringIO())


@pytest.fixture
def staff_client(db) -> Client:
    user = get_user_model().objects.create_superuser("register-admin", "a@example.test",
                                                     "a-long-test-password")
    client = Client()
    staff_session_with_second_factor(client, user)
    return client


def test_admin_lists_and_edits_statuses(recipient, staff_client):
    for model in ("registerlegalentity", "registerbrand", "registersoftwareproduct"):
        assert staff_client.get(f"/admin/register_mock/{model}/").status_code == 200
    product = recipient.product
    response = staff_client.post("/admin/register_mock/registersoftwareproduct/", {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000", "form-0-id": str(product.pk),
        "form-0-status": "INACTIVE", "_save": "Save"})
    assert response.status_code == 302, response.content[:500]
    product.refresh_from_db()
    assert product.status == "INACTIVE"
