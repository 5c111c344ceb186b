"""Production: PostgreSQL, Redis, a real broker. Refuses to start without its secrets."""

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from security.keys import decode_resource_id_key

from .base import *  # noqa: F403
from .base import (
    BANK_TRUSTED_PROXIES,
    BANK_TRUSTED_PROXY_CERT_HEADER,
    BANK_TRUSTED_PROXY_IP_HEADER,
    DATABASES,
)
from .env import env, mandatory

BANK_ENVIRONMENT = "prod"
SECRET_KEY = mandatory("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too short or too simple (50+ characters).")

mandatory("DATABASE_URL")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: DATABASE_URL must be postgres://.")

REDIS_URL = mandatory("REDIS_URL")
# Rate-limit counters shared by every worker and host (security/throttling/store.py).
BANK_RATE_LIMIT_STORE = env.str("BANK_RATE_LIMIT_STORE", default=REDIS_URL)
if not BANK_RATE_LIMIT_STORE.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("Production rate limits live in Redis: BANK_RATE_LIMIT_STORE "
                               "(default REDIS_URL) must be a redis:// URL.")
CELERY_BROKER_URL = mandatory("CELERY_BROKER_URL")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS to the bank's host names.")
BANK_PUBLIC_BASE_URL = mandatory("BANK_PUBLIC_BASE_URL")
if not BANK_PUBLIC_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("BANK_PUBLIC_BASE_URL must be an https:// URL.")
DEBUG = False
# Logs are JSON lines for the SIEM, from Django and gunicorn alike (bank/gunicorn_tls.py reads
# the same variable): the demo's readable text format is refused here.
if env.str("BANK_LOG_FORMAT", default="json") != "json":
    raise ImproperlyConfigured("BANK_LOG_FORMAT must be json in production (text is the demo's).")
# One process per listener (security/listeners.py), never one serving both.
BANK_LISTENER = mandatory("BANK_LISTENER")
if BANK_LISTENER not in {"public", "mtls"}:
    raise ImproperlyConfigured("BANK_LISTENER must be public or mtls in production.")
# Where the mTLS endpoints are (links.self of resources, mtls_endpoint_aliases).
BANK_MTLS_BASE_URL = mandatory("BANK_MTLS_BASE_URL")
if not BANK_MTLS_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("BANK_MTLS_BASE_URL must be an https:// URL.")
# The authorization server signs inside the HSM unless told to read PEM files (an issuer that
# exports its keys from elsewhere).
BANK_SIGNING_KEYS_SOURCE = env.str("BANK_SIGNING_KEYS_SOURCE", default="key-manager")
if BANK_SIGNING_KEYS_SOURCE not in {"key-manager", "files"}:
    raise ImproperlyConfigured("BANK_SIGNING_KEYS_SOURCE must be key-manager or files.")
if BANK_SIGNING_KEYS_SOURCE == "files":
    BANK_SIGNING_KEYS_DIR = mandatory("BANK_SIGNING_KEYS_DIR")
# Which kid signs is named, never "the newest label": a key that appeared in the HSM (or the
# directory) signs nothing until an operator names it (`manage.py signing_keys list`).
BANK_SIGNING_KEYS_ACTIVE = env.dict("BANK_SIGNING_KEYS_ACTIVE", default={})
if set(BANK_SIGNING_KEYS_ACTIVE) != {"PS256", "ES256"}:
    raise ImproperlyConfigured(
        "BANK_SIGNING_KEYS_ACTIVE must name the signing kid of PS256 and of ES256, e.g. "
        "PS256=ps256-2026-11-28-120000,ES256=es256-2026-11-28-120000.")
BANK_REGISTER_BASE_URL = mandatory("BANK_REGISTER_BASE_URL")
BANK_REGISTER_JWKS_URI = mandatory("BANK_REGISTER_JWKS_URI")
BANK_DATA_HOLDER_BRAND_ID = mandatory("BANK_DATA_HOLDER_BRAND_ID")
if (BANK_MOCK_REGISTER_ENABLED or BANK_ALLOW_HTTP_CLIENT_URIS  # noqa: F405
        or BANK_ALLOW_PRIVATE_OUTBOUND):  # noqa: F405
    raise ImproperlyConfigured("The mock Register, http client URIs and private outbound "
                               "addresses are for dev and test only.")
