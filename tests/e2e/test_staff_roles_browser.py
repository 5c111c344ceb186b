"""The staff roles in headless Chromium on the live bank's mTLS listener: two people, one in
the `support` group and one in `security` (the groups `manage.py staff_roles` sets up), each
signs in through the real login form with password and TOTP code.

Support answers calls: it reads customers, accounts and transactions, masked, with no way to
unmask and no audit chain. Security contains incidents: it revokes a registered recipient's
client through the console's action and confirmation page, and the client's next token
request is refused (invalid_client).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django_otp.oath import totp

from bank_client.recipient import Recipient
from tests.e2e.conftest import LiveBank, chromium_for, registered_recipient

if TYPE_CHECKING:  # Playwright is imported when a test runs: without it they are left out.
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

PASSWORD = "e2e roles password never reused 9"
SUPPORT_USER = "e2e-support"
SECURITY_USER = "e2e-security"
SCOPE = "openid bank:accounts.basic:read"

_STAFF_CREATE = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
call_command("staff_roles")
for username, role in (({SUPPORT_USER!r}, "support"), ({SECURITY_USER!r}, "security")):
    user = get_user_model().objects.create_user(username, password={PASSWORD!r}, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
"""

# What seed_demo wrote that support must never read: every customer's names, email addresses
# and phone numbers, and every account number. Decrypted in the bank's own process.
_SEEDED_SECRETS = """
import json
from accounts.models import Account, Customer
values = {"names": [], "emails": [], "phones": [], "account_numbers": []}
for customer in Customer.objects.all():
    values["names"] += [customer.first_name, customer.last_name, customer.business_name,
                        customer.legal_name, customer.short_name]
    values["emails"] += [e.address for e in customer.email_addresses.all()]
    values["phones"] += [p.full_number for p in customer.phone_numbers.all()]
values["account_numbers"] = [a.account_number for a in Account.objects.all()]
print(json.dumps({k: sorted({v for v in vs if v}) for k, vs in values.items()}))
"""


@dataclass
class StaffLogin:
    username: str
    totp_uri: str

    def code(self) -> str:
        """The authenticator app's code now (RFC 6238 with django-otp's defaults)."""
        secret = parse_qs(urlsplit(self.totp_uri).query)["secret"][0]
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        return f"{totp(key):06d}"


@pytest.fixture(scope="module")
def staff(live_bank: LiveBank, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, StaffLogin]:
    live_bank.manage("shell", "--no-imports", "-c", _STAFF_CREATE)
    logins = {}
    for username in (SUPPORT_USER, SECURITY_USER):
        uri_file = tmp_path_factory.mktemp("staff-roles") / f"{username}.totp"
        live_bank.manage("staff_totp", "enrol", username, "--uri-file", str(uri_file))
        logins[username] = StaffLogin(username, uri_file.read_text().strip())
    return logins


@pytest.fixture(scope="module")
def seeded_secrets(live_bank: LiveBank) -> dict[str, list[str]]:
    secrets = json.loads(live_bank.manage("shell", "--no-imports", "-c", _SEEDED_SECRETS))
    # The check below is only as good as this list: it must hold the demo's people and numbers.
    assert all(secrets[kind] for kind in ("names", "emails", "account_numbers")), secrets.keys()
    return dict(secrets)


@pytest.fixture(scope="module")
def browser(live_bank: LiveBank) -> Iterator[Browser]:
    with chromium_for(live_bank) as browser:
        yield browser


@pytest.fixture(scope="module")
def recipient(live_bank: LiveBank) -> Iterator[Recipient]:
    """A recipient registered as any other (mock Register SSA, then DCR)."""
    with registered_recipient(live_bank, certificate="staff-roles-app", name="Staff Roles App",
                              scope=SCOPE) as recipient:
        yield recipient


def _console(live_bank: LiveBank, browser: Browser, login: StaffLogin) -> BrowserContext:
    """A browser context signed in to the console as `login`, through the login form."""
    certificate = live_bank.pki.client(f"{login.username}-browser")
    context = browser.new_context(client_certificates=[{
        "origin": live_bank.mtls_url, "certPath": str(certificate.cert),
        "keyPath": str(certificate.key)}])
    page = context.new_page()
    page.goto(f"{live_bank.mtls_url}/admin/login/?next=/admin/")
    page.fill("#id_username", login.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", login.code())
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_bank.mtls_url}/admin/")
    assert page.locator("#content h1").inner_text() == "Site administration"
    return context


