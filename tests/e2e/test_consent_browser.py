"""The consent pages in a real browser: Debian's Chromium, driven by Playwright, on the live bank.

What only a browser shows: the pages work end to end with real cookies, CSRF tokens and
redirects; the accounts the customer ticks are exactly what the recipient then gets (JARM ->
token -> Get Accounts); Deny and Cancel tell the recipient `access_denied`; the pages fit a
phone; the bank's cookies are httpOnly, Secure and SameSite=Strict; and the pages refuse to be
framed.

Each walk starts on the recipient's own page, so that the bank sees the cross-site navigation
it gets in real life (its SameSite=Strict cookies must not get in the way). recipient.example
does not resolve: the browser's router serves its pages (`_recipient_site`).

Screenshots of every page go to $BANK_TEST_ARTIFACTS/consent (default var/test-artifacts).
"""

from __future__ import annotations

import html
import os
import re
import threading
from collections.abc import Callable, Iterator
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bank_client.recipient import Recipient
from tests.e2e.conftest import ROOT, LiveBank, chromium_for, registered_recipient

if TYPE_CHECKING:  # Playwright is imported when a test runs: without it they are left out.
    from playwright.sync_api import Browser, Page, Route

pytestmark = pytest.mark.browser

SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read common:customer.basic:read"
NINETY_DAYS = 86_400 * 90
CUSTOMER, CUSTOMER_EMAIL = "jane.citizen", "jane.citizen@example.com"
PRODUCT = "Spend Smart"
RECIPIENT_SITE = "https://recipient.example"
PHONE_WIDTH = 390
PHONE = {"viewport": {"width": PHONE_WIDTH, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
ARTIFACTS = Path(os.environ.get("BANK_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "consent"


# Fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def recipient(live_bank: LiveBank) -> Iterator[Recipient]:
    """A recipient registered with the bank (mock Register SSA, then DCR)."""
    with registered_recipient(live_bank, certificate="spend-smart", name=PRODUCT,
                              scope=SCOPE) as recipient:
        yield recipient


@pytest.fixture(scope="module")
def browser(live_bank: LiveBank) -> Iterator[Browser]:
    with chromium_for(live_bank) as browser:
        yield browser


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """`new_page(**context_options)`: a page in a fresh browser context (its own cookies)."""
    contexts = []

    def new(**options: Any) -> Page:
        context = browser.new_context(**options)
        contexts.append(context)
        context.route(f"{RECIPIENT_SITE}/**", _recipient_site)
        return context.new_page()

    yield new
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def framing_site() -> Iterator[str]:
    """Another site that frames the page named in `?to=`. A real server on this machine, not the
    browser's router: Chromium's local network access checks stop a page from the public
    internet (which a routed recipient.example counts as) from framing 127.0.0.1 at all, so the
    bank's own defences would never be reached."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = _html(f'<iframe src="{_target(self.path)}" title="Your bank"></iframe>')
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


def _recipient_site(route: Route) -> None:
    """recipient.example: /connect links to the page named in `?to=`; anything else (the
    callback) says the customer is back."""
    if urlsplit(route.request.url).path == "/connect":
        body = _html(f'<a href="{_target(route.request.url)}">Connect your bank</a>')
    else:
        body = _html(f"<h1>Back at {PRODUCT}</h1>")
    route.fulfill(status=200, content_type="text/html", body=body)


def _target(url: str) -> str:
    return html.escape(parse_qs(urlsplit(url).query).get("to", [""])[0])


def _html(body: str) -> str:
    return f"<!doctype html><title>{PRODUCT}</title>{body}"


# Steps of the walk --------------------------------------------------------------------------

def _start(page: Page, recipient: Recipient) -> tuple[str, str]:
    """PAR, then the customer follows the recipient's link to the bank's login page.
    Returns (code_verifier, state)."""
    request_uri, verifier, state = recipient.par(scope=SCOPE, sharing_duration=NINETY_DAYS)
    page.goto(f"{RECIPIENT_SITE}/connect?" + urlencode({"to": recipient.authorize_url(request_uri)}))
    page.get_by_role("link", name="Connect your bank").click()
    page.get_by_label("Customer ID").wait_for()
    return verifier, state


def _log_in(page: Page, live_bank: LiveBank) -> None:
    page.get_by_label("Customer ID").fill(CUSTOMER)
    page.get_by_label("Password").fill(live_bank.password(CUSTOMER))
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/code")


def _enter_code(page: Page, live_bank: LiveBank) -> None:
    page.get_by_label("One-time code").fill(_emailed_code(live_bank.outbox, to=CUSTOMER_EMAIL))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url("**/accounts")


def _choose_accounts(page: Page, count: int) -> list[str]:
    """Tick the first `count` accounts; their labels."""
    boxes = page.get_by_role("checkbox")
    # More accounts on offer than chosen, or "only the chosen ones are shared" proves nothing.
    assert boxes.count() > count
    labels = []
    for box in boxes.all()[:count]:
        box.check()
        labels.append(page.locator(f'label[for="{box.get_attribute("id")}"]').inner_text())
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/confirm")
    return labels


def _walk_to_confirm(page: Page, recipient: Recipient, live_bank: LiveBank, *,
                     shots: str) -> tuple[str, str, list[str]]:
    """Login, code, two accounts: the confirm page, with a screenshot of each page (names
    prefixed with `shots`). Returns (code_verifier, state, the labels of the accounts chosen)."""
    verifier, state = _start(page, recipient)
    _screenshot(page, f"{shots}01-login")
    _log_in(page, live_bank)
    _screenshot(page, f"{shots}02-code")
    _enter_code(page, live_bank)
    _screenshot(page, f"{shots}03-accounts")
    chosen = _choose_accounts(page, 2)
    _screenshot(page, f"{shots}04-confirm")
    return verifier, state, chosen


def _press_and_leave(page: Page, button: str) -> str:
    """Press a button that ends the flow: the URL the bank sent the browser back to."""
    with page.expect_request(f"{RECIPIENT_SITE}/**") as back:
        page.get_by_role("button", name=button, exact=True).click()
    # The consent URLs (their handle) must not reach the recipient in a Referer.
    assert "referer" not in back.value.all_headers()
    page.wait_for_url(f"{RECIPIENT_SITE}/**")
    return page.url


def _emailed_code(outbox: Path, *, to: str) -> str:
    """The code in the newest email to this address (file names start with a timestamp).
    The bank writes it before answering the login POST, so it is there once the code page is."""
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to:
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            found = re.search(r"Your one-time code is (\d{6})\b", body.get_content())
            assert found, body.get_content()
            return found.group(1)
    raise AssertionError(f"no email to {to} in {outbox}")


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def _assert_no_horizontal_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width == PHONE_WIDTH, (
        f"{page.url}: {scroll_width}px of content in a {inner_width}px wide window")


# The tests ----------------------------------------------------------------------------------

def test_customer_authorises_two_accounts_and_the_recipient_gets_only_those(
        new_page: Callable[..., Page], recipient: Recipient, live_bank: LiveBank) -> None:
    page = new_page()
    verifier, state, chosen = _walk_to_confirm(page, recipient, live_bank, shots="")
    confirm = page.get_by_role("main")
    for label in chosen:
        assert confirm.get_by_role("listitem").filter(has_text=label).count() == 1, label

    redirect = _press_and_leave(page, "Authorise")
    _screenshot(page, "05-back-at-recipient")
    claims = recipient.jarm(redirect, state=state)
    assert "error" not in claims
    token = recipient.token(code=claims["code"], code_verifier=verifier)
    response = recipient.api("banking/accounts", token["access_token"], x_v="3")
    assert response.status_code == 200, response.text
    shared = [f"{a.get('nickname') or a['displayName']} {a['maskedNumber']}"
              for a in response.json()["data"]["accounts"]]
    assert sorted(shared) == sorted(chosen)


def test_deny_on_the_confirm_page_tells_the_recipient_access_denied(
        new_page: Callable[..., Page], recipient: Recipient, live_bank: LiveBank) -> None:
    page = new_page()
    _, state, _ = _walk_to_confirm(page, recipient, live_bank, shots="decline-")
    redirect = _press_and_leave(page, "Deny")
    _screenshot(page, "decline-05-back-at-recipient")
    claims = recipient.jarm(redirect, state=state)
    assert claims["error"] == "access_denied"
    assert "code" not in claims


def test_cancel_on_the_login_page_tells_the_recipient_access_denied(
        new_page: Callable[..., Page], recipient: Recipient) -> None:
    page = new_page()
    _, state = _start(page, recipient)
    redirect = _press_and_leave(page, f"Cancel and go back to {PRODUCT}")
    claims = recipient.jarm(redirect, state=state)
    assert claims["error"] == "access_denied"
    assert "code" not in claims


def test_every_step_fits_a_phone_screen(
        new_page: Callable[..., Page], recipient: Recipient, live_bank: LiveBank) -> None:
    page = new_page(**PHONE)
    _start(page, recipient)
    _assert_no_horizontal_scroll(page)
    _log_in(page, live_bank)
    _assert_no_horizontal_scroll(page)
    _enter_code(page, live_bank)
    _assert_no_horizontal_scroll(page)
    _choose_accounts(page, 2)
    _assert_no_horizontal_scroll(page)
    _screenshot(page, "phone-04-confirm")


def test_bank_cookies_are_httponly_secure_and_samesite_strict(
        new_page: Callable[..., Page], recipient: Recipient, live_bank: LiveBank) -> None:
    page = new_page()
    _start(page, recipient)
    _log_in(page, live_bank)  # by now the bank has set its session and CSRF cookies
    host = urlsplit(live_bank.url).hostname
    cookies = [c for c in page.context.cookies() if c["domain"] == host]
    assert len(cookies) >= 2, cookies
    for cookie in cookies:
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict", cookie


def test_consent_pages_cannot_be_framed(
        new_page: Callable[..., Page], recipient: Recipient, framing_site: str) -> None:
    page = new_page()
    _start(page, recipient)
    consent_url = page.url
    # Another site frames the login page (clickjacking): the bank answers, the browser must
    # refuse to show it.
    with page.expect_response(consent_url) as framed:
        page.goto(f"{framing_site}/embed?" + urlencode({"to": consent_url}))
    assert framed.value.status == 200
    assert framed.value.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in framed.value.headers["content-security-policy"]
    [frame] = page.main_frame.child_frames
    assert frame.url != consent_url  # Chromium's error page instead
    assert frame.get_by_label("Customer ID").count() == 0
    _screenshot(page, "framed-refused")

