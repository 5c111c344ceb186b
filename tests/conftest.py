"""Fixtures and the service-marker policy shared by the whole suite.

Tests marked `postgres`, `redis` or `rabbitmq` need that real service (`nginx`: the nginx
binary; the production-stack test has all four); tests marked `browser` need
Chromium and Playwright (they bring their own live bank, so both runs have them); tests marked
`hsm` need SoftHSM2 and python-pkcs11 (they make their own token, so both runs have them too).
The embedded run (`make test`) leaves out what this machine lacks and says so at the end; the
services run (`make test-services`) has the services; under CI=true anything missing fails the
run instead of skipping.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.cdr_error_table import TITLES

#: The browser the `browser` tests drive (Playwright does not download one here).
CHROMIUM = os.environ.get("BANK_CHROMIUM", "/usr/bin/chromium")
#: The PKCS#11 module the `hsm` tests load (tests/kms/conftest.py makes the token).
SOFTHSM_LIBRARY = os.environ.get("BANK_SOFTHSM_LIBRARY", "/usr/lib/softhsm/libsofthsm2.so")
#: The broker the `rabbitmq` tests use (the production-stack test, tests/e2e/test_prod_stack.py).
AMQP_URL = os.environ.get("BANK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
#: The pinned Bruno CLI the `bruno` tests run (tests/e2e/test_bruno_collection.py).
BRUNO_CLI = Path(__file__).resolve().parents[1] / "collections" / "bruno" / "node_modules" / ".bin" / "bru"

SERVICE_MARKERS = {
    "postgres": "PostgreSQL (set DATABASE_URL=postgres://..., or run `make test-services`)",
    "redis": "Redis (set REDIS_URL=redis://..., or run `make test-services`)",
    "browser": f"Chromium at {CHROMIUM} (`apt-get install chromium`, or set BANK_CHROMIUM) "
               "and Playwright (`make venv`)",
    "hsm": "SoftHSM2 (`apt-get install softhsm2`) and python-pkcs11 (`make venv`)",
    "nginx": "nginx (`apt-get install nginx`)",
    "rabbitmq": f"RabbitMQ at {AMQP_URL} (set BANK_TEST_AMQP_URL, or start `rabbitmq-server`)",
    "bruno": "Node.js and the Bruno CLI (`npm ci --prefix collections/bruno`)",
}
#: What `make test` goes without on purpose (`make test-services` has them): the services,
#: and nginx, which only the production-stack test needs.
EMBEDDED_RUN_LACKS = {"postgres", "redis", "rabbitmq", "nginx"}
_left_out: dict[str, list[str]] = {}


def _service_available(marker: str) -> bool:
    if marker == "postgres":
        return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if marker == "redis":
        return bool(getattr(settings, "REDIS_URL", ""))
    if marker == "browser":
        return Path(CHROMIUM).is_file() and importlib.util.find_spec("playwright") is not None
    if marker == "hsm":
        return (Path(SOFTHSM_LIBRARY).is_file() and shutil.which("softhsm2-util") is not None
                and _imports("pkcs11"))
    if marker == "nginx":
        # /usr/sbin is not on every user's PATH.
        return (shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")) is not None
    if marker == "rabbitmq":
        return _broker_answers(AMQP_URL)
    if marker == "bruno":
        return shutil.which("node") is not None and BRUNO_CLI.exists()
    return False


@functools.cache
def _broker_answers(url: str) -> bool:
    """An AMQP connection opens (once per run: this is asked for every marked test)."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception:
        return False
    return True


