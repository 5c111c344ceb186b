"""A member of staff signs in to the staff console with password and TOTP code in headless
Chromium, on the live bank's mTLS listener (Chromium presents the demo client certificate
through Playwright's `client_certificates`). The code is computed here from the secret that
`manage.py staff_totp enrol` wrote, as an authenticator app would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import LiveBank, chromium_for

if TYPE_CHECKING:  # Playwright is imported when a test runs: without it they are left out.
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

STAFF = "e2e-staff"
PASSWORD = "e2e staff password not reused 7"


def _totp_now(uri: str) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits) from an otpauth:// URI."""
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


@pytest.fixture(scope="module")
def browser(live_bank: LiveBank) -> Iterator[Browser]:
    with chromium_for(live_bank) as browser:
        yield browser


def test_staff_signs_in_with_password_and_totp(live_bank: LiveBank, browser: Browser,
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    live_bank.manage("shell", "-c", (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({STAFF!r}, password={PASSWORD!r}, "
        "is_staff=True)"))
    uri_file = tmp_path_factory.mktemp("staff") / "totp.txt"
    live_bank.manage("staff_totp", "enrol", STAFF, "--uri-file", str(uri_file))
    uri = uri_file.read_text().strip()
    certificate = live_bank.pki.client("e2e-staff-browser")
    context = browser.new_context(client_certificates=[{
        "origin": live_bank.mtls_url, "certPath": str(certificate.cert),
        "keyPath": str(certificate.key)}])
    page = context.new_page()

    first = page.goto(f"{live_bank.mtls_url}/admin/")
    assert first is not None
    assert "/admin/login/" in page.url, (first.status, page.content()[:2000])  # no second factor, no console

    page.fill("#id_username", STAFF)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", "000000" if _totp_now(uri) != "000000" else "111111")
    page.click("input[type=submit]")
    error = page.locator("p.errornote").first.inner_text()
    assert "correct username, password and authentication code" in error
    assert "/admin/login/" in page.url

    time.sleep(2.1)  # django-otp locks the device for 1 s after a failure
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", _totp_now(uri))
    page.click("input[type=submit]")

    page.wait_for_url(f"{live_bank.mtls_url}/admin/")
    assert page.locator("#content h1").inner_text() == "Site administration"
    context.close()
