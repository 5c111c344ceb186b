"""Swagger UI and Redoc render the bank's document in a real browser (Debian's Chromium,
Playwright) on the live bank, under its Content-Security-Policy, with no CSP violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import LiveBank, chromium_for, live_bank  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def browser(live_bank: LiveBank) -> Iterator[Any]:  # noqa: F811
    with chromium_for(live_bank) as chromium:
        yield chromium


def _open(browser: Any, url: str) -> tuple[Page, list[str]]:
    """A page at `url`, and the list its console errors and CSP violations are added to."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # Violations are also reported as events, whether or not the console shows them.
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
    page.goto(url)
    return page, problems


def test_swagger_ui_renders_the_operations_under_the_csp(live_bank: LiveBank,  # noqa: F811
                                                         browser: Any):
    page, problems = _open(browser, f"{live_bank.url}/api/docs/")
    page.get_by_text("Get Accounts", exact=True).first.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() > 30  # every operation of the document
    page.get_by_text("Get Account Detail", exact=True).first.click()
    page.get_by_text("x-fapi-auth-date").first.wait_for(timeout=5_000)
    assert problems == []


def test_redoc_renders_the_operations_under_the_csp(live_bank: LiveBank,  # noqa: F811
                                                   browser: Any):
    page, problems = _open(browser, f"{live_bank.url}/api/redoc/")
    page.locator("h2", has_text="Get Accounts").first.wait_for(timeout=30_000)
    assert page.locator("style[nonce]").count() > 0  # Redoc's styles went in with the nonce
    # The one refusal expected: Redoc's footer logo from cdn.redoc.ly (bank/openapi/views.py),
    # blocked by img-src 'self', so no request leaves for a CDN.
    unexpected = [p for p in problems if REDOCLY_LOGO not in p]
    assert unexpected == []
