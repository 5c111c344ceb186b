"""A "browser" for `bank-client login`: headless Chromium that goes through the consent pages.

`bank-client login` opens the authorization URL with Python's `webbrowser`, which runs the
command in $BROWSER. tests/e2e/test_bank_client_browser.py points $BROWSER at this script, so
the client's real browser path runs: Chromium opens /authorize, the demo customer logs in
(password, then the code from the outbox), chooses one account and authorises, and the bank
sends Chromium to the client's redirect listener, whose page must then say it has the answer.

    python -m tests.e2e.chromium_consent URL
    env: BANK_TEST_SERVER_CERT (the bank's certificate: Chromium trusts its key and no other),
         BANK_TEST_CUSTOMER, BANK_TEST_CUSTOMER_PASSWORD, BANK_OTP_OUTBOX_DIR,
         BANK_TEST_BROWSER_LOG (where to write what happened, for the test to read)
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import sync_playwright

from tests.conftest import CHROMIUM


def _code(outbox: Path, since: set[str]) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(set(outbox.glob("*.eml")) - {outbox / n for n in since}, reverse=True):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            body = message.get_body(preferencelist=("plain",))
            found = re.search(r"one-time code is (\d{6})\b", body.get_content() if body else "")
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise SystemExit("no one-time code arrived")


def main(url: str) -> None:
    cert = x509.load_pem_x509_certificate(Path(os.environ["BANK_TEST_SERVER_CERT"]).read_bytes())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    trust = ("--ignore-certificate-errors-spki-list="
             + base64.b64encode(hashlib.sha256(spki).digest()).decode())
    outbox = Path(os.environ["BANK_OTP_OUTBOX_DIR"])
    log = Path(os.environ["BANK_TEST_BROWSER_LOG"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            trust])
        page = browser.new_page()
        page.goto(url)
        page.get_by_label("Customer ID").fill(os.environ["BANK_TEST_CUSTOMER"])
        page.get_by_label("Password").fill(os.environ["BANK_TEST_CUSTOMER_PASSWORD"])
        before = {p.name for p in outbox.glob("*.eml")} if outbox.is_dir() else set()
        page.get_by_role("button", name="Continue", exact=True).click()
        page.wait_for_url("**/code")
        page.get_by_label("One-time code").fill(_code(outbox, before))
        page.get_by_role("button", name="Verify", exact=True).click()
        page.wait_for_url("**/accounts")
        first = page.get_by_role("checkbox").first
        first.check()
        label = page.locator(f'label[for="{first.get_attribute("id")}"]').inner_text()
        page.get_by_role("button", name="Continue", exact=True).click()
        page.wait_for_url("**/confirm")
        page.get_by_role("button", name="Authorise", exact=True).click()
        page.wait_for_url("http://127.0.0.1:*/callback?*")
        heading = page.get_by_role("heading").inner_text()
        log.write_text(f"{heading}\n{label}\n")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1])
