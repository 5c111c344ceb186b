"""API3:2023 Broken Object Property Level Authorization, against the live bank over mTLS.

Reading: the detail properties (account numbers and BSBs, customer contact details, payee
details) need their detail scope; an arrangement with the basic scopes only gets 403
Authorisation/InvalidConsent on the detail endpoints and never sees a detail property
elsewhere; an arrangement that shared one account shows nothing of the others.

Writing (mass assignment): every body an outsider can send, with extra or privileged members:
the POST accountIds bodies (400 Field/Invalid naming the member), DCR registration updates
(client_id, software_id, scope escalation, URIs the SSA does not hold: refused or ignored, and
the registration afterwards is checked), the PAR form (authorization parameters outside the
signed request object), the token form (wider scope, another arrangement) and the arrangement
revocation form. Every refusal is checked for its effect: nothing changed.
"""

from __future__ import annotations

import json
import time
import uuid
from base64 import urlsafe_b64decode
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bank_client.recipient import Recipient
from tests.e2e.conftest import LiveBank, registered_recipient
from tests.security.attacks.conftest import (
    BASIC_SCOPE,
    FULL_SCOPE,
    Party,
    authorize,
    call,
    cdr_error,
    consent_code,
    oauth_error,
    registration_token,
    request_object_claims,
    sign_with,
)

#: Properties only the detail structures have (BankingAccountDetailV4, CommonPersonDetailV2 /
#: CommonOrganisationDetailV2, BankingPayeeDetailV2).
ACCOUNT_DETAIL_ONLY = {"bsb", "accountNumber", "bundleName", "specificAccountUType",
                       "termDeposit", "creditCard", "loan", "depositRate", "lendingRate",
                       "depositRates", "lendingRates", "features", "fees", "addresses"}
CUSTOMER_DETAIL_ONLY = {"phoneNumbers", "emailAddresses", "physicalAddresses"}
PAYEE_DETAIL_ONLY = {"payeeUType", "biller", "domestic", "digitalWallet", "international"}


