"""Fixtures for the CDR admin API: the Register's token and calls as the Register.

The Register gets its token the way it does in production: private_key_jwt client
credentials at our token endpoint (security/oauth/register_client.py), signed with the mock
Register's key, which the bank fetches from the mock Register's JWKS (tests/register/harness).
A certificate is "presented" the way gunicorn does when it terminates TLS itself: the peer
certificate of the socket in the WSGI environ.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from bank.metrics.periods import local_zone
from bank.metrics.recorder import recorder
from bank.register_mock.keys import register_sign
from security.oauth.client_auth import ASSERTION_TYPE
from tests.register import harness

register_keys_dir = harness.register_keys_dir
register_env = harness.register_env

METRICS_URL = "/cds-au/v1/admin/metrics"
METADATA_URL = "/cds-au/v1/admin/register/metadata"
ALL_ADMIN_SCOPES = "admin:metrics.basic:read admin:metadata:update"


class TlsSocket:
    """What gunicorn puts in the WSGI environ for a TLS connection with a client certificate."""

    def __init__(self, der: bytes) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False) -> bytes:
        return self.der


def on_certificate(der: bytes | None) -> dict[str, Any]:
    return {} if der is None else {"gunicorn.socket": TlsSocket(der)}


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    """Each test counts only its own calls: whatever earlier tests left in memory is dropped."""
    recorder.drain()
    yield
    recorder.drain()


@pytest.fixture(autouse=True)
def _not_at_midnight() -> None:
    """The numbers are per local day: a test that began seconds before midnight would see its
    first calls on one day and the metrics on the next. Run it a minute into the new day."""
    now = timezone.now().astimezone(local_zone())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    next_midnight = (midnight + timedelta(days=1, hours=2)).replace(hour=0)
    if (next_midnight - now).total_seconds() < 60:
        time.sleep((next_midnight - now).total_seconds() + 60)
    elif (now - midnight).total_seconds() < 60:
        time.sleep(60 - (now - midnight).total_seconds())


@pytest.fixture
def register_token(register_env: Any) -> Callable[..., str]:
    """`register_token(scope, der=None)`: a Register access token, bound to `der` if given."""

    def issue(scope: str = ALL_ADMIN_SCOPES, *, der: bytes | None = None) -> str:
        now = int(time.time())
        assertion = register_sign({"iss": "cdr-register", "sub": "cdr-register",
                                   "aud": "https://bank.example.test/token", "iat": now,
                                   "exp": now + 300, "jti": str(uuid.uuid4())})
        response = Client().post(
            "/token", urlencode({"grant_type": "client_credentials", "scope": scope,
                                 "client_assertion_type": ASSERTION_TYPE,
                                 "client_assertion": assertion}),
            content_type="application/x-www-form-urlencoded", **on_certificate(der))
        assert response.status_code == 200, response.content
        return str(response.json()["access_token"])

    return issue


@pytest.fixture
def as_register() -> Callable[..., Any]:
    """`as_register(token, period=..., x_v="5", der=None, **headers)`: GET Get Metrics."""
    client = Client()

    def call(token: str | None, *, period: str | None = None, x_v: str | None = "5",
             der: bytes | None = None, **extra: Any) -> Any:
        headers: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if x_v is not None:
            headers["HTTP_X_V"] = x_v
        headers.update(on_certificate(der))
        headers.update(extra)
        query = f"?{urlencode({'period': period})}" if period is not None else ""
        return client.get(METRICS_URL + query, **headers)

    return call


# Calls made on a clock the test controls -----------------------------------------------------
class CallClock:
    """The middleware's two clocks, faked: every call happens at `second` (wall clock) and
    takes `duration` seconds (monotonic clock), so the numbers a test expects are exact."""

    def __init__(self, second: int) -> None:
        self.second = second
        self.duration = 0.25
        self._t = 0.0
        self._open = False

    def wall(self) -> float:
        return float(self.second)

    def elapsed(self) -> float:
        if not self._open:
            self._open = True
            return self._t
        self._open = False
        end = self._t + self.duration
        self._t += 100.0
        return end


@pytest.fixture
def call_clock(monkeypatch: pytest.MonkeyPatch) -> CallClock:
    from bank.metrics import middleware

    # A few seconds ago: today (the midnight fixture guarantees it), and before requestTime.
    clock = CallClock(int(time.time()) - 3)
    monkeypatch.setattr(middleware, "_wall_clock", clock.wall)
    monkeypatch.setattr(middleware, "_elapsed_clock", clock.elapsed)
    return clock


# The demo bank and customer tokens (tests/resources/conftest.py), seeded small -------------
from tests.resources.conftest import (  # noqa: E402
    bank,
    cdr,
    demo_bank_seeded,
    grant,
    make_product,
    product,
)

__all__ = ["bank", "cdr", "grant", "make_product", "product"]


@pytest.fixture(scope="package")
def seeded_bank(django_db_setup: Any, django_db_blocker: Any) -> Any:
    yield from demo_bank_seeded(django_db_blocker, seed=20261205, transactions_per_account=3)
