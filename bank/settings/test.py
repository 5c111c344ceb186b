"""The test suite. Embedded by default; DATABASE_URL / REDIS_URL point it at real services."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES
from .env import env

BANK_ENVIRONMENT = "test"
# RELAXED: a fixed key; tests never touch real data.
SECRET_KEY = "test-only-secret-key-not-for-any-deployment"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# RELAXED: the test client speaks HTTP; HSTS is still checked by its own test.
SECURE_SSL_REDIRECT = False
# RELAXED: a fast hasher; password strength is not what these tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The end-to-end tests run a live server on its own URL; everything else uses this one.
BANK_PUBLIC_BASE_URL = env.str("BANK_PUBLIC_BASE_URL", default="https://bank.example.test")
# RELAXED: a fixed resource-ID key (64 bytes), so that test IDs are reproducible.
BANK_RESOURCE_ID_KEY = (
    "dGVzdC1vbmx5LXJlc291cmNlLWlkLWtleS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLQ"
)
CELERY_TASK_ALWAYS_EAGER = True
# No background metrics flusher writing into the tests' database: tests call metrics_flush().
BANK_METRICS_FLUSH_SECONDS = 0
CELERY_TASK_EAGER_PROPAGATES = True

if not env.str("DATABASE_URL", default=""):
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "ATOMIC_REQUESTS": True,
    }

# Static files straight from the apps (no collectstatic in tests).
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# RELAXED: tests speak HTTP, so no client certificate can be presented; plain bearer tokens are
# accepted until the transport issue brings mTLS. Certificate-bound tokens are still checked.
BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = env.bool(
    "BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS", default=False
)
# RELAXED: one throwaway set of signing keys per test machine user, made by tests/conftest.py.
BANK_SIGNING_KEYS_DIR = env.str(
    "BANK_SIGNING_KEYS_DIR",
    default=str(Path(tempfile.gettempdir()) / f"bank-test-signing-keys-{os.getuid()}"),
)
# The mock Register's signing key, likewise (a clean clone has no var/pki).
BANK_MOCK_REGISTER_KEYS_DIR = env.str(
    "BANK_MOCK_REGISTER_KEYS_DIR",
    default=str(Path(tempfile.gettempdir()) / f"bank-test-register-keys-{os.getuid()}"),
)
# RELAXED: test clients and the mock Register serve http://testserver and localhost.
BANK_ALLOW_HTTP_CLIENT_URIS = True
# RELAXED: ...and on private and loopback addresses (security/outbound.py).
BANK_ALLOW_PRIVATE_OUTBOUND = True
# RELAXED: as in the demo, recipients may redirect to http:// on loopback (bank-client's own
# redirect listener; security/oauth/request_object.py keeps plain http to loopback hosts).
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"]}  # noqa: F405
BANK_MOCK_REGISTER_ENABLED = True
# RELAXED: one-time codes are written to the outbox directory instead of being emailed.
BANK_OTP_CHANNEL = "security.login.channels.OutboxOtpChannel"
BANK_OTP_OUTBOX_DIR = env.str(
    "BANK_OTP_OUTBOX_DIR",
    default=str(Path(tempfile.gettempdir()) / f"bank-test-outbox-{os.getuid()}"),
)
# RELAXED: key-encryption keys in files of a per-user temporary directory, not in an HSM
# (tests/kms runs the PKCS#11 backend against SoftHSM2).
BANK_KEY_MANAGER = env.str("BANK_KEY_MANAGER", default="local")
BANK_LOCAL_KEYS_DIR = env.str(
    "BANK_LOCAL_KEYS_DIR",
    default=str(Path(tempfile.gettempdir()) / f"bank-test-keys-{os.getuid()}"),
)
# RELAXED: every limit a thousand times the real one, so that only the rate-limit tests
# (tests/security/throttling/, which set it back to 1) meet the limits.
BANK_RATE_LIMIT_MULTIPLIER = env.int("BANK_RATE_LIMIT_MULTIPLIER", default=1000)
