"""The embedded demo: SQLite in var/, in-memory cache, filesystem broker, HTTPS on localhost
(the public listener on 8443, the mTLS listener on 8444: `python -m bank.serve`).

Every setting here weakens a base.py default for local use only; each says so.
"""

import copy
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING as _BASE_LOGGING
from .env import VAR_DIR, env

BANK_ENVIRONMENT = "dev"
DEBUG = env.bool("DJANGO_DEBUG", default=False)  # even in the demo, no stack traces by default
# RELAXED: a throwaway key, generated per checkout, never used outside this machine.
from bank.settings.devsecret import dev_resource_id_key, dev_secret_key  # noqa: E402

SECRET_KEY = dev_secret_key(VAR_DIR / "dev-secret-key")
# RELAXED: the resource-ID key lives in a file of this checkout, not in the HSM.
BANK_RESOURCE_ID_KEY = dev_resource_id_key(VAR_DIR / "dev-resource-id-key")
# RELAXED: the demo answers on localhost only.
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
# The demo serves HTTPS only, with the production TLS policy, HSTS, Secure __Host- cookies and
# certificate-bound tokens: nothing about transport is relaxed. Its certificates come from the
# demo PKI (`manage.py pki init`, var/pki/): trust var/pki/ca/ca.pem in your client.
BANK_PUBLIC_BASE_URL = env.str("BANK_PUBLIC_BASE_URL", default="https://localhost:8443")
BANK_MTLS_BASE_URL = env.str("BANK_MTLS_BASE_URL", default="https://localhost:8444")
# The bank's own outbound calls (the mock Register's JWKS, recipients on localhost) trust the
# demo CA.
BANK_OUTBOUND_CA_BUNDLE = env.str("BANK_OUTBOUND_CA_BUNDLE",
                                  default=str(VAR_DIR / "pki" / "ca" / "ca.pem"))
# RELAXED: the demo's OAuth clients may use http://localhost redirect URIs.
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"]}  # noqa: F405
# RELAXED: the demo's recipients and its mock Register live on http://localhost.
BANK_ALLOW_HTTP_CLIENT_URIS = True
# RELAXED: ...and on private and loopback addresses (security/outbound.py).
BANK_ALLOW_PRIVATE_OUTBOUND = True
BANK_MOCK_REGISTER_ENABLED = True
BANK_REGISTER_BASE_URL = env.str(
    "BANK_REGISTER_BASE_URL", default=BANK_PUBLIC_BASE_URL + "/mock-register"
)
BANK_REGISTER_JWKS_URI = env.str(
    "BANK_REGISTER_JWKS_URI", default=BANK_REGISTER_BASE_URL + "/cdr-register/v1/jwks"
)
# RELAXED: key-encryption keys in files under var/keys/ (0600), not in an HSM.
BANK_KEY_MANAGER = env.str("BANK_KEY_MANAGER", default="local")
# The demo's terminal shows readable lines (security.logging.TextFormatter: the same redacted
# records); BANK_LOG_FORMAT=json gives the production JSON lines.
BANK_LOG_FORMAT = env.str("BANK_LOG_FORMAT", default="text")
if BANK_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("BANK_LOG_FORMAT must be text or json")
_logging: dict[str, Any] = copy.deepcopy(_BASE_LOGGING)
_logging["formatters"]["text"] = {"()": "security.logging.TextFormatter"}
_logging["handlers"]["console"]["formatter"] = BANK_LOG_FORMAT
LOGGING = _logging
# RELAXED: one-time codes are written to the outbox directory instead of being emailed.
BANK_OTP_CHANNEL = "security.login.channels.OutboxOtpChannel"
