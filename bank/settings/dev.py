"""The embedded demo: SQLite in var/, in-memory cache, filesystem broker, HTTP on localhost.

Every setting here weakens a base.py default for local use only; each says so.
"""

from .base import *  # noqa: F403
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
# RELAXED: plain HTTP until the transport issue serves TLS in the demo.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"  # __Host- cookies need Secure
CSRF_COOKIE_NAME = "csrftoken"
BANK_PUBLIC_BASE_URL = env.str("BANK_PUBLIC_BASE_URL", default="http://localhost:8000")
# RELAXED: the demo's OAuth clients may use http://localhost redirect URIs.
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"]}  # noqa: F405
# RELAXED: the demo speaks HTTP, so no client certificate can be presented; plain bearer tokens are
# accepted until the transport issue brings mTLS. Certificate-bound tokens are still checked.
BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = False
# RELAXED: the demo's recipients and its mock Register live on http://localhost.
BANK_ALLOW_HTTP_CLIENT_URIS = True
BANK_MOCK_REGISTER_ENABLED = True
BANK_REGISTER_BASE_URL = env.str(
    "BANK_REGISTER_BASE_URL", default=BANK_PUBLIC_BASE_URL + "/mock-register"
)
BANK_REGISTER_JWKS_URI = env.str(
    "BANK_REGISTER_JWKS_URI", default=BANK_REGISTER_BASE_URL + "/cdr-register/v1/jwks"
)
# RELAXED: key-encryption keys in files under var/keys/ (0600), not in an HSM.
BANK_KEY_MANAGER = env.str("BANK_KEY_MANAGER", default="local")
# RELAXED: one-time codes are written to the outbox directory instead of being emailed.
BANK_OTP_CHANNEL = "security.login.channels.OutboxOtpChannel"
