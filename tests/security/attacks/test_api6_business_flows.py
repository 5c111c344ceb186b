"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows, against the live bank.

The sensitive flows of a data holder are the consent (login, one-time code, decision), the
authorization hand-over (PAR request_uri, the consent page handle, the JARM code) and client
registration. What a tester tries: guessing one-time codes, reusing a code, guessing passwords
until the account gives in, telling known customers from unknown ones by the answer, replaying a
consumed request_uri, a finished consent page or a redeemed code, and registering a product
again and again. Expected: each code closes after three wrong tries and works once, in its own
flow only; five wrong passwords lock the customer ID (the right password then fails too); an
unknown ID gets the very same page as a wrong password; every replay is refused, and a second
registration of a product is 400 invalid_client_metadata. Code expiry (5 minutes) is proven
in-process with a moved clock in tests/consent/test_login_security.py; the per-source login and
code rate limits live in test_api4_resource_consumption.py.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from bank_client.demo_customer import DemoCustomer, Page, parse_page
from bank_client.recipient import Recipient
from tests.e2e.conftest import LiveBank
from tests.security.attacks.conftest import (
    BASIC_SCOPE,
    assert_no_internals,
    assert_security_headers,
    oauth_error,
    registration_token,
)

_CODE = re.compile(r"one-time code is (\d{4,8})\b")


class Browser:
    """One customer's browser on the consent pages, step by step (the attacker's view)."""

    def __init__(self, bank: LiveBank) -> None:
        self.bank = bank
        self.session = requests.Session()
        # Passed on every request: REQUESTS_CA_BUNDLE would win over Session.verify.
        self.verify = str(bank.ca)
        self.page: Page | None = None

    def get(self, url: str) -> requests.Response:
        response = self.session.get(url, allow_redirects=False, timeout=15, verify=self.verify)
        if response.status_code == 200:
            self.page = parse_page(response.url, 200, response.text)
        return response

    def follow(self, response: requests.Response) -> requests.Response:
        while response.status_code in (302, 303):
            response = self.get(urljoin(response.url, response.headers["Location"]))
        return response

    def post(self, field: str, values: dict[str, str],
             button: tuple[str, str] | None = None) -> requests.Response:
        assert self.page is not None
        form = self.page.form_with(field_name=field, step="attack")
        origin = f"{urlsplit(form.action).scheme}://{urlsplit(form.action).netloc}"
        return self.session.post(form.action, data=form.data(values, button=button),
                                 headers={"Origin": origin}, allow_redirects=False, timeout=15,
                                 verify=self.verify)

    def login(self, username: str, password: str) -> requests.Response:
        return self.post("password", {"customer_id": username, "password": password})

    def code(self, code: str) -> requests.Response:
        return self.post("code", {"code": code}, button=("action", "verify"))


def _outbox(bank: LiveBank) -> set[str]:
    return {p.name for p in bank.outbox.glob("*.eml")} if bank.outbox.is_dir() else set()