def _client_credentials(app: Recipient) -> Any:
    return app.client_post("token_endpoint", {"grant_type": "client_credentials",
                                              "scope": "cdr:registration"})


def _open(page: Page, url: str) -> str:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    return page.content()


def _assert_nothing_unmasked(html: str, url: str, secrets: dict[str, list[str]]) -> None:
    lowered = html.lower()
    for kind, values in secrets.items():
        for value in values:
            # Emails are compared without case: the blind index ignores it, so would a reader.
            found = value.lower() in lowered if kind == "emails" else value in html
            assert not found, f"a seeded {kind[:-1]} is on {url}"  # never the value itself
    assert "Unmask" not in html and "unmask-link" not in html, url


def test_support_sees_customer_data_masked_with_no_unmask_and_no_audit_chain(
        live_bank: LiveBank, browser: Browser, staff: dict[str, StaffLogin],
        seeded_secrets: dict[str, list[str]]) -> None:
    context = _console(live_bank, browser, staff[SUPPORT_USER])
    page = context.new_page()
    base = live_bank.mtls_url

    index = _open(page, f"{base}/admin/")
    assert "Verify the audit chain" not in index
    assert "/admin/security/auditevent/" not in index  # no audit trail in the menu either
    shown = []
    for changelist in ("accounts/customer", "accounts/account", "transactions/transaction"):
        url = f"{base}/admin/{changelist}/"
        _assert_nothing_unmasked(_open(page, url), url, seeded_secrets)
        rows = page.locator("#result_list tbody tr th a")
        assert rows.count() > 0, url  # the demo's rows are listed (masked), not hidden
        detail = f"{base}{rows.first.get_attribute('href')}"
        html = _open(page, detail)
        _assert_nothing_unmasked(html, detail, seeded_secrets)
        shown.append(html)
    # The account page shows the safe partial: the last four digits, nothing more.
    assert "•••• " in shown[1]
    assert "masked" in shown[0]

    verify = page.goto(f"{base}/admin/security/auditevent/verify-chain/")
    assert verify is not None and verify.status == 403
    assert "chain-status" not in page.content() and "verify-form" not in page.content()
    audit = page.goto(f"{base}/admin/security/auditevent/")
    assert audit is not None and audit.status == 403
    context.close()


def test_security_revokes_a_client_and_its_next_token_request_is_invalid_client(
        live_bank: LiveBank, browser: Browser, staff: dict[str, StaffLogin],
        recipient: Recipient) -> None:
    before = _client_credentials(recipient)
    assert before.status_code == 200, before.text  # the client works until it is revoked

    context = _console(live_bank, browser, staff[SECURITY_USER])
    page = context.new_page()
    base = live_bank.mtls_url
    # Security sees the audit chain controls support does not (the same page, another role).
    _open(page, f"{base}/admin/security/auditevent/")
    assert page.locator("#verify-chain-link").text_content() == "Verify the audit chain"

    _open(page, f"{base}/admin/oauth/clientregistration/?q={recipient.client_id}")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "revoke")
    page.click("button[name=index]")

    # The confirmation page: what will happen, to which client; nothing has happened yet.
    assert page.locator("#content h1").inner_text() == "Revoke clients"
    assert "cannot be undone" in page.locator("#consequence").inner_text()
    assert page.locator("#confirm-objects li").count() == 1
    still = _client_credentials(recipient)
    assert still.status_code == 200, still.text

    page.click("#confirm-submit")
    page.wait_for_url(f"{base}/admin/oauth/clientregistration/**")
    assert "Revoked 1 client(s)." in page.locator("ul.messagelist").inner_text()
    context.close()

    after = _client_credentials(recipient)
    assert after.status_code == 401, after.text  # RFC 6749 section 5.2
    assert after.json()["error"] == "invalid_client"
    assert "access_token" not in after.json()