def _keys(value: Any) -> set[str]:
    """Every member name anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@pytest.fixture(scope="module")
def basic(live_bank: LiveBank, victim: Party) -> Party:
    """jane.citizen's arrangement with the victim's product, basic scopes only."""
    return authorize(live_bank, victim.recipient, username="jane.citizen", scope=BASIC_SCOPE,
                     name="basic")


@pytest.fixture(scope="module")
def detail(victim: Party) -> dict[str, Any]:
    """What the full-scope arrangement sees in detail: account numbers, the customer's
    contact details."""
    numbers = []
    for account in victim.account_ids:
        response = call(victim.recipient, f"banking/accounts/{account}", victim.access_token, "5")
        assert response.status_code == 200, response.text[:300]
        data = response.json()["data"]
        assert ACCOUNT_DETAIL_ONLY & set(data)
        if data.get("accountNumber"):
            numbers.append(data["accountNumber"])
    customer = call(victim.recipient, "common/customer/detail", victim.access_token, "2")
    assert customer.status_code == 200, customer.text[:300]
    person = customer.json()["data"]["person"]
    assert CUSTOMER_DETAIL_ONLY & set(person)
    emails = [e["address"] for e in person.get("emailAddresses", [])]
    phones = [p["number"] for p in person.get("phoneNumbers", []) if p.get("number")]
    assert numbers and emails
    return {"numbers": numbers, "emails": emails, "phones": phones}


DETAIL_CALLS = [
    ("account-detail", lambda p: f"banking/accounts/{p.account_ids[0]}", "5"),
    ("customer-detail", lambda p: "common/customer/detail", "2"),
    ("payees", lambda p: "banking/payees", "2"),
    ("payee-detail", lambda p: "banking/payees/" + "A" * 32, "2"),
]


@pytest.mark.parametrize(("name", "path", "x_v"), DETAIL_CALLS, ids=[c[0] for c in DETAIL_CALLS])
def test_detail_endpoints_need_their_detail_scope(basic: Party, victim: Party,
                                                  detail: dict[str, Any], name: str,
                                                  path: Any, x_v: str) -> None:
    # The control: the full-scope arrangement of the same customer reads it (payee detail
    # with a real payee ID).
    own_path = (f"banking/payees/{victim.payee_ids[0]}" if name == "payee-detail"
                else path(victim))
    assert call(victim.recipient, own_path, victim.access_token, x_v).status_code == 200
    target = (f"banking/payees/{victim.payee_ids[0]}" if name == "payee-detail" else path(basic))
    response = call(basic.recipient, target, basic.access_token, x_v)
    cdr_error(response, 403, "Authorisation/InvalidConsent")
    for secret in (*detail["numbers"], *detail["emails"], *detail["phones"]):
        assert secret not in response.text


def test_basic_endpoints_carry_no_detail_property(basic: Party, detail: dict[str, Any]) -> None:
    """Everything the basic scopes can read: no detail member, no account number, no email."""
    account = basic.account_ids[0]
    paths = [("banking/accounts", "3"), ("banking/accounts/balances", "2"),
             (f"banking/accounts/{account}/balance", "1"),
             (f"banking/accounts/{account}/transactions", "2"), ("common/customer", "1")]
    account_tx = next(a for a, ids in basic.transaction_ids.items() if ids)
    paths.append((f"banking/accounts/{account_tx}/transactions/"
                  f"{basic.transaction_ids[account_tx][0]}", "3"))
    for path, x_v in paths:
        response = call(basic.recipient, path, basic.access_token, x_v)
        assert response.status_code == 200, (path, response.text[:300])
        body = response.json()
        leaked = _keys(body["data"]) & (ACCOUNT_DETAIL_ONLY | CUSTOMER_DETAIL_ONLY)
        assert not leaked, (path, leaked)
        for secret in (*detail["numbers"], *detail["emails"], *detail["phones"]):
            assert secret not in response.text, path
    # Payees and regular payments are outside the basic scopes altogether.
    for path, x_v in (("banking/accounts/direct-debits", "2"), ("banking/payments/scheduled", "3")):
        cdr_error(call(basic.recipient, path, basic.access_token, x_v), 403,
                  "Authorisation/InvalidConsent")


def test_the_same_customers_full_arrangement_does_show_the_details(victim: Party,
                                                                   detail: dict[str, Any]) -> None:
    """The control of the two tests above: the details exist and the full scope shows them."""
    response = call(victim.recipient, f"banking/accounts/{victim.account_ids[0]}",
                    victim.access_token, "5")
    assert {"bsb", "accountNumber"} & set(response.json()["data"]) or detail["numbers"]
    payee = call(victim.recipient, f"banking/payees/{victim.payee_ids[0]}", victim.access_token, "2")
    assert payee.status_code == 200 and PAYEE_DETAIL_ONLY & set(payee.json()["data"])


def test_an_arrangement_for_one_account_shows_no_other(live_bank: LiveBank, victim: Party) -> None:
    narrow = authorize(live_bank, victim.recipient, username="jane.citizen",
                       accounts=["Everyday Account"], name="one-account")
    assert len(narrow.account_ids) == 1
    others = set(victim.account_ids) - set(narrow.account_ids)
    assert others
    for path, x_v in (("banking/accounts", "3"), ("banking/accounts/balances", "2"),
                      ("banking/accounts/direct-debits", "2"), ("banking/payments/scheduled", "3"),
                      ("banking/accounts/payments/plans", "1")):
        response = call(narrow.recipient, path, narrow.access_token, x_v)
        assert response.status_code == 200, response.text[:300]
        for other in others:
            assert other not in response.text, path
        ids = {v for k, v in _pairs(response.json()["data"]) if k == "accountId"}
        assert ids <= set(narrow.account_ids), path


def _pairs(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _pairs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _pairs(v)


# --- mass assignment: the POST accountIds bodies -------------------------------------------


def _bodies(own: str, foreign: str) -> dict[str, tuple[Any, str]]:
    """name -> (body, the member the refusal names)."""
    return {
        "isOwned-in-data": ({"data": {"accountIds": [own], "isOwned": True}}, "data.isOwned"),
        "customerId-top-level": ({"data": {"accountIds": [own]}, "customerId": "1"},
                                 "customerId"),
        "arrangement-in-data": ({"data": {"accountIds": [own], "cdrArrangementId": foreign}},
                                "data.cdrArrangementId"),
        "meta-totalRecords": ({"data": {"accountIds": [own]}, "meta": {"totalRecords": 1}},
                              "meta.totalRecords"),
        "accountId-objects": ({"data": {"accountIds": [{"accountId": own}]}}, "data.accountIds"),
        "accountIds-as-string": ({"data": {"accountIds": own}}, "data.accountIds"),
        "proto-pollution": ({"data": {"accountIds": [own], "__proto__": {"isOwned": True}}},
                            "data.__proto__"),
        "page-size-in-body": ({"data": {"accountIds": [own]}, "page-size": 1000}, "page-size"),
    }


BODY_ATTACKS = ["isOwned-in-data", "customerId-top-level", "arrangement-in-data",
                "meta-totalRecords", "accountId-objects", "accountIds-as-string",
                "proto-pollution", "page-size-in-body"]
BODY_PATHS = [("banking/accounts/balances", "1"), ("banking/accounts/direct-debits", "1"),
              ("banking/payments/scheduled", "2")]


@pytest.mark.parametrize(("path", "x_v"), BODY_PATHS, ids=[p for p, _ in BODY_PATHS])
@pytest.mark.parametrize("attack", BODY_ATTACKS)
def test_extra_members_in_account_id_bodies_are_refused(victim: Party, attacker: Party,
                                                        path: str, x_v: str, attack: str) -> None:
    own = victim.account_ids[0]
    ok = call(victim.recipient, path, victim.access_token, x_v, method="POST",
              json={"data": {"accountIds": [own]}, "meta": {}})
    assert ok.status_code == 200, ok.text[:300]
    body, member = _bodies(own, attacker.arrangement_id)[attack]
    response = call(victim.recipient, path, victim.access_token, x_v, method="POST", json=body)
    error = cdr_error(response, 400, "Field/Invalid")
    assert error["detail"] == member
    assert own not in response.text


# --- mass assignment: DCR registration update ---------------------------------------------


@pytest.fixture(scope="module")
def dcr_target(live_bank: LiveBank) -> Iterator[Recipient]:
    """A registration of its own, so that updating it cannot disturb the shared parties."""
    with registered_recipient(live_bank, certificate="attack-dcr", name="DCR Target",
                              scope=FULL_SCOPE) as recipient:
        yield recipient


def _registration(recipient: Recipient) -> dict[str, Any]:
    response = call(recipient, f"/register/{recipient.client_id}",
                    registration_token(recipient), None)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _update(recipient: Recipient, **changes: Any) -> requests.Response:
    current = _registration(recipient)
    ssa = current["software_statement"]
    ssa_claims = json.loads(urlsafe_b64decode(ssa.split(".")[1] + "=" * (-len(ssa.split(".")[1]) % 4)))
    now = int(time.time())
    claims = {
        "iss": ssa_claims["software_id"], "aud": recipient.discovery()["issuer"], "iat": now,
        "exp": now + 300, "jti": str(uuid.uuid4()), "redirect_uris": [recipient.redirect_uri],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "PS256",
        "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
        "response_types": ["code"], "application_type": "web",
        "id_token_signed_response_alg": "PS256", "request_object_signing_alg": "PS256",
        "authorization_signed_response_alg": "PS256", "software_statement": ssa, **changes,
    }
    return call(recipient, f"/register/{recipient.client_id}", registration_token(recipient),
                None, method="PUT", data=sign_with(recipient.key, claims),
                headers={"Content-Type": "application/jwt", "x-fapi-auth-date": None})


#: Members a client may try to set for itself -> "refused" (400) or "ignored" (200, the
#: registration keeps the SSA's / server's value).
DCR_MASS_ASSIGNMENT: dict[str, tuple[dict[str, Any], str]] = {
    "client_id": ({"client_id": "someone-elses-client"}, "ignored"),
    "client_id_issued_at": ({"client_id_issued_at": 0}, "ignored"),
    "software_id": ({"software_id": "another-product"}, "refused"),
    "scope-escalation": ({"scope": FULL_SCOPE + " cdr:registration admin:metrics.basic:read "
                          "admin:metadata:update bank:payees:write energy:accounts.basic:read"},
                         "ignored"),
    "jwks_uri": ({"jwks_uri": "https://attacker.example/jwks"}, "ignored"),
    "logo_uri": ({"logo_uri": "https://attacker.example/logo.png"}, "ignored"),
    "recipient_base_uri": ({"recipient_base_uri": "https://attacker.example"}, "ignored"),
    "revocation_uri": ({"revocation_uri": "https://attacker.example/revoke"}, "ignored"),
    "software_roles": ({"software_roles": "data-holder"}, "ignored"),
    "org_id": ({"org_id": "another-org", "legal_entity_id": "another-entity"}, "ignored"),
    "client_secret": ({"client_secret": "chosen-secret"}, "ignored"),
    "redirect_uris-foreign": ({"redirect_uris": ["https://attacker.example/cb"]}, "refused"),
    "grant_types-password": ({"grant_types": ["authorization_code", "password"]}, "refused"),
    "grant_types-implicit": ({"grant_types": ["implicit"]}, "refused"),
    "auth-method-secret": ({"token_endpoint_auth_method": "client_secret_basic"}, "refused"),
    "auth-method-none": ({"token_endpoint_auth_method": "none"}, "refused"),
    "signing-alg-none": ({"token_endpoint_auth_signing_alg": "none"}, "refused"),
    "signing-alg-hs256": ({"request_object_signing_alg": "HS256"}, "refused"),
    "response_types-token": ({"response_types": ["code", "token"]}, "refused"),
}
_PROTECTED = ("client_id", "client_id_issued_at", "software_id", "scope", "jwks_uri", "logo_uri",
              "recipient_base_uri", "revocation_uri", "software_roles", "org_id",
              "legal_entity_id", "redirect_uris", "grant_types", "token_endpoint_auth_method",
              "token_endpoint_auth_signing_alg", "request_object_signing_alg", "response_types")


@pytest.mark.parametrize("attack", list(DCR_MASS_ASSIGNMENT))
def test_registration_updates_cannot_set_privileged_metadata(dcr_target: Recipient,
                                                             attack: str) -> None:
    before = _registration(dcr_target)
    changes, outcome = DCR_MASS_ASSIGNMENT[attack]
    response = _update(dcr_target, **changes)
    if outcome == "refused":
        oauth_error(response, 400, {"invalid_client_metadata", "invalid_redirect_uri",
                                    "invalid_software_statement"})
    else:
        assert response.status_code == 200, response.text
    after = _registration(dcr_target)
    for name in _PROTECTED:
        assert after.get(name) == before.get(name), (attack, name, after.get(name))
    assert "client_secret" not in after
    # The client still authenticates with its own key and gets only its registration scope.
    assert set(after["scope"].split()) <= set(FULL_SCOPE.split()) | {"cdr:registration"}


def test_a_registration_update_cannot_widen_what_the_client_may_ask_for(
        dcr_target: Recipient) -> None:
    escalated = _update(dcr_target, scope="cdr:registration admin:metrics.basic:read "
                        "admin:metadata:update")
    assert escalated.status_code == 200, escalated.text
    # Narrowed to what the SSA allows: the admin scopes are dropped, not granted.
    assert _registration(dcr_target)["scope"] == "cdr:registration"
    for scope in ("admin:metrics.basic:read", "admin:metadata:update",
                  "cdr:registration bank:accounts.basic:read"):
        response = dcr_target.client_post("token_endpoint", {"grant_type": "client_credentials",
                                                             "scope": scope})
        oauth_error(response, 400, "invalid_scope")
    # Restore the full registration (no scope claim: the SSA's) for the other tests.
    assert _update(dcr_target).status_code == 200
    assert set(_registration(dcr_target)["scope"].split()) == set(FULL_SCOPE.split()) | {
        "cdr:registration"}


def test_a_new_registration_cannot_choose_its_client_id_or_widen_its_scope(
        live_bank: LiveBank, victim: Party) -> None:
    """POST /register with privileged members: a fresh client_id is issued, the scope is the
    SSA's at most, the URIs are the SSA's; the victim's registration is untouched."""
    cert = live_bank.pki.client("attack-dcr-new")
    recipient = Recipient(live_bank.url, ca_bundle=str(live_bank.ca), cert=cert.pair,
                          resource_url=live_bank.mtls_url)
    base = recipient.start()
    try:
        ids = json.loads(live_bank.manage(
            "mock_register_product", "--client-name", "Mass Assigner", "--recipient-base-uri",
            base, "--jwks-uri", f"{base}/jwks", "--redirect-uri", recipient.redirect_uri,
            "--scope", BASIC_SCOPE + " cdr:registration"))
        ssa = recipient.ssa(register_url=f"{live_bank.url}/mock-register",
                            brand_id=ids["brand_id"], software_product_id=ids["software_product_id"])
        now = int(time.time())
        claims = {
            "iss": ids["software_product_id"], "aud": recipient.discovery()["issuer"],
            "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()),
            "redirect_uris": [recipient.redirect_uri],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "PS256",
            "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
            "response_types": ["code"], "application_type": "web",
            "id_token_signed_response_alg": "PS256", "request_object_signing_alg": "PS256",
            "authorization_signed_response_alg": "PS256", "software_statement": ssa,
            # The privileged members:
            "client_id": victim.recipient.client_id, "client_id_issued_at": 0,
            "scope": FULL_SCOPE + " cdr:registration admin:metrics.basic:read",
            "jwks_uri": "https://attacker.example/jwks", "logo_uri": "https://attacker.example/l",
            "recipient_base_uri": "https://attacker.example", "client_secret": "chosen",
        }
        response = call(recipient, "/register", None, None, method="POST",
                        data=recipient.sign(claims),
                        headers={"Content-Type": "application/jwt", "x-fapi-auth-date": None})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["client_id"] != victim.recipient.client_id
        assert body["client_id_issued_at"] > now - 60
        assert set(body["scope"].split()) == set(BASIC_SCOPE.split()) | {"cdr:registration"}
        assert body["jwks_uri"] == f"{base}/jwks"
        assert "attacker.example" not in response.text and "client_secret" not in body
    finally:
        recipient.jwks_server.stop()
    # The victim's registration and tokens are as they were.
    own = _registration(victim.recipient)
    assert own["client_id"] == victim.recipient.client_id
    assert call(victim.recipient, "banking/accounts", victim.access_token, "3").status_code == 200


