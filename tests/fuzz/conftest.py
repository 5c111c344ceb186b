"""What the fuzz run needs: the live bank over TLS and mTLS (tests/e2e/conftest.py), a data
recipient with a certificate-bound token carrying every banking and common scope, the real IDs
that token can see, and the two kinds of documents schemathesis reads.

The live bank runs the test settings: every rate limit a thousand times the real one
(bank/settings/test.py), so a fuzz run of a few thousand requests meets none.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.e2e.conftest import LiveBank, live_bank, registered_recipient  # noqa: F401 - fixture

#: Every data scope a banking data holder serves, plus the OpenID ones.
SCOPES = ("openid profile bank:accounts.basic:read bank:accounts.detail:read "
          "bank:transactions:read bank:payees:read bank:regular_payments:read "
          "common:customer.basic:read common:customer.detail:read")
#: Access tokens live five minutes; a fuzz run is shorter, but setting up the bank is not free.
REFRESH_AFTER = 180.0


@dataclass
class Credentials:
    """A certificate-bound customer token for the fuzz run, refreshed before it expires."""

    recipient: Any
    cert: tuple[str, str]
    token: dict[str, Any]
    issued: float = field(default_factory=time.monotonic)
    registration: tuple[str, float] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def access_token(self) -> str:
        with self.lock:
            if time.monotonic() - self.issued > REFRESH_AFTER:
                self.token = {**self.token, **self.recipient.refresh(self.token["refresh_token"])}
                self.issued = time.monotonic()
            return str(self.token["access_token"])

    def registration_token(self) -> str:
        """The recipient's own `cdr:registration` token (client credentials), kept as long."""
        with self.lock:
            if self.registration is None or time.monotonic() - self.registration[1] > REFRESH_AFTER:
                session = self.recipient.session()
                token = session.fetch_token(
                    self.recipient.discovery()["token_endpoint"], grant_type="client_credentials",
                    scope="cdr:registration", verify=self.recipient.verify, cert=self.cert,
                    timeout=15)
                self.registration = (str(token["access_token"]), time.monotonic())
            return self.registration[0]


@pytest.fixture(scope="session")
def fuzz_credentials(live_bank: LiveBank) -> Iterator[Credentials]:  # noqa: F811
    from bank_client.demo_customer import DemoCustomer

    with registered_recipient(live_bank, certificate="fuzz", name="Fuzz Recipient",
                              scope=SCOPES) as recipient:
        request_uri, verifier, state = recipient.par(scope=SCOPES, sharing_duration=86_400)
        to_consent = requests.get(recipient.authorize_url(request_uri), verify=str(live_bank.ca),
                                  allow_redirects=False, timeout=10)
        assert to_consent.status_code == 303, to_consent.text
        consent_url = urljoin(recipient.authorize_url(request_uri), to_consent.headers["Location"])
        customer = DemoCustomer(live_bank.url, ca_bundle=str(live_bank.ca),
                                outbox=live_bank.outbox, username="jane.citizen",
                                password=live_bank.password("jane.citizen"))
        redirect = customer.consent(consent_url, redirect_uri=recipient.redirect_uri)
        assert parse_qs(urlsplit(redirect).query)["iss"] == [live_bank.url]
        claims = recipient.jarm(redirect, state=state)
        token = recipient.token(code=claims["code"], code_verifier=verifier)
        yield Credentials(recipient=recipient, cert=recipient.cert, token=token)