def _new_code(bank: LiveBank, before: set[str], email: str) -> str:
    """The code of the newest email to `email` written since `before`."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        fresh = sorted((bank.outbox / name for name in _outbox(bank) - before),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        for path in fresh:
            text = Path(path).read_text(errors="replace")
            match = _CODE.search(text)
            if match and email in text:
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError("no code arrived")


def _start(bank: LiveBank, recipient: Recipient, scope: str = BASIC_SCOPE
           ) -> tuple[Browser, str, str, str]:
    """PAR, then the browser at /authorize -> the login page: (browser, consent URL,
    request_uri, code_verifier)."""
    request_uri, verifier, _ = recipient.par(scope=scope, sharing_duration=3600)
    browser = Browser(bank)
    to_consent = browser.get(recipient.authorize_url(request_uri))
    assert to_consent.status_code == 303, to_consent.text[:300]
    consent_url = urljoin(to_consent.url, to_consent.headers["Location"])
    page = browser.get(consent_url)
    assert page.status_code == 200 and browser.page is not None
    return browser, consent_url, request_uri, verifier


def _logged_in(bank: LiveBank, recipient: Recipient, username: str, email: str
               ) -> tuple[Browser, str]:
    """A browser past the password, on the code page; and the code that was sent."""
    browser, _, _, _ = _start(bank, recipient)
    before = _outbox(bank)
    response = browser.login(username, bank.password(username))
    assert response.status_code == 303, response.text[:300]
    code = _new_code(bank, before, email)
    assert browser.follow(response).status_code == 200
    assert urlsplit(browser.page.url).path.endswith("/code")  # type: ignore[union-attr]
    return browser, code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# One-time codes ---------------------------------------------------------------------------
PRIYA = ("priya.sharma", "priya.sharma@example.com")


def test_the_right_code_is_accepted(live_bank: LiveBank, victim_recipient: Recipient) -> None:
    browser, code = _logged_in(live_bank, victim_recipient, *PRIYA)
    response = browser.code(code)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path.endswith(("/accounts", "/confirm"))


def test_three_wrong_codes_close_the_code(live_bank: LiveBank,
                                          victim_recipient: Recipient) -> None:
    browser, code = _logged_in(live_bank, victim_recipient, *PRIYA)
    for left in (2, 1):
        response = browser.code(_wrong(code))
        assert response.status_code == 200
        assert f"You have {left} attempt" in response.text
    third = browser.code(_wrong(code))
    assert third.status_code == 303  # back to the password: the flow's login is void
    back = browser.follow(third)
    assert "This code is no longer valid" in back.text
    assert browser.page is not None and "password" in browser.page.forms[0].names()
    # The right code now opens nothing: the code page sends the browser to the login.
    code_page = browser.get(back.url.rstrip("/") + "/code")
    assert code_page.status_code == 303
    assert not urlsplit(code_page.headers["Location"]).path.endswith(("/accounts", "/confirm"))


def test_a_code_works_once_and_only_in_its_own_flow(live_bank: LiveBank,
                                                    victim_recipient: Recipient) -> None:
    first, first_code = _logged_in(live_bank, victim_recipient, *PRIYA)
    assert first.code(first_code).status_code == 303
    # A second flow for the same customer: the first flow's (used) code is refused there, and
    # so is this flow's code typed into... nothing else: only its own code opens it.
    second, second_code = _logged_in(live_bank, victim_recipient, *PRIYA)
    refused = second.code(first_code)
    assert refused.status_code == 200 and "That code is incorrect" in refused.text
    assert second.code(second_code).status_code == 303


# Passwords -------------------------------------------------------------------------------
def _alert(response: requests.Response) -> str:
    return " ".join(parse_page(response.url, response.status_code, response.text).alerts)


def test_an_unknown_customer_looks_exactly_like_a_wrong_password(
        live_bank: LiveBank, victim_recipient: Recipient) -> None:
    browser, _, _, _ = _start(live_bank, victim_recipient)
    wrong = browser.login("john.citizen", "not-the-password")
    unknown = browser.login("nobody.at.all", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert _alert(wrong) == _alert(unknown) == "The customer ID or password is incorrect."
    for response in (wrong, unknown):
        assert "john.citizen" not in _alert(response) and "nobody" not in _alert(response)
        assert_security_headers(response)
        assert_no_internals(response)


def test_five_wrong_passwords_lock_the_customer_id(live_bank: LiveBank,
                                                   victim_recipient: Recipient) -> None:
    """acme.agent is used by no other test: its lock (a minute) cannot disturb them."""
    username = "acme.agent"
    browser, _, _, _ = _start(live_bank, victim_recipient)
    answers = [_alert(browser.login(username, f"guess-{i}")) for i in range(5)]
    assert answers[:4] == ["The customer ID or password is incorrect."] * 4
    locked = browser.login(username, live_bank.password(username))
    assert locked.status_code == 200, "the right password got through a locked ID"
    assert "Too many unsuccessful attempts" in _alert(locked)
    assert browser.page is not None and "password" in browser.page.forms[0].names()
    # The lock is per customer ID: another customer still logs in from the same browser.
    other = browser.login("john.citizen", live_bank.password("john.citizen"))
    assert other.status_code == 303


# Replays ---------------------------------------------------------------------------------
def test_a_finished_consent_cannot_be_replayed(live_bank: LiveBank,
                                               victim_recipient: Recipient) -> None:
    recipient = victim_recipient
    request_uri, verifier, state = recipient.par(scope=BASIC_SCOPE, sharing_duration=3600)
    to_consent = requests.get(recipient.authorize_url(request_uri), verify=str(live_bank.ca),
                              allow_redirects=False, timeout=15)
    consent_url = urljoin(to_consent.url, to_consent.headers["Location"])
    customer = DemoCustomer(live_bank.url, ca_bundle=str(live_bank.ca), outbox=live_bank.outbox,
                            username="john.citizen", password=live_bank.password("john.citizen"))
    redirect = customer.consent(consent_url, redirect_uri=recipient.redirect_uri,
                                accounts=["Everyday"])
    claims = recipient.jarm(redirect, state=state)

    # 1. The request_uri is single use: /authorize refuses it now.
    again = requests.get(recipient.authorize_url(request_uri), verify=str(live_bank.ca),
                         allow_redirects=False, timeout=15)
    assert again.status_code in (302, 303, 400), again.status_code
    if again.status_code == 400:
        assert "invalid_request_uri" in again.text or "invalid_request" in again.text
        assert_no_internals(again)
    else:
        location = again.headers["Location"]
        assert not urlsplit(location).path.startswith("/consent/"), location
        assert "code=" not in location

    # 2. The consent pages of the finished flow show nothing and decide nothing, even in the
    # very browser that finished them.
    replay = customer.session.get(consent_url, allow_redirects=False, timeout=15,
                                  verify=str(live_bank.ca))
    assert replay.status_code in (400, 404, 410), replay.status_code
    assert "password" not in replay.text.lower() or "<form" not in replay.text
    confirm = customer.session.get(consent_url + "/confirm", allow_redirects=False, timeout=15,
                                   verify=str(live_bank.ca))
    assert confirm.status_code in (400, 404, 410)

    # 3. The code from the JARM response works once; its replay is invalid_grant and revokes
    # what the first exchange issued.
    token = recipient.token(code=claims["code"], code_verifier=verifier)
    assert recipient.api("banking/accounts", token["access_token"], x_v="3").status_code == 200
    replayed = recipient.session().post(
        recipient.discovery()["token_endpoint"],
        data={"grant_type": "authorization_code", "code": claims["code"],
              "code_verifier": verifier, "redirect_uri": recipient.redirect_uri},
        auth=recipient.session().client_auth("private_key_jwt"), withhold_token=True,
        verify=recipient.verify, cert=recipient.cert, timeout=15)
    oauth_error(replayed, 400, "invalid_grant")
    assert recipient.api("banking/accounts", token["access_token"], x_v="3").status_code == 401


def test_a_request_uri_works_only_for_the_client_that_pushed_it(
        live_bank: LiveBank, victim_recipient: Recipient, attacker_recipient: Recipient) -> None:
    request_uri, _, _ = victim_recipient.par(scope=BASIC_SCOPE, sharing_duration=3600)
    url = attacker_recipient.authorize_url(request_uri)  # the attacker's client_id
    response = requests.get(url, verify=str(live_bank.ca), allow_redirects=False, timeout=15)
    assert response.status_code in (302, 303, 400), response.status_code
    if response.status_code != 400:
        location = response.headers["Location"]
        assert not urlsplit(location).path.startswith("/consent/")
        assert "error" in parse_qs(urlsplit(location).query) or "response" in parse_qs(
            urlsplit(location).query)
    # The victim's own use of it still works (the attempt did not consume or leak it).
    own = requests.get(victim_recipient.authorize_url(request_uri), verify=str(live_bank.ca),
                       allow_redirects=False, timeout=15)
    assert own.status_code == 303
    assert urlsplit(own.headers["Location"]).path.startswith("/consent/")


# Registration flooding -------------------------------------------------------------------
def test_a_product_cannot_be_registered_twice(live_bank: LiveBank,
                                              victim_recipient: Recipient) -> None:
    """One active registration per software product (OIDC DCR 3.3 as the Register
    documents it): a flood of registrations of one SSA makes nothing new."""
    recipient = victim_recipient
    token = registration_token(recipient)
    before = requests.get(f"{live_bank.mtls_url}/register/{recipient.client_id}",
                          headers={"Authorization": f"Bearer {token}"},
                          verify=recipient.verify, cert=recipient.cert, timeout=15)
    assert before.status_code == 200
    software_id = before.json()["software_id"]
    ssa = before.json()["software_statement"]
    client_id = recipient.client_id
    try:
        with pytest.raises(AssertionError, match="DCR failed: 400") as refused:
            recipient.register(ssa, software_product_id=software_id)
        assert "invalid_client_metadata" in str(refused.value)
        assert "Duplicate registrations" in str(refused.value)
    finally:
        recipient.client_id = client_id
    after = requests.get(f"{live_bank.mtls_url}/register/{client_id}",
                         headers={"Authorization": f"Bearer {token}"},
                         verify=recipient.verify, cert=recipient.cert, timeout=15)
    assert after.status_code == 200 and after.json()["client_id"] == client_id