def _imports(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    in_ci = os.environ.get("CI", "").lower() == "true"
    embedded_run = os.environ.get("BANK_TEST_PROFILE", "") == "embedded"
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        missing = [m for m in SERVICE_MARKERS if item.get_closest_marker(m) and not _service_available(m)]
        # By design the embedded profile is the no-services run; Chromium and SoftHSM2 are
        # wanted in both.
        by_design = embedded_run and set(missing) <= EMBEDDED_RUN_LACKS
        if not missing:
            kept.append(item)
        elif in_ci and not by_design:
            item.user_properties.append(("missing_service", ",".join(missing)))
            kept.append(item)
            _left_out.setdefault("CI-FAILURE", []).append(item.nodeid)
        elif embedded_run:
            deselected.append(item)
            for m in missing:
                _left_out.setdefault(m, []).append(item.nodeid)
        else:
            reason = "; ".join(f"needs {SERVICE_MARKERS[m]}" for m in missing)
            item.add_marker(pytest.mark.skip(reason=reason))
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = dict(item.user_properties).get("missing_service")
    if missing:
        needs = "; ".join(SERVICE_MARKERS[m] for m in str(missing).split(","))
        pytest.fail(f"CI=true and this test needs what is missing here: {needs}", pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    failures = _left_out.pop("CI-FAILURE", None)
    if failures:
        terminalreporter.write_line(
            f"FAILED: {len(failures)} tests could not run under CI=true (missing service, "
            "browser or HSM).", red=True
        )
    for marker, nodeids in _left_out.items():
        terminalreporter.write_line(
            f"Left out {len(nodeids)} test(s) marked '{marker}': they need "
            f"{SERVICE_MARKERS[marker]}.",
            yellow=True,
        )


# Fixtures -------------------------------------------------------------------------------
CDR_HEADERS = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def api() -> Callable[..., Any]:
    """`api("get", url, x_v="5", **headers)`: a CDR call with the usual headers."""
    client = Client()

    def call(method: str, url: str, *, x_v: str | None = None, x_min_v: str | None = None,
             **extra: Any) -> Any:
        headers: dict[str, Any] = dict(CDR_HEADERS)
        if x_v is not None:
            headers["HTTP_X_V"] = x_v
        if x_min_v is not None:
            headers["HTTP_X_MIN_V"] = x_min_v
        headers.update(extra)
        return getattr(client, method)(url, **headers)

    return call


def assert_cdr_error(response: Any, status: int, code: str, detail: str | None = None) -> dict[str, Any]:
    """The response is a CDS error body with exactly one error of this code (STYLE.md §10)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/json"
    assert response.has_header("x-fapi-interaction-id")
    body = response.json()
    assert set(body) == {"errors"}
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    full_code = code if code.startswith("urn:") else f"urn:au-cds:error:cds-all:{code}"
    assert error["code"] == full_code
    assert set(error) <= {"code", "title", "detail", "meta"}
    assert error["title"] and error["detail"]
    assert error["title"] == TITLES[error["code"]], "title must be the standard's, per code"
    if detail is not None:
        assert error["detail"] == detail
    return error


@pytest.fixture(scope="session", autouse=True)
def _signing_keys() -> None:
    """The authorization server's PS256/ES256 keys (and the mock Register's key) for this
    machine's test runs."""
    from pathlib import Path

    from security.oauth.signing_keys import clear_cache, generate_signing_keys
    from security.pki import register_signing_key_create

    directory = Path(settings.BANK_SIGNING_KEYS_DIR)
    if not list(directory.glob("*.pem")):
        generate_signing_keys(directory, kid_suffix="test-1")
    clear_cache()
    # And the mock Register's, so its JWKS answers in tests that do not set up their own.
    register = Path(settings.BANK_MOCK_REGISTER_KEYS_DIR)
    if not list(register.glob("ps256-*.pem")):
        register_signing_key_create(register)


@pytest.fixture(scope="session", autouse=True)
def _local_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The local key manager's KEK files go to this run's temporary directory, not var/keys."""
    from security.kms import key_manager_reset

    missing = object()
    previous = getattr(settings, "BANK_LOCAL_KEYS_DIR", missing)
    settings.BANK_LOCAL_KEYS_DIR = str(tmp_path_factory.mktemp("kms-keys"))
    key_manager_reset()
    yield
    if previous is missing:
        del settings.BANK_LOCAL_KEYS_DIR
    else:
        settings.BANK_LOCAL_KEYS_DIR = previous
    key_manager_reset()


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    """Each test starts with an empty cache (rate-limit slots, JWKS refetch slots...) and an
    empty keyring: a data key cached by a test whose transaction rolled back must not seal
    the next test's rows."""
    import uuid

    from django.core.cache import cache

    from security.encryption.keyring import keyring_forget
    from security.throttling.store import store

    cache.clear()
    keyring_forget()
    # The limiter's own store too (Redis in the services run): its counters and its "first
    # refusal this minute" markers must not carry from one test into the next.
    settings.BANK_RATE_LIMIT_KEY_PREFIX = f"rl-{uuid.uuid4().hex[:12]}"
    store.cache_clear()
    yield
    # And on the way out: a module fixture set up before the next test's autouse fixtures
    # must not inherit a key cached here (its row may be rolled back with this test).
    keyring_forget()


@pytest.fixture
def real_rate_limits(settings: Any) -> Any:
    """The real limits (test settings multiply them by 1000), in a fresh key namespace."""
    import uuid

    from security.throttling.selectors import rate_limit_overrides_forget
    from security.throttling.store import store

    settings.BANK_RATE_LIMIT_MULTIPLIER = 1
    settings.BANK_RATE_LIMIT_KEY_PREFIX = f"rl-test-{uuid.uuid4().hex}"
    store.cache_clear()
    rate_limit_overrides_forget()
    yield settings
    store.cache_clear()
    rate_limit_overrides_forget()


@pytest.fixture
def admin_client(db: Any, admin_user: Any) -> Client:
    """pytest-django's admin_client, signed in as the staff sign-in leaves a session (password
    and second factor): the console admits no session without one (security/staff/site.py)."""
    from tests.staff.helpers import staff_session_with_second_factor

    client = Client()
    staff_session_with_second_factor(client, admin_user)
    return client
