"""The whole journey of a data recipient nobody here wrote, over real HTTPS with mTLS.

SSA from the mock Register -> DCR -> PAR -> authorization (a scripted customer logs in and
approves on the consent pages: bank_client/demo_customer.py) -> JARM -> token exchange with a
client certificate -> resource calls -> refresh -> introspection -> arrangement revocation; and
the attacks: a stolen token presented with another certificate, calls after revocation.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from bank_client.demo_customer import DemoCustomer
from bank_client.recipient import Recipient

SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read common:customer.basic:read"


@pytest.fixture(scope="module")
def journey(live_bank):
    """A registered recipient with its own certificate and JWKS endpoint."""
    cert = live_bank.pki.client("budget-buddy")
    recipient = Recipient(live_bank.url, ca_bundle=str(live_bank.ca), cert=cert.pair,
                          resource_url=live_bank.mtls_url)
    base = recipient.start()
    ids = json.loads(live_bank.manage(
        "mock_register_product", "--client-name", "Budget Buddy", "--recipient-base-uri", base,
        "--jwks-uri", f"{base}/jwks", "--redirect-uri", recipient.redirect_uri,
        "--scope", SCOPE + " cdr:registration",
    ))
    ssa = recipient.ssa(register_url=f"{live_bank.url}/mock-register", brand_id=ids["brand_id"],
                        software_product_id=ids["software_product_id"])
    registration = recipient.register(ssa, software_product_id=ids["software_product_id"])
    yield recipient, registration, ids
    recipient.jwks_server.stop()


def _authorize(live_bank, recipient, *, sharing_duration=86_400, username="jane.citizen"):
    request_uri, verifier, state = recipient.par(scope=SCOPE, sharing_duration=sharing_duration,
                                                 state="s" * 80, nonce="n" * 80)
    # The browser: /authorize answers 303 to the consent pages with a one-time handle.
    to_consent = requests.get(recipient.authorize_url(request_uri), verify=str(live_bank.ca),
                              allow_redirects=False, timeout=10)
    assert to_consent.status_code == 303
    consent_url = urljoin(recipient.authorize_url(request_uri), to_consent.headers["Location"])
    assert urlsplit(consent_url).path.startswith("/consent/")
    # The customer logs in (password, then the code emailed to the outbox) and approves on the
    # consent pages, sharing every account offered.
    customer = DemoCustomer(live_bank.url, ca_bundle=str(live_bank.ca), outbox=live_bank.outbox,
                            username=username, password=live_bank.password(username))
    redirect = customer.consent(consent_url, redirect_uri=recipient.redirect_uri)
    assert redirect.startswith(recipient.redirect_uri + "?")
    claims = recipient.jarm(redirect, state=state)
    assert claims["state"] == state == "s" * 80
    assert parse_qs(urlsplit(redirect).query)["iss"] == [live_bank.url]
    return recipient.token(code=claims["code"], code_verifier=verifier), claims["code"], verifier


def test_registration_is_what_was_asked(journey, live_bank):
    recipient, registration, ids = journey
    assert registration["software_id"] == ids["software_product_id"]
    assert registration["redirect_uris"] == [recipient.redirect_uri]
    assert registration["token_endpoint_auth_method"] == "private_key_jwt"


def test_full_flow_with_certificate_binding(journey, live_bank):
    recipient, _, _ = journey
    token, code, verifier = _authorize(live_bank, recipient)
    assert token["token_type"].lower() == "bearer"
    assert 120 <= token["expires_in"] <= 600
    assert token["cdr_arrangement_id"] and token["refresh_token"] and token["id_token"]

    accounts = recipient.api("banking/accounts", token["access_token"], x_v="3")
    assert accounts.status_code == 200, accounts.text
    rows = accounts.json()["data"]["accounts"]
    assert rows and all(len(a["accountId"]) == 32 for a in rows)
    assert recipient.api("common/customer", token["access_token"], x_v="1").status_code == 200
    # Not in the consent: detail scope was not asked for.
    assert recipient.api(f"banking/accounts/{rows[0]['accountId']}", token["access_token"],
                         x_v="5").status_code == 403

    # A stolen token on another recipient's certificate, or on none: 401.
    thief = live_bank.pki.client("thief")
    assert recipient.api("banking/accounts", token["access_token"], x_v="3",
                         cert=thief.pair).status_code == 401
    # Without a certificate the mTLS listener refuses the handshake, and the public listener
    # has no such endpoint.
    headers = {"Authorization": f"Bearer {token['access_token']}", "x-v": "3",
               "x-fapi-auth-date": "Sat, 28 Nov 2026 10:00:00 GMT"}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{live_bank.mtls_url}/cds-au/v1/banking/accounts", verify=str(live_bank.ca),
                     headers=headers, timeout=10)
    on_public = requests.get(f"{live_bank.url}/cds-au/v1/banking/accounts",
                             verify=str(live_bank.ca), headers=headers, timeout=10)
    assert on_public.status_code == 404

    # The code is single use, and its replay revokes what it issued.
    with pytest.raises(Exception):  # noqa: B017 - Authlib raises OAuthError on invalid_grant
        recipient.token(code=code, code_verifier=verifier)
    assert recipient.api("banking/accounts", token["access_token"], x_v="3").status_code == 401


def test_refresh_introspection_and_arrangement_revocation(journey, live_bank):
    recipient, _, _ = journey
    token, _, _ = _authorize(live_bank, recipient)
    refreshed = recipient.refresh(token["refresh_token"])
    assert refreshed["refresh_token"] == token["refresh_token"], "no rotation (CDS)"
    assert refreshed["access_token"] != token["access_token"]
    assert recipient.api("banking/accounts", refreshed["access_token"], x_v="3").status_code == 200

    introspection = recipient.client_post("introspection_endpoint", {"token": token["refresh_token"]})
    body = introspection.json()
    assert body["active"] is True and body["cdr_arrangement_id"] == token["cdr_arrangement_id"]
    assert "username" not in body
    assert recipient.client_post("introspection_endpoint",
                                 {"token": refreshed["access_token"]}).json() == {"active": False}

    revoked = recipient.client_post("cdr_arrangement_revocation_endpoint",
                                    {"cdr_arrangement_id": token["cdr_arrangement_id"]})
    assert revoked.status_code == 204
    assert recipient.api("banking/accounts", refreshed["access_token"], x_v="3").status_code in {401, 403}
    with pytest.raises(Exception):  # noqa: B017
        recipient.refresh(token["refresh_token"])
    again = recipient.client_post("cdr_arrangement_revocation_endpoint",
                                  {"cdr_arrangement_id": token["cdr_arrangement_id"]})
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "urn:au-cds:error:cds-all:Authorisation/InvalidArrangement"


def test_once_off_consent_has_no_refresh_token(journey, live_bank):
    recipient, _, _ = journey
    token, _, _ = _authorize(live_bank, recipient, sharing_duration=0)
    assert "refresh_token" not in token or not token["refresh_token"]
    assert recipient.api("banking/accounts", token["access_token"], x_v="3").status_code == 200
