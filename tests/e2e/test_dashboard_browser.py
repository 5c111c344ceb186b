"""The customer's data-sharing dashboard in a real browser (Debian's Chromium, Playwright), on
the live bank: a recipient gets a token through the real flow (PAR, the consent pages, JARM,
the token endpoint), the customer logs in to the dashboard, stops sharing after the
confirmation step, and the recipient's next call with its token fails.

Screenshots go to $BANK_TEST_ARTIFACTS/dashboard (default var/test-artifacts).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bank_client.recipient import Recipient
from tests.e2e.conftest import ROOT, LiveBank, registered_recipient
from tests.e2e.test_consent_browser import (
    CUSTOMER,
    CUSTOMER_EMAIL,
    SCOPE,
    _choose_accounts,
    _emailed_code,
    _enter_code,
    _log_in,
    _press_and_leave,
    _start,
    browser,  # noqa: F401 - the fixture
    new_page,  # noqa: F401 - the fixture
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PRODUCT = "Budget Buddy"
ARTIFACTS = Path(os.environ.get("BANK_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "dashboard"


@pytest.fixture(scope="module")
def recipient(live_bank: LiveBank) -> Iterator[Recipient]:
    """A recipient of its own (not the consent tests' one), registered through the mock
    Register and DCR."""
    with registered_recipient(live_bank, certificate="dashboard-app", name=PRODUCT,
                              scope=SCOPE) as recipient:
        yield recipient


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def _token_through_the_real_flow(page: Page, recipient: Recipient, live_bank: LiveBank) -> str:
    verifier, state = _start(page, recipient)
    _log_in(page, live_bank)
    _enter_code(page, live_bank)
    _choose_accounts(page, 2)
    claims = recipient.jarm(_press_and_leave(page, "Authorise"), state=state)
    return str(recipient.token(code=claims["code"], code_verifier=verifier)["access_token"])


def _dashboard_log_in(page: Page, live_bank: LiveBank) -> None:
    page.goto(f"{live_bank.url}/dashboard/")
    page.wait_for_url("**/dashboard/login")
    page.get_by_label("Customer ID").fill(CUSTOMER)
    page.get_by_label("Password").fill(live_bank.password(CUSTOMER))
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/dashboard/login/code")
    page.get_by_label("One-time code").fill(_emailed_code(live_bank.outbox, to=CUSTOMER_EMAIL))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url("**/dashboard/")


def test_customer_stops_sharing_from_the_dashboard_and_the_recipients_token_fails(
        new_page: Callable[..., Page],  # noqa: F811 - the imported fixture
        recipient: Recipient, live_bank: LiveBank) -> None:
    token = _token_through_the_real_flow(new_page(), recipient, live_bank)
    assert recipient.api("banking/accounts", token, x_v="3").status_code == 200

    page = new_page()  # the customer, another day: a fresh browser session
    _dashboard_log_in(page, live_bank)
    _screenshot(page, "01-list")
    now_sharing = page.get_by_role("region", name="Sharing now")
    entry = now_sharing.get_by_role("listitem").filter(has_text=PRODUCT).last
    assert "Active" in entry.inner_text()
    entry.get_by_role("link", name=PRODUCT).click()
    page.get_by_role("heading", name=f"Sharing with {PRODUCT}").wait_for()
    _screenshot(page, "02-detail")
    assert "Account name, type and balance" in page.get_by_role("main").inner_text()

    page.get_by_role("link", name=f"Stop sharing with {PRODUCT}").click()
    page.get_by_role("heading", name=f"Stop sharing with {PRODUCT}?").wait_for()
    _screenshot(page, "03-confirm")
    # Nothing has happened yet: the confirmation page only explains.
    assert recipient.api("banking/accounts", token, x_v="3").status_code == 200

    page.get_by_role("button", name="Stop sharing", exact=True).click()
    page.wait_for_url("**/dashboard/")
    page.get_by_role("status").filter(
        has_text=f"You have stopped sharing your data with {PRODUCT}.").wait_for()
    _screenshot(page, "04-stopped")
    ended = page.get_by_role("region", name="No longer sharing")
    assert "Stopped" in ended.get_by_role("listitem").filter(has_text=PRODUCT).first.inner_text()

    response = recipient.api("banking/accounts", token, x_v="3")
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["code"] == "urn:au-cds:error:cds-all:GeneralError/Expected"
    # The bank told the recipient (CDS: the holder calls <RecipientBaseUri>/arrangements/revoke).
    deadline = time.monotonic() + 10
    while not recipient.jwks_server.revocations and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [r["path"] for r in recipient.jwks_server.revocations] == ["/arrangements/revoke"]


def test_dashboard_pages_are_not_cacheable_or_frameable_and_need_a_login(
        new_page: Callable[..., Page],  # noqa: F811 - the imported fixture
        live_bank: LiveBank) -> None:
    page = new_page()
    response = page.goto(f"{live_bank.url}/dashboard/arrangements/1")
    assert response is not None
    page.wait_for_url("**/dashboard/login")
    assert page.get_by_label("Customer ID").count() == 1
    last = page.goto(page.url)
    assert last is not None
    assert last.headers["cache-control"] == "no-store"
    assert last.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in last.headers["content-security-policy"]
