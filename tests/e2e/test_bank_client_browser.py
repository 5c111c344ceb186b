"""`bank-client login` without --headless: it opens the consent page in "your browser".

The browser is headless Chromium ($BROWSER runs tests/e2e/chromium_consent.py), so the path a
person takes runs for real: webbrowser.open, the bank's consent pages in Chromium, the bank's
redirect to the client's own listener, the client's checks and token exchange. The customer
shares one account, and the client then sees exactly that one.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.e2e.test_bank_client import Client, _free_port

pytestmark = pytest.mark.browser


def test_login_opens_the_browser_and_gets_the_answer_on_its_listener(live_bank, tmp_path):
    client = Client(live_bank, tmp_path / "home")
    client.run("enrol", "--name", "CLI Browser", "--listen", f"127.0.0.1:{_free_port()}",
               "--pki-dir", str(live_bank.pki.root))
    log = tmp_path / "browser.log"
    env = {**client.env,
           "BROWSER": f"{sys.executable} -m tests.e2e.chromium_consent %s",
           "BANK_TEST_SERVER_CERT": str(live_bank.pki.server.cert),
           "BANK_TEST_CUSTOMER": "jane.citizen",
           "BANK_TEST_CUSTOMER_PASSWORD": live_bank.password("jane.citizen"),
           "BANK_TEST_BROWSER_LOG": str(log)}
    done = client.run("login", "--timeout", "60", env=env)
    assert "Opening the bank's consent page in your browser" in done.stderr
    assert "Authorised" in done.stdout
    heading, label = log.read_text().splitlines()[:2]
    assert heading == "Back at bank-client"
    accounts = json.loads(client.run("--json", "accounts").stdout)["data"]["accounts"]
    assert len(accounts) == 1
    assert accounts[0]["maskedNumber"] in label  # the one account ticked in Chromium
