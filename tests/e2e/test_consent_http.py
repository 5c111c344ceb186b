"""The consent pages over real HTTPS, with nothing driven directly.

SSA from the mock Register -> DCR -> PAR (bank_client/recipient.py) -> /authorize -> the consent
pages filled in by a scripted customer (bank_client/demo_customer.py: customer ID and password,
the one-time code read from the email the bank wrote to its outbox, a choice of accounts,
authorise or deny) -> the JARM response at the recipient -> the token exchange -> resource
calls. No manage.py shortcut and no database access: only what a browser and a recipient see.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from jwcrypto import jwk, jws

from bank_client.demo_customer import ConsentError, DemoCustomer, parse_page
from tests.e2e.conftest import registered_recipient

SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read common:customer.basic:read"
JANE_EMAIL = "jane.citizen@example.com"  # Jane's customer email: where her codes go
WRONG_LOGIN = "The customer ID or password is incorrect."


@pytest.fixture(scope="module")
def app(live_bank):
    """A recipient registered once (SSA, DCR) with its own certificate and JWKS endpoint."""
    with registered_recipient(live_bank, certificate="consent-pages-app", name="Consent Pages App",
                              scope=SCOPE) as recipient:
        yield recipient


def _customer(live_bank, username="jane.citizen", *, password=None, email=JANE_EMAIL):
    return DemoCustomer(live_bank.url, ca_bundle=str(live_bank.ca), outbox=live_bank.outbox,
                        username=username, email=email,
                        password=live_bank.password(username) if password is None else password)


def _par(recipient, *, sharing_duration=86_400, cdr_arrangement_id=None):
    request_uri, verifier, state = recipient.par(
        scope=SCOPE, sharing_duration=sharing_duration, cdr_arrangement_id=cdr_arrangement_id)
    return recipient.authorize_url(request_uri), verifier, state


def _approved(live_bank, recipient, customer, *, accounts=None, **par):
    """PAR, the pages, JARM (state checked), token: (token, JARM claims)."""
    authorize_url, verifier, state = _par(recipient, **par)
    redirect = customer.consent(authorize_url, redirect_uri=recipient.redirect_uri,
                                accounts=accounts)
    assert parse_qs(urlsplit(redirect).query)["iss"] == [live_bank.url]
    claims = recipient.jarm(redirect, state=state)
    assert claims["state"] == state and claims["code"]
    return recipient.token(code=claims["code"], code_verifier=verifier), claims


def _shared_labels(recipient, access_token):
    """What the recipient can see, labelled as the consent page labels accounts."""
    response = recipient.api("banking/accounts", access_token, x_v="3")
    assert response.status_code == 200, response.text
    rows = response.json()["data"]["accounts"]
    return {f"{a.get('nickname') or a['displayName']} {a['maskedNumber']}": a["accountId"]
            for a in rows}


def _id_token_claims(live_bank, recipient, id_token):
    keys = jwk.JWKSet.from_json(json.dumps(recipient.http("GET", recipient.discovery()["jwks_uri"]).json()))
    token = jws.JWS()
    token.deserialize(id_token)
    token.verify(keys.get_key(token.jose_header["kid"]), alg=token.jose_header["alg"])
    claims = json.loads(token.payload)
    assert claims["iss"] == live_bank.url and claims["aud"] == recipient.client_id
    return claims


def test_consent_through_the_pages_shares_only_the_chosen_accounts(app, live_bank):
    customer = _customer(live_bank)
    token, _ = _approved(live_bank, app, customer, accounts=["Everyday Account", "Holiday fund"])

    # The pages the customer saw: a subset of what was offered was chosen.
    offered = [box.label for box in customer.pages["accounts"].forms[0].checkboxes]
    assert len(offered) > 2 and len(customer.shared) == 2
    assert set(customer.shared) < set(offered)
    confirm = customer.pages["confirm"].html
    assert all(label in confirm for label in customer.shared)
    assert "What changes" not in confirm  # a new consent, not an amendment

    assert token["cdr_arrangement_id"] and token["refresh_token"]
    # Password + one-time code: the login the pages performed is LoA 3.
    assert _id_token_claims(live_bank, app, token["id_token"])["acr"] == "urn:cds.au:cdr:3"

    # The recipient sees exactly the chosen accounts, and their transactions.
    visible = _shared_labels(app, token["access_token"])
    assert set(visible) == set(customer.shared)
    account_id = next(iter(visible.values()))
    transactions = app.api(f"banking/accounts/{account_id}/transactions", token["access_token"],
                           x_v="2")
    assert transactions.status_code == 200, transactions.text
    assert app.api("common/customer", token["access_token"], x_v="1").status_code == 200


def test_deny_on_the_confirm_page_is_access_denied_at_the_recipient(app, live_bank):
    authorize_url, _, state = _par(app)
    customer = _customer(live_bank)
    redirect = customer.consent(authorize_url, redirect_uri=app.redirect_uri, approve=False)
    assert "confirm" in customer.pages  # denied after logging in, not before
    claims = app.jarm(redirect, state=state)
    assert claims["error"] == "access_denied"
    assert claims["state"] == state
    assert "code" not in claims


def test_cancel_at_login_is_access_denied_at_the_recipient(app, live_bank):
    authorize_url, _, state = _par(app)
    customer = _customer(live_bank)
    redirect = customer.cancel_at_login(authorize_url, app.redirect_uri)
    assert parse_qs(urlsplit(redirect).query)["iss"] == [live_bank.url]
    claims = app.jarm(redirect, state=state)
    assert claims["error"] == "access_denied"
    assert claims["state"] == state
    assert "code" not in claims
    # The authorization is over: its pages are gone.
    with pytest.raises(ConsentError) as gone:
        customer.consent(customer.pages["login"].url, redirect_uri=app.redirect_uri)
    assert gone.value.status == 410


def test_once_off_consent_through_the_pages_has_no_refresh_token(app, live_bank):
    customer = _customer(live_bank)
    token, _ = _approved(live_bank, app, customer, sharing_duration=0,
                         accounts=["Everyday Account"])
    assert 'class="once-off"' in customer.pages["confirm"].html
    assert not token.get("refresh_token")
    assert set(_shared_labels(app, token["access_token"])) == set(customer.shared)


def test_amendment_through_the_pages_keeps_the_arrangement(app, live_bank):
    first, _ = _approved(live_bank, app, _customer(live_bank), accounts=["Everyday Account"])
    arrangement = first["cdr_arrangement_id"]

    customer = _customer(live_bank)
    amended, _ = _approved(live_bank, app, customer, cdr_arrangement_id=arrangement,
                           accounts=["Everyday Account", "Holiday fund"])
    assert amended["cdr_arrangement_id"] == arrangement

    # The accounts page started from what is shared today ...
    boxes = customer.pages["accounts"].forms[0].checkboxes
    assert [box.label for box in boxes if box.checked] == [
        label for label in customer.shared if "Everyday Account" in label]
    # ... and the confirm page said what changes.
    confirm = customer.pages["confirm"].html
    assert "What changes" in confirm and "Accounts added" in confirm
    added = next(label for label in customer.shared if "Holiday fund" in label)
    assert added in confirm.split("Accounts added", 1)[1]

    assert set(_shared_labels(app, amended["access_token"])) == set(customer.shared)
    # The amendment replaced the first grant's tokens.
    assert app.api("banking/accounts", first["access_token"], x_v="3").status_code in {401, 403}


@pytest.mark.parametrize(("username", "password"), [
    ("john.citizen", "not-johns-password"),
    ("no.such.customer", "whatever-it-is-1"),
], ids=["wrong-password", "unknown-customer"])
def test_a_wrong_login_gets_the_same_page_and_the_same_words(app, live_bank, username, password):
    authorize_url, verifier, state = _par(app)
    customer = _customer(live_bank, username, password=password, email=None)
    with pytest.raises(ConsentError) as failed:
        customer.consent(authorize_url, redirect_uri=app.redirect_uri)
    error = failed.value
    assert (error.step, error.status, error.alert) == ("login", 200, WRONG_LOGIN)
    assert error.url == customer.pages["login"].url  # the same page, shown again
    assert 'name="password"' in error.html and password not in error.html

    # The authorization is still open: the right customer can carry on from that page.
    john = _customer(live_bank, "john.citizen", email="john.citizen@example.com")
    redirect = john.consent(error.url, redirect_uri=app.redirect_uri,
                            accounts=["Everyday Account"])
    claims = app.jarm(redirect, state=state)
    assert app.token(code=claims["code"], code_verifier=verifier)["access_token"]


def test_choosing_no_account_is_refused_on_the_page(app, live_bank):
    authorize_url, _, _ = _par(app)
    with pytest.raises(ConsentError) as refused:
        _customer(live_bank).consent(authorize_url, redirect_uri=app.redirect_uri, accounts=[])
    assert (refused.value.step, refused.value.status) == ("accounts", 200)
    assert refused.value.alert == "Select at least one account to share."


def _browser_origin(response, origin):
    """The Origin header a browser sends with a same-origin form post from this page: Fetch
    ("append a request Origin header") sends `null` when the page's referrer policy (the last
    of header and <meta>) is no-referrer. Chromium does."""
    policy = response.headers.get("Referrer-Policy", "").split(",")[-1].strip()
    meta = re.search(r'<meta name="referrer" content="([^"]+)"', response.text)
    if meta:
        policy = meta.group(1).strip()
    return "null" if policy == "no-referrer" else origin


def test_a_browser_can_post_the_login_form(app, live_bank):
    authorize_url, _, _ = _par(app)
    customer = _customer(live_bank)
    page = customer.session.get(authorize_url, verify=str(live_bank.ca), timeout=10)
    assert page.status_code == 200 and urlsplit(page.url).path.startswith("/consent/")
    form = parse_page(page.url, page.status_code, page.text).form_with(field_name="password",
                                                                      step="login")
    posted = customer.session.post(
        form.action, verify=str(live_bank.ca), timeout=10, allow_redirects=False,
        data=form.data({"customer_id": "jane.citizen", "password": live_bank.password("jane.citizen")}),
        headers={"Origin": _browser_origin(page, live_bank.url)})
    assert posted.status_code == 303, "the CSRF check refused the post"