# The resource-ID key (until the key-management issue moves it into the HSM).
BANK_RESOURCE_ID_KEY = mandatory("BANK_RESOURCE_ID_KEY")
decode_resource_id_key(BANK_RESOURCE_ID_KEY)  # 64 bytes of base64url, or no start
# One-time codes go to customers by email (security/login/channels.py): an SMTP relay with
# TLS is mandatory, e.g. smtp+tls://user:password@relay.internal:587.
mandatory("EMAIL_URL")
_email = env.email_url("EMAIL_URL")
if not (_email.get("EMAIL_USE_TLS") or _email.get("EMAIL_USE_SSL")):
    raise ImproperlyConfigured("EMAIL_URL must use TLS (smtp+tls:// or smtp+ssl://).")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 10
BANK_OTP_CHANNEL = "security.login.channels.EmailOtpChannel"
BANK_OTP_FROM_EMAIL = mandatory("BANK_OTP_FROM_EMAIL")
# Keys: the HSM only (security/kms). The PIN is a secret like the others.
if env.str("BANK_KEY_MANAGER", default="pkcs11") != "pkcs11":
    raise ImproperlyConfigured("Production keeps its keys in an HSM: BANK_KEY_MANAGER=pkcs11.")
BANK_KEY_MANAGER = "pkcs11"
BANK_PKCS11_LIBRARY = mandatory("BANK_PKCS11_LIBRARY")
BANK_PKCS11_TOKEN_LABEL = mandatory("BANK_PKCS11_TOKEN_LABEL")
BANK_PKCS11_PIN = mandatory("BANK_PKCS11_PIN")
# HSTS preload is a one-way commitment only the owner of the real domain can make.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# BEHIND A TLS-TERMINATING PROXY -------------------------------------------------------
# deploy/nginx/bank.conf: nginx terminates TLS (and verifies client certificates) and talks
# plain HTTP to gunicorn (deploy/gunicorn.conf.py). base.py reads BANK_TRUSTED_PROXIES (the
# addresses nginx connects FROM: REMOTE_ADDR as gunicorn sees it),
# BANK_TRUSTED_PROXY_CERT_HEADER (security/mtls.py) and BANK_TRUSTED_PROXY_IP_HEADER
# (security/client_ip.py); production checks they make sense together. Nothing below applies
# without proxies: a bank whose gunicorn terminates TLS itself trusts no header at all.
for _proxy in BANK_TRUSTED_PROXIES:
    try:
        ipaddress.ip_address(_proxy)
    except ValueError:
        raise ImproperlyConfigured(
            f"BANK_TRUSTED_PROXIES lists addresses, not networks or names: {_proxy!r}.") from None
for _name, _header in (("BANK_TRUSTED_PROXY_CERT_HEADER", BANK_TRUSTED_PROXY_CERT_HEADER),
                       ("BANK_TRUSTED_PROXY_IP_HEADER", BANK_TRUSTED_PROXY_IP_HEADER)):
    if _header and not BANK_TRUSTED_PROXIES:
        raise ImproperlyConfigured(f"{_name} needs BANK_TRUSTED_PROXIES (who may send it).")
    if _header and not _header.startswith("HTTP_"):
        raise ImproperlyConfigured(f"{_name} is a WSGI environ key: HTTP_X_..., not {_header!r}.")
if BANK_TRUSTED_PROXIES and not BANK_TRUSTED_PROXY_IP_HEADER:
    # Every client would look like the proxy: one shared per-source budget (login, codes,
    # public pages) that anyone could use up, and audit rows naming the proxy.
    raise ImproperlyConfigured("BANK_TRUSTED_PROXIES needs BANK_TRUSTED_PROXY_IP_HEADER (the "
                               "proxy's client-address header, e.g. HTTP_X_REAL_IP).")
if BANK_TRUSTED_PROXIES:
    # Django believes this header from anyone, so gunicorn behind nginx drops it from every
    # peer that is not a trusted proxy (deploy/gunicorn.conf.py) and nginx always overwrites it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # type: ignore[assignment]
