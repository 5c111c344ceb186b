"""Dashboard fixtures: the demo bank, a registered client, a CSRF-enforcing browser, the
outbox, and a logged-in customer.

Tokens come from the real token endpoint (tests/oauth/test_token.py's `authorize` and
`exchange`), so a stopped arrangement is proven by a real resource call failing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest

from accounts.models import User
from security.dashboard.usage import usage_memory_clear
from tests.consent.conftest import JANE_EMAIL, PASSWORD, Browser, Outbox, outbox  # noqa: F401
from tests.oauth.conftest import client_app, make_client  # noqa: F401
from tests.oauth.test_token import bank, seeded_bank  # noqa: F401

JOHN_EMAIL = "john.citizen@example.com"
HOME, LOGIN, CODE, LOGOUT = "/dashboard/", "/dashboard/login", "/dashboard/login/code", "/dashboard/logout"


def detail_url(pk: int) -> str:
    return f"/dashboard/arrangements/{pk}"


def stop_url(pk: int) -> str:
    return f"/dashboard/arrangements/{pk}/stop"


@pytest.fixture(autouse=True)
def _fresh_usage_memory() -> Any:
    # SQLite hands out a rolled-back test's primary keys again: forget them between tests.
    usage_memory_clear()
    yield
    usage_memory_clear()


@pytest.fixture
def customers(bank: Any) -> dict[str, User]:  # noqa: F811
    """jane.citizen and john.citizen with a known password."""
    found = {}
    for username in ("jane.citizen", "john.citizen"):
        user = User.objects.get(username=username)
        user.set_password(PASSWORD)
        user.save()
        found[username] = user
    return found


def dashboard_log_in(browser: Browser, outbox: Outbox, *,  # noqa: F811
                     username: str = "jane.citizen", to: str = JANE_EMAIL) -> Any:
    """Password then code on the dashboard: the response to the code POST."""
    response = browser.submit(LOGIN, {"customer_id": username, "password": PASSWORD})
    assert response.status_code == 303, response.content
    assert response["Location"] == CODE
    return browser.submit(CODE, {"code": outbox.last_code(to), "action": "verify"})


@pytest.fixture
def logged_in(customers: dict[str, User], outbox: Outbox) -> Callable[..., Browser]:  # noqa: F811
    """`logged_in("jane.citizen")`: a browser past both factors, on the dashboard."""

    def log_in(username: str = "jane.citizen") -> Browser:
        browser = Browser()
        to = JANE_EMAIL if username == "jane.citizen" else JOHN_EMAIL
        response = dashboard_log_in(browser, outbox, username=username, to=to)
        assert response.status_code == 303
        assert response["Location"] == HOME
        return browser

    return log_in


_TAG = re.compile(r"<[^>]+>")


def page_text(html: str) -> str:
    """What a screen reader reads: the text without tags, whitespace collapsed."""
    return " ".join(unescape(_TAG.sub(" ", html)).split())


def sharing_blocks(response: Any) -> list[str]:
    """The text of each arrangement on the list page, in page order."""
    html = response.content.decode()
    return [page_text(block) for block in re.findall(r'<li class="sharing">(.*?)</li>', html, re.S)]


def main_text(response: Any) -> str:
    html = response.content.decode()
    match = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert match, html[:300]
    return page_text(match.group(1))
