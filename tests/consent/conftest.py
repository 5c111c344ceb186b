"""Consent-page fixtures: a registered client, a pushed request, a browser, the outbox.

`Browser` is Django's test client with CSRF checks ON, reading each form's token from the
page like a browser would; `outbox` points the demo OTP channel at a temporary directory and
reads codes back from the email files it writes.
"""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from tests.oauth.conftest import TestClient, client_app, make_client  # noqa: F401
from tests.oauth.flow_helpers import (
    authorize,
    handle_of,
    pushed_request_uri,
    request_claims,
    seeded_bank,  # noqa: F401
)

PASSWORD = "correct horse battery staple 42"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser(Client):
    """A test client that enforces CSRF and fills in the token from the page it last saw."""

    def __init__(self) -> None:
        super().__init__(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.7")

    def submit(self, url: str, data: dict[str, Any]) -> Any:
        page = self.get(url)
        match = _CSRF.search(page.content.decode())
        assert match, f"no form on {url}: {page.status_code}"
        return self.post(url, {"csrfmiddlewaretoken": match.group(1), **data})


@dataclass
class Outbox:
    path: Path

    def messages(self, to: str | None = None) -> list[email.message.Message]:
        found = []
        for file in sorted(self.path.glob("*.eml")):
            message = email.message_from_bytes(file.read_bytes())
            if to is None or message["To"] == to:
                found.append(message)
        return found

    def last_code(self, to: str) -> str:
        messages = self.messages(to)
        assert messages, f"no message to {to}"
        body = messages[-1].get_payload(decode=True).decode()
        match = re.search(r"\b(\d{6})\b", body)
        assert match
        return match.group(1)


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Outbox:
    settings.BANK_OTP_OUTBOX_DIR = str(tmp_path / "outbox")
    return Outbox(tmp_path / "outbox")


@pytest.fixture
def jane(seeded_bank: Any, db: Any) -> User:  # noqa: F811
    user = User.objects.get(username="jane.citizen")
    user.set_password(PASSWORD)
    user.save()
    return user


JANE_EMAIL = "jane.citizen@example.com"


@pytest.fixture
def start(client_app: TestClient) -> Callable[..., str]:  # noqa: F811
    """Push a request (claims overridable) and follow /authorize: the consent handle."""

    def start_flow(client: TestClient | None = None, **overrides: Any) -> str:
        client = client or client_app
        request_uri = pushed_request_uri(client, request_claims(client, **overrides))
        return handle_of(authorize(client.client_id, request_uri))

    return start_flow


def url(handle: str, step: str = "") -> str:
    return f"/consent/{handle}" + (f"/{step}" if step else "")


def log_in(browser: Browser, handle: str, outbox: Outbox, *, password: str = PASSWORD,
           username: str = "jane.citizen", to: str = JANE_EMAIL) -> Any:
    """Password then code: the response to the code POST."""
    response = browser.submit(url(handle), {"customer_id": username, "password": password})
    assert response.status_code == 303, response.content
    assert response["Location"] == url(handle, "code")
    return browser.submit(url(handle, "code"), {"code": outbox.last_code(to), "action": "verify"})