# --- mass assignment: PAR, token and arrangement revocation forms --------------------------


@pytest.mark.parametrize("extra", [
    {"scope": FULL_SCOPE}, {"redirect_uri": "https://attacker.example/cb"},
    {"cdr_arrangement_id": "x"}, {"response_type": "code token"}, {"code_challenge_method": "plain"},
    {"request_uri": "urn:ietf:params:oauth:request_uri:x"}, {"sharing_duration": "31536000"},
], ids=lambda e: next(iter(e)))
def test_par_takes_authorization_parameters_only_inside_the_request_object(
        victim: Party, extra: dict[str, str]) -> None:
    request_object = sign_with(victim.recipient.key, request_object_claims(victim.recipient))
    response = victim.recipient.client_post("pushed_authorization_request_endpoint",
                                            {"request": request_object, **extra})
    oauth_error(response, 400, "invalid_request")
    # The same request object alone is fine (the control).
    fine = victim.recipient.client_post("pushed_authorization_request_endpoint",
                                        {"request": sign_with(victim.recipient.key,
                                                              request_object_claims(victim.recipient))})
    assert fine.status_code == 201


def test_the_token_form_cannot_widen_the_scope_or_pick_an_arrangement(
        live_bank: LiveBank, victim: Party, attacker: Party) -> None:
    recipient = victim.recipient
    code, verifier = consent_code(live_bank, recipient, username="jane.citizen", scope=BASIC_SCOPE)
    response = recipient.client_post("token_endpoint", {
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": recipient.redirect_uri, "scope": FULL_SCOPE,
        "cdr_arrangement_id": victim.arrangement_id, "client_id": recipient.client_id,
        "sharing_duration": "31536000", "isOwned": "true"})
    assert response.status_code == 200, response.text
    token = response.json()
    assert set(token["scope"].split()) <= set(BASIC_SCOPE.split())
    assert token["cdr_arrangement_id"] != victim.arrangement_id
    cdr_error(call(recipient, f"banking/accounts/{victim.account_ids[0]}", token["access_token"],
                   "5"), 403, "Authorisation/InvalidConsent")
    # A refresh cannot widen it either; a narrower one is allowed (the control).
    wider = recipient.client_post("token_endpoint", {
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "scope": FULL_SCOPE})
    oauth_error(wider, 400, "invalid_scope")
    narrower = recipient.client_post("token_endpoint", {
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "scope": "bank:accounts.basic:read"})
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "bank:accounts.basic:read"
    # client_credentials cannot be used to get a data scope.
    for scope in ("bank:accounts.basic:read", FULL_SCOPE, "cdr:registration openid"):
        data_scope = recipient.client_post("token_endpoint", {"grant_type": "client_credentials",
                                                              "scope": scope})
        oauth_error(data_scope, 400, "invalid_scope")


@pytest.mark.parametrize("extra", [
    {"software_product_id": "victim"}, {"cdr_arrangement_id_owner": "victim"},
    {"token": "x"}, {"status": "ACTIVE"},
], ids=lambda e: next(iter(e)))
def test_arrangement_revocation_ignores_extra_members(victim: Party, attacker: Party,
                                                      extra: dict[str, str]) -> None:
    form = {"cdr_arrangement_id": victim.arrangement_id, **extra}
    if "software_product_id" in extra:
        form["software_product_id"] = victim.token.get("software_product_id", "x")
    response = attacker.recipient.client_post("cdr_arrangement_revocation_endpoint", form)
    cdr_error(response, 422, "Authorisation/InvalidArrangement")
    assert call(victim.recipient, "banking/accounts", victim.access_token, "3").status_code == 200


def test_arrangement_revocation_with_another_clients_client_id_is_invalid_client(
        victim: Party, attacker: Party) -> None:
    response = attacker.recipient.client_post("cdr_arrangement_revocation_endpoint", {
        "cdr_arrangement_id": victim.arrangement_id, "client_id": victim.recipient.client_id})
    oauth_error(response, 401, "invalid_client")
    assert call(victim.recipient, "banking/accounts", victim.access_token, "3").status_code == 200
