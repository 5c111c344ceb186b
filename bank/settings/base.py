"""Settings shared by every environment, with the secure value as the default.

dev.py and test.py relax some of them explicitly, so `grep` on those files lists every
weakened setting. prod.py only adds what has no safe default (secrets, database URL).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .env import VAR_DIR, env

# GENERAL ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/
DEBUG = False
# No default secret here: dev/test set a throwaway one, prod.py requires DJANGO_SECRET_KEY.
SECRET_KEY: str
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])
ROOT_URLCONF = "bank.urls"
WSGI_APPLICATION = "bank.wsgi.application"
ASGI_APPLICATION = "bank.asgi.application"
LANGUAGE_CODE = "en-au"
# The CDR's day boundaries (metrics, high-traffic period) are the holder's local time.
TIME_ZONE = "Australia/Sydney"
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Which overlay is active (dev, test, prod). Demo-only tools refuse anything but dev/test.
BANK_ENVIRONMENT = "unknown"

# The CDR brand this holder publishes products under (BankingProductV6.brand).
BANK_BRAND = env.str("BANK_BRAND", default="demo-bank")
BANK_BRAND_NAME = env.str("BANK_BRAND_NAME", default="Demo Bank")

# APPS ---------------------------------------------------------------------------------
INSTALLED_APPS = [
    # django.contrib.admin, with an admin.site that audits every write in the console.
    "security.apps.AuditedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "oauth2_provider",
    "django_celery_beat",
    # Read top to bottom, these are the bank's concerns.
    "security.apps.SecurityConfig",
    "security.recipients.apps.RecipientsConfig",
    "security.consent.apps.ConsentConfig",
    "security.login.apps.LoginConfig",
    "security.dashboard.apps.DashboardConfig",
    "security.staff_sso.apps.StaffSsoConfig",
    "security.encryption.apps.EncryptionConfig",
    "security.throttling.apps.ThrottlingConfig",
    "security.oauth.apps.OAuthConfig",
    "accounts.apps.AccountsConfig",
    "transactions.apps.TransactionsConfig",
    "bank.discovery.apps.DiscoveryConfig",
    "bank.metrics.apps.MetricsConfig",
    "security.monitoring.apps.MonitoringConfig",
    "bank.register_mock.apps.RegisterMockConfig",
    # Staff sign-in with a TOTP second factor, the admin's MFA gate, roles, unmasking.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "security.staff.apps.StaffConfig",
    # The bank's OpenAPI document, Swagger UI and Redoc (from local static files).
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "bank.openapi.apps.OpenApiConfig",
]

AUTH_USER_MODEL = "accounts.User"
# ModelBackend first (passwords); the staff SSO backend answers only an OIDC callback.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "security.staff_sso.backends.StaffOidcBackend",
]

# MIDDLEWARE ---------------------------------------------------------------------------
MIDDLEWARE = [
    # Outermost: the headers Django has no setting for (CSP, Permissions-Policy, CORP/COEP,
    # no-store...) on every response, the redirects and errors of the middleware below included.
    "security.headers.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # First of ours: every response, including errors from later middleware, gets the id.
    "security.middleware.InteractionIdMiddleware",
    # Counts each CDR call for Get Metrics: inside the id (it reads the authenticated client),
    # outside the rate limiter (its 429s are the metrics' rejections).
    "bank.metrics.middleware.MetricsMiddleware",
    # Seals the request's audit events into the hash chain once everything inside (the view's
    # transaction, the rate limiter's refusal audit) is done.
    "security.middleware.AuditSealMiddleware",
    # Before anything reads the request: an endpoint exists only on its own listener, and a
    # body over BANK_MAX_REQUEST_BYTES is refused unread.
    "security.middleware.ListenerMiddleware",
    "security.middleware.RequestSizeMiddleware",
    # Per-client rate limits of the OAuth endpoints and the customer's pages, before CSRF or
    # any view runs (the CDR API's own are in BaseCdrApi); audits every refusal.
    "security.throttling.enforce.RateLimitMiddleware",
    # Serves the admin's static files from var/static without a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the TOTP device this session was verified with (staff).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps': the staff SSO link under the staff login form (security/staff_sso).
        "DIRS": [VAR_DIR.parent / "security" / "staff_sso" / "overrides"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASES ----------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# DATABASE_URL selects the database; without it, the embedded SQLite file in var/.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'bank.sqlite3'}"
    ),
}
# A request that raises is rolled back whole (DRF's set_rollback relies on this).
DATABASES["default"]["ATOMIC_REQUESTS"] = True
_is_postgres = "postgresql" in DATABASES["default"]["ENGINE"]
DATABASES["default"].setdefault("CONN_MAX_AGE", 60 if _is_postgres else 0)

# CACHES -------------------------------------------------------------------------------
# REDIS_URL selects Redis; the embedded default is process memory. Rate limits (a later
# issue) get their own alias that never ignores Redis errors: they must fail closed.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bank",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }

# PASSWORDS ----------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# SECURITY -----------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#security
# __Host- names: the browser accepts them only Secure, from this host, for path /, so a
# sibling subdomain cannot plant a session or CSRF cookie (dev.py, on plain HTTP, drops them).
SESSION_COOKIE_NAME = "__Host-session"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = 15 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Strict"
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with a form
# POST, which Django's CSRF check rightly refuses (consent pages, admin). Nothing leaves the
# bank's origin either way; redirects to recipients say no-referrer themselves (jarm.py).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Error reports (DEBUG pages, mailed reports) hide every setting that could be a secret,
# including the HSM PIN, which Django's default pattern would show.
DEFAULT_EXCEPTION_REPORTER_FILTER = "security.error_reports.SecretSettingsFilter"
# A plain page (no stack of reasons) when a form's CSRF check fails.
CSRF_FAILURE_VIEW = "security.consent.views.csrf_failure"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes reach the app over plain HTTP from inside the deployment (bank/health.py).
SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)$"]
SECURE_HSTS_SECONDS = 63_072_000  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
SECURE_PROXY_SSL_HEADER = None  # trusted only when deploy/ configures the proxy

# Request bodies: the largest the bank accepts (a DCR request or a PAR request object is a few
# KB; an accountIds list of 1000 IDs about 60 KB). Larger ones get 413 before being read
# (security/middleware.py RequestSizeMiddleware).
BANK_MAX_REQUEST_BYTES = 128 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = BANK_MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100

# CORS ---------------------------------------------------------------------------------
# CDS security/_cors.md: unauthenticated endpoints have CORS open (`*`); nothing else.
CORS_URLS_REGEX = r"^/cds-au/v1/(banking/products(/[^/]+)?|discovery/(status|outages))/?$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "x-v", "x-min-v", "x-fapi-interaction-id"]
CORS_EXPOSE_HEADERS = ["x-v", "x-fapi-interaction-id"]

# STATIC -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

# STORAGES and AUDIT RETENTION ---------------------------------------------------------
# Audit events past retention go to signed gzip JSON-lines archives in "audit_archive"
# (security/audit_retention.py): a folder here; production may name an object-storage
# backend (django-storages) with BANK_AUDIT_ARCHIVE_BACKEND and its OPTIONS.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "audit_archive": {
        "BACKEND": env.str("BANK_AUDIT_ARCHIVE_BACKEND",
                           default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("BANK_AUDIT_ARCHIVE_OPTIONS",
                            default={"location": str(VAR_DIR / "archive")}),
    },
}
#: Seven years by default; never under the CDR's six (security/checks.py, and the database).
BANK_AUDIT_RETENTION_DAYS = env.int("BANK_AUDIT_RETENTION_DAYS", default=7 * 365 + 2)
BANK_AUDIT_ARCHIVE_BATCH = env.int("BANK_AUDIT_ARCHIVE_BATCH", default=50_000)

# DJANGO REST FRAMEWORK ----------------------------------------------------------------
# Every CDR convention is named here so that no view has to (STYLE.md §8).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["bank.api.renderers.CdrJsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["bank.api.parsers.StrictJsonParser"],
    "DEFAULT_METADATA_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "bank.api.negotiation.CdrContentNegotiation",
    "DEFAULT_VERSIONING_CLASS": "bank.api.versioning.CdrHeaderVersioning",
    "EXCEPTION_HANDLER": "bank.api.exception_handler.cdr_exception_handler",
    # Every endpoint is closed unless it says otherwise (PublicCdrApi): a DOT bearer token
    # resolved into the access context, and the view's `required_scopes`.
    "DEFAULT_AUTHENTICATION_CLASSES": ["security.authentication.CdrTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["security.permissions.HasCdrScope"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [],
    # The OpenAPI document (bank/openapi): operations from the views, shapes from CDS 1.36.0.
    "DEFAULT_SCHEMA_CLASS": "bank.openapi.schema.CdrAutoSchema",
}

# OPENAPI DOCUMENT (drf-spectacular) ---------------------------------------------------
# https://drf-spectacular.readthedocs.io/en/latest/settings.html
# Servers (the public and mTLS base URLs) are set when the document is generated
# (bank/openapi/hooks.py), so the dev/test/prod overlays' URLs count.
SPECTACULAR_SETTINGS = {
    "TITLE": f"{BANK_BRAND_NAME}: CDR banking data holder API",
    "DESCRIPTION": (
        "The Consumer Data Right (Consumer Data Standards 1.36.0) endpoints of this data "
        "holder: Banking, Common, Discovery and CDR Admin APIs, and its authorization server. "
        "Public endpoints (products, discovery, OpenID discovery, authorise) are on the public "
        "listener; everything else on the mTLS listener only, with a certificate-bound token. "
        "Every operation lists the versions this bank serves (`x-supported-versions`) and the "
        "scope it needs (`x-scopes`). Try-it-out works from this page for the public "
        "endpoints only: the others need the recipient's client certificate."
    ),
    "VERSION": "1.36.0",
    "OAS_VERSION": "3.0.3",
    "DEFAULT_GENERATOR_CLASS": "bank.openapi.schema.CdrSchemaGenerator",
    # Path variables as the standard spells them: {account_id} -> {accountId}.
    "CAMELIZE_NAMES": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "POSTPROCESSING_HOOKS": ["bank.openapi.hooks.cdr_postprocess"],
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    # No CDN: Swagger UI and Redoc from drf-spectacular-sidecar's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise send the document's URL to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "displayOperationId": True, "validatorUrl": None},
}

# CDR API ------------------------------------------------------------------------------
# The absolute base of links.self & co. Behind a proxy, set it: the Host header of a
# request is never trusted to build links.
BANK_PUBLIC_BASE_URL = env.str("BANK_PUBLIC_BASE_URL", default="")

# Key of every CDR resource ID (security/resource_ids.py): base64url of 64 random bytes.
# Long-lived: changing it changes every accountId a recipient holds. prod.py requires it.
BANK_RESOURCE_ID_KEY = env.str("BANK_RESOURCE_ID_KEY", default="")

# mTLS everywhere CDS requires it (RFC 8705, CDS security/_transport_security.md): resource
# calls need tokens bound to the client certificate of their connection, and the mTLS
# endpoints (PAR, token, introspection, revocation, registration) a client certificate.
# dev.py and test.py relax it until the demo serves TLS.
BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = True

# Which listener this process serves (security/listeners.py): "public" or "mtls" (one process
# per listener: gunicorn terminating TLS, `python -m bank.serve`, or one gunicorn per nginx
# server block) or "all" (dev and test only: one process, every endpoint).
BANK_LISTENER = env.str("BANK_LISTENER", default="all")
# Each listener its own cookies: both listeners answer on one host name (different ports), and
# cookies ignore ports, so with one name the customer pages and the staff console would rotate
# or flush each other's session and CSRF cookies (independent review of issue 9).
if BANK_LISTENER == "mtls":
    SESSION_COOKIE_NAME = "__Host-staff-session"
    CSRF_COOKIE_NAME = "__Host-staff-csrftoken"
# The reverse proxy's forwarded client certificate (security/mtls.py): the WSGI environ key
# of its header (e.g. HTTP_X_SSL_CLIENT_CERT) and the proxy addresses it is believed from,
# only in the mTLS listener's process. Both empty: only a certificate on gunicorn's own TLS
# socket counts.
BANK_TRUSTED_PROXY_CERT_HEADER = env.str("BANK_TRUSTED_PROXY_CERT_HEADER", default="")
BANK_TRUSTED_PROXIES = env.list("BANK_TRUSTED_PROXIES", default=[])
# The proxy's header carrying the client's address (security/client_ip.py), e.g.
# HTTP_X_REAL_IP; believed only from BANK_TRUSTED_PROXIES.
BANK_TRUSTED_PROXY_IP_HEADER = env.str("BANK_TRUSTED_PROXY_IP_HEADER", default="")

# RATE LIMITS --------------------------------------------------------------------------
# security/throttling: the rules (BANK_RATE_LIMITS below: the CDR traffic thresholds,
# then tighter ones for writes, search, login, codes, PAR, token and registration) and the
# store their counters live in: Redis in production (atomic, shared by every worker and
# host), process memory for the embedded demo (one process per listener, so exact).
BANK_RATE_LIMIT_STORE = env.str("BANK_RATE_LIMIT_STORE", default=REDIS_URL or "memory://")
# Redis answers in well under a millisecond; past this the limiter counts as down (and
# authenticated traffic is refused, 503: fail closed).
BANK_RATE_LIMIT_TIMEOUT = env.float("BANK_RATE_LIMIT_TIMEOUT", default=0.25)
# rule -> "N/s" | ("N/s", burst) | "N/session" | "N/day" | "nfr" (the NFR table by active
# authorisations); what each rule counts: security/throttling/policy.py. The CDR thresholds
# (nfrs__traffic-thresholds.md) are what a holder must serve at least: limits per customer,
# session and product sit at them, never below, except where noted.
BANK_RATE_LIMITS = {
    # CDR traffic thresholds.
    "customer_present_per_customer": ("10/s", 20),
    "software_product": ("50/s", 100),
    "unattended_per_session": ("5/s", 10),
    "unattended_calls_per_session": "100/session",
    "unattended_sessions_per_day": "20/day",
    # Site-wide totals protect the bank's capacity, so they are set from it (make bench), not
    # from the NFR minimums (150-450 TPS secure, 300 public): a total at the minimum is used up
    # by three software products at their own limit. "nfr" applies the NFR table instead.
    "secure_site_wide": ("1000/s", 1000),
    "public_site_wide": ("1000/s", 1000),
    # Per caller, before authentication: public endpoints and pages per source address (an
    # IPv6 /64), the mTLS listener's calls per client certificate.
    "public_per_source": ("30/s", 60),
    "client_certificate": ("100/s", 200),
    # Operation types. Below the thresholds, deliberately: a Get Transactions `text` search
    # decrypts up to 30,000 descriptions (about 0.85 s of CPU); revocations are writes.
    "search_per_customer": ("1/s", 3),
    "search_per_software_product": ("4/s", 8),
    "write_per_client": ("5/s", 10),
    "client_calls_per_client": ("20/s", 40),
    # Brute-force targets: login and codes per source; PAR and token per client certificate at
    # the NFR's 50 TPS for authorisation traffic; registration (a recipient's own management
    # call, not consumer traffic) a few a minute.
    "authorize_per_source": ("5/s", 20),
    "login_per_source": ("10/m", 10),
    "otp_per_source": ("10/m", 10),
    "par_per_client": ("50/s", 100),
    "token_per_client": ("50/s", 100),
    "registration_per_client": ("6/m", 3),
}

# Endpoint (its view class) -> limit per software product: a ceiling per endpoint that
# staff can lower for one product in the admin; the large-payload tier's Get Bulk Direct
# Debits starts at the product's own 50 TPS.
BANK_RATE_LIMIT_ENDPOINTS = {
    "DirectDebitListApi": ("50/s", 100),
}

# BANK_RATE_LIMIT_OVERRIDES (JSON, rule -> limit) changes rules without a code change, e.g.
# '{"software_product": ["80/s", 160]}'; the system checks refuse a malformed one.
try:
    _rate_limit_overrides = env.json("BANK_RATE_LIMIT_OVERRIDES", default={})
except ValueError as _error:
    raise ImproperlyConfigured("BANK_RATE_LIMIT_OVERRIDES must be JSON.") from _error
if not isinstance(_rate_limit_overrides, dict):
    raise ImproperlyConfigured("BANK_RATE_LIMIT_OVERRIDES must be a JSON object: rule -> limit.")
BANK_RATE_LIMITS.update(_rate_limit_overrides)
# Every limit times this (tests raise it so that only the rate-limit tests meet the limits).
BANK_RATE_LIMIT_MULTIPLIER = 1
# Per-product overrides (admin) reach every worker within this many seconds.
BANK_RATE_LIMIT_OVERRIDE_TTL = 15
# The namespace of the limiter's keys in the store.
BANK_RATE_LIMIT_KEY_PREFIX = env.str("BANK_RATE_LIMIT_KEY_PREFIX", default="rl")

# SECURITY MONITORING (security/monitoring) ----------------------------------------------
# The detector's rules, each over a sliding window ending now (run every minute, and a
# revoked token's use checked as it happens); what each counts: security/monitoring/rules/.
# Thresholds sit above what a well-behaved client or a customer mistyping ever reaches.
BANK_MONITORING = {
    # Refused tokens, and scope / foreign-ID / certificate denials, from one software product.
    "authorization_failure_burst": {"severity": "medium", "window_seconds": 300,
                                    "threshold": 20},
    # Distinct resource IDs refused as not the client's own (probing), per software product.
    "foreign_id_enumeration": {"severity": "high", "window_seconds": 600, "distinct_ids": 10},
    # Distinct customer identifiers failing to log in from one IPv4 address or IPv6 /64.
    "credential_stuffing": {"severity": "high", "window_seconds": 600,
                            "distinct_identifiers": 10},
    # A product's calls in the window >= factor x its rate over the trailing baseline, and at
    # least min_calls (1/s over 5 minutes), from the CDR metrics' minute counts.
    "call_volume_spike": {"severity": "medium", "window_seconds": 300,
                          "baseline_seconds": 86_400, "factor": 5, "min_calls": 300},
    # A token issued under a certificate the client never had one under before. The window
    # outlasts a few missed minute runs.
    "new_client_certificate": {"severity": "medium", "window_seconds": 900},
    # Any use of a revoked token (inline; the window is the minute run's backstop).
    "revoked_token_use": {"severity": "high", "window_seconds": 900},
    # A refresh token presented after its revocation or by another client (inline, as above).
    "refresh_token_misuse": {"severity": "high", "window_seconds": 900},
    # For the webhook notifier: where alerts are POSTed (https; often carries a secret).
    "webhook_url": env.str("BANK_ALERT_WEBHOOK_URL", default=""),
    "webhook_timeout_seconds": 5,
}
# Who hears of a new alert: dotted paths of notify(alert) callables (security/monitoring/
# notifiers.py), e.g. add "security.monitoring.notifiers.webhook_notify".
BANK_ALERT_NOTIFIERS = env.list(
    "BANK_ALERT_NOTIFIERS", default=["security.monitoring.notifiers.log_notify"]
)

# AUTHORIZATION SERVER -----------------------------------------------------------------
# The issuer (defaults to the public base URL) and the base of its mTLS endpoint aliases.
BANK_ISSUER = env.str("BANK_ISSUER", default="")
BANK_MTLS_BASE_URL = env.str("BANK_MTLS_BASE_URL", default="")
# PS256/ES256 signing keys (security/oauth/signing_keys.py): "files" (`<alg>-<kid>.pem` in
# BANK_SIGNING_KEYS_DIR) or "key-manager" (inside the HSM, never extractable; prod's default).
BANK_SIGNING_KEYS_SOURCE = env.str("BANK_SIGNING_KEYS_SOURCE", default="files")
BANK_SIGNING_KEYS_DIR = env.str("BANK_SIGNING_KEYS_DIR", default=str(VAR_DIR / "pki" / "signing"))
# Which kid signs, per alg (e.g. "PS256=ps256-2026-11,ES256=es256-2026-11"): lets a new key
# be published for a while before it signs. Empty: the newest file of each alg signs.
BANK_SIGNING_KEYS_ACTIVE: dict[str, str] = env.dict("BANK_SIGNING_KEYS_ACTIVE", default={})
# CDS security/_tokens.md: 2 to 10 minutes; 5 as the mock data holder does.
BANK_ACCESS_TOKEN_SECONDS = 300
# Client jwks_uri, redirect and recipient URIs must be https (dev and test relax it).
BANK_ALLOW_HTTP_CLIENT_URIS = False
# Outbound calls to recipient-chosen URLs may reach private and loopback addresses (dev and
# test recipients on this machine); production refuses it (security/outbound.py).
BANK_ALLOW_PRIVATE_OUTBOUND = False
# Networks outbound calls may reach although they are not public (CIDRs): a staging bank whose
# test recipients sit on its own network, or `make prod-local` (everything on this machine).
BANK_OUTBOUND_ALLOWED_NETWORKS = env.list("BANK_OUTBOUND_ALLOWED_NETWORKS", default=[])
# CA bundle for outbound TLS (client JWKS, the Register); empty: the system's.
BANK_OUTBOUND_CA_BUNDLE = env.str("BANK_OUTBOUND_CA_BUNDLE", default="")
# The CDR Register: where SSAs are verified and statuses polled. The mock Register is for the
# demo and tests only; prod.py refuses to start with it.
BANK_REGISTER_BASE_URL = env.str("BANK_REGISTER_BASE_URL", default="")
BANK_REGISTER_JWKS_URI = env.str("BANK_REGISTER_JWKS_URI", default="")
BANK_MOCK_REGISTER_ENABLED = False
# The Register's client_id at the token endpoint (admin scopes; CDS client authentication).
BANK_REGISTER_CLIENT_ID = env.str("BANK_REGISTER_CLIENT_ID", default="cdr-register")
BANK_MOCK_REGISTER_KEYS_DIR = env.str(
    "BANK_MOCK_REGISTER_KEYS_DIR", default=str(VAR_DIR / "pki" / "register")
)
# The Data Holder Brand ID the Register issued this bank: iss/sub of the JWTs the bank signs
# for recipients (arrangement revocation notices). Empty: the issuer URL stands in (demo).
BANK_DATA_HOLDER_BRAND_ID = env.str("BANK_DATA_HOLDER_BRAND_ID", default="")

# ENCRYPTION AT REST (security/kms, security/encryption) --------------------------------------
# Key-encryption keys live in the key manager: an HSM through PKCS#11 in production (its
# library, token label and user PIN from the environment); dev and test use local key files.
BANK_KEY_MANAGER = env.str("BANK_KEY_MANAGER", default="pkcs11")
BANK_PKCS11_LIBRARY = env.str("BANK_PKCS11_LIBRARY", default="")
BANK_PKCS11_TOKEN_LABEL = env.str("BANK_PKCS11_TOKEN_LABEL", default="")
BANK_PKCS11_PIN = env.str("BANK_PKCS11_PIN", default="")
BANK_LOCAL_KEYS_DIR = env.str("BANK_LOCAL_KEYS_DIR", default=str(VAR_DIR / "keys"))
# Rotation policy: an active data key older than this raises KEY_AGE_EXCEEDED (daily check).
BANK_KEY_MAX_AGE_DAYS = env.int("BANK_KEY_MAX_AGE_DAYS", default=90)

# CUSTOMER LOGIN (security/login) -------------------------------------------------------
# How one-time codes reach customers (security/login/channels.py): email in production; the
# demo and tests write the same email to BANK_OTP_OUTBOX_DIR instead (prod.py refuses it).
BANK_OTP_CHANNEL = "security.login.channels.EmailOtpChannel"
BANK_OTP_OUTBOX_DIR = env.str("BANK_OTP_OUTBOX_DIR", default=str(VAR_DIR / "outbox"))
BANK_OTP_FROM_EMAIL = env.str("BANK_OTP_FROM_EMAIL", default="no-reply@demobank.example")
# Codes one customer login may be sent per hour, across all its consent flows.
BANK_OTP_MAX_PER_HOUR = env.int("BANK_OTP_MAX_PER_HOUR", default=10)
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

# STAFF SINGLE SIGN-ON (security/staff_sso, mozilla-django-oidc) ------------------------
# https://mozilla-django-oidc.readthedocs.io/en/stable/settings.html
# Off (no URLs) until the issuer, client and endpoints are all set.
BANK_STAFF_OIDC_ISSUER = env.str("BANK_STAFF_OIDC_ISSUER", default="")
OIDC_RP_CLIENT_ID = env.str("BANK_STAFF_OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("BANK_STAFF_OIDC_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("BANK_STAFF_OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("BANK_STAFF_OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("BANK_STAFF_OIDC_JWKS_ENDPOINT", default="")
# Staff are matched by the ID token's iss + sub alone: no userinfo call.
OIDC_OP_USER_ENDPOINT = ""
# Asymmetric only: "none" and HS* are refused at start (security/staff_sso/checks.py).
BANK_STAFF_OIDC_SIGNING_ALGORITHMS = env.list(
    "BANK_STAFF_OIDC_SIGNING_ALGORITHMS", default=["RS256", "PS256", "ES256"])
# The library checks one algorithm; our backend checks the list (backends.py).
OIDC_RP_SIGN_ALGO = (BANK_STAFF_OIDC_SIGNING_ALGORITHMS or ["RS256"])[0]
OIDC_RP_SCOPES = env.str("BANK_STAFF_OIDC_SCOPES", default="openid")
# The ID token must show MFA: `amr` holds one of these (RFC 8176) or `acr` is one of them.
# Empty (any IdP sign-in counts as the second factor) is a start-up error outside dev/test.
BANK_STAFF_OIDC_MFA_VALUES = env.list("BANK_STAFF_OIDC_MFA_VALUES",
                                      default=["mfa", "otp", "hwk", "swk"])
# Clock skew allowed on exp / iat / auth_time, and how fresh a step-up's auth_time must be.
BANK_STAFF_OIDC_LEEWAY_SECONDS = env.int("BANK_STAFF_OIDC_LEEWAY_SECONDS", default=30)
BANK_STAFF_OIDC_STEP_UP_MAX_AGE_SECONDS = env.int(
    "BANK_STAFF_OIDC_STEP_UP_MAX_AGE_SECONDS", default=120)
# The IdP's keys are cached this long; an unknown kid refetches at most once a minute.
BANK_STAFF_OIDC_JWKS_CACHE_SECONDS = env.int("BANK_STAFF_OIDC_JWKS_CACHE_SECONDS", default=3600)
BANK_STAFF_OIDC_TOKEN_USE_BASIC_AUTH = env.bool("BANK_STAFF_OIDC_TOKEN_USE_BASIC_AUTH",
                                                default=True)
OIDC_TOKEN_USE_BASIC_AUTH = BANK_STAFF_OIDC_TOKEN_USE_BASIC_AUTH
# A CA bundle for the IdP's TLS (True: the system's), and never wait on it for long.
OIDC_VERIFY_SSL = env.str("BANK_STAFF_OIDC_CA_BUNDLE", default="") or True
OIDC_TIMEOUT = 10
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
# Never: a member of staff exists only because the bank created and mapped them.
OIDC_CREATE_USER = False
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_AUTHENTICATION_CALLBACK_URL = "staff_sso:callback"
LOGIN_REDIRECT_URL = "/admin/"

# STAFF CONSOLE (security/staff) --------------------------------------------------------
# The admin admits active staff whose session carries a second factor (TOTP, django-otp, or
# the corporate OIDC sign-in). Idle sessions end after BANK_STAFF_IDLE_SECONDS (sliding),
# every session after BANK_STAFF_SESSION_MAX_SECONDS; unmasking a sensitive field asks for
# the second factor again when the last one is older than BANK_STAFF_STEP_UP_SECONDS.
BANK_STAFF_IDLE_SECONDS = env.int("BANK_STAFF_IDLE_SECONDS", default=15 * 60)
BANK_STAFF_SESSION_MAX_SECONDS = env.int("BANK_STAFF_SESSION_MAX_SECONDS", default=8 * 3600)
BANK_STAFF_STEP_UP_SECONDS = env.int("BANK_STAFF_STEP_UP_SECONDS", default=300)
# Failed staff sign-ins are capped per (username, source) and per username in
# security/staff/limits.py; unmasks and console searches per member of staff are token
# buckets in the rate limiter's store (fail closed).
BANK_STAFF_SEARCH_PER_USER = ("60/h", 20)
BANK_STAFF_UNMASK_PER_USER = ("30/h", 10)
# django-otp: the issuer shown in authenticator apps; one step of clock drift either way;
# failed codes lock a device for 1, 2, 4... seconds (ThrottlingMixin).
OTP_TOTP_ISSUER = BANK_BRAND_NAME
OTP_TOTP_THROTTLE_FACTOR = 1

# OAUTH 2 (django-oauth-toolkit) -------------------------------------------------------
# https://django-oauth-toolkit.readthedocs.io/en/latest/settings.html
# Every RFC 9700 (OAuth 2.0 Security BCP) gate on: tokens only in the Authorization header,
# token digests at rest instead of tokens, S256 PKCE required, no implicit/password grants.
OAUTH2_PROVIDER = {
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # CDS security/_tokens.md: access tokens live 2 to 10 minutes.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    # CDS security/_tokens.md: data holders MUST NOT cycle refresh tokens (they are
    # sender-constrained by mTLS instead, which satisfies RFC 9700 §4.14.2); a refresh token
    # lives as long as its arrangement, set per arrangement when it is issued.
    "ROTATE_REFRESH_TOKEN": False,
    # Inert without rotation, kept on so that turning rotation on can never drop replay
    # detection (and DOT's RFC 9700 deploy check stays an error if it is ever off).
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # standards/_scopes.md.erb; security/scopes.py names each one for the code.
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Your name",
        "bank:accounts.basic:read": "Account name, type and balance",
        "bank:accounts.detail:read": "Account numbers and features",
        "bank:transactions:read": "Transaction details",
        "bank:payees:read": "Saved payees",
        "bank:regular_payments:read": "Direct debits and scheduled payments",
        "common:customer.basic:read": "Name and occupation",
        "common:customer.detail:read": "Name, occupation and contact details",
    },
    "DEFAULT_SCOPES": ["openid"],
}

# Named explicitly (DOT's defaults) so migrations that point at them resolve.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

# CELERY -------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(VAR_DIR / "broker"),
    "data_folder_out": str(VAR_DIR / "broker"),
    "processed_folder": str(VAR_DIR / "broker" / "processed"),
    # Broadcast (worker control) files; kombu's default is ./control in the working directory.
    "control_folder": str(VAR_DIR / "broker" / "control"),
}
CELERY_RESULT_BACKEND = None
# No results are kept, so beat needs no nightly `celery.backend_cleanup` entry.
CELERY_RESULT_EXPIRES = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 120
CELERY_TIMEZONE = TIME_ZONE
# The worker logs through LOGGING (JSON, redacted) instead of replacing the root handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat reads its schedule from the database (django-celery-beat), where staff edit it in the
# admin (Periodic tasks). CELERY_BEAT_SCHEDULE below is the default schedule: beat adds the
# entries the database lacks at start-up and never overwrites an edited one (bank/beat.py).
# Each entry's options.expires is shorter than its interval, so a backlog (workers down)
# does not pile up runs: a message older than the next tick is dropped.
CELERY_BEAT_SCHEDULER = "bank.beat:SeedingDatabaseScheduler"
# Beat touches this file on every tick: its liveness probe in deploy/ (empty: no file).
BANK_BEAT_HEARTBEAT_PATH = env.str("BANK_BEAT_HEARTBEAT_PATH", default="")
CELERY_BEAT_SCHEDULE = {
    # CDS: stop disclosure within 5 minutes of the Register marking a recipient inactive.
    "recipient-statuses-refresh": {
        "task": "security.recipients.tasks.recipient_statuses_refresh",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    "oauth-records-purge": {
        "task": "security.oauth.tasks.oauth_records_purge",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "login-records-purge": {
        "task": "security.login.tasks.login_records_purge",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "key-rotations-resume": {
        "task": "security.encryption.tasks.key_rotations_resume",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    # Seals audit events written outside requests (tasks, commands) or left by a failed seal.
    "audit-seal": {
        "task": "security.tasks.audit_seal_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # CDR metrics: the worker's own counts, and minute buckets past retention pruned.
    "metrics-flush": {
        "task": "bank.metrics.tasks.metrics_flush_task",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # Security monitoring: the detector's windowed rules (security/monitoring/detector.py).
    "security-detector-run": {
        "task": "security.monitoring.tasks.detector_run_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Audit events past BANK_AUDIT_RETENTION_DAYS: archived, verified, then deleted.
    "audit-retention": {
        "task": "security.tasks.audit_retention_task",
        "schedule": 86_400.0,
        "options": {"expires": 3600},
    },
    "keys-age-check": {
        "task": "security.encryption.tasks.keys_age_check",
        "schedule": 86_400.0,
        "options": {"expires": 82_800},
    },
}

# LOGGING ------------------------------------------------------------------------------
# One JSON object per line on stderr (SIEM-ready): time, level, logger, message, the
# interaction id, the client (software product ID) and customer (a keyed pseudonym), extras;
# every record redacted first (security/logging.py). Audit events also go to `bank.audit`.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "security.logging.JsonFormatter"}},
    "filters": {
        "interaction_id": {"()": "security.logging.InteractionIdFilter"},
        "redaction": {"()": "security.logging.RedactionFilter"},
    },
    "handlers": {
        # Every record of every logger reaches a handler, so the redaction filter sits on
        # each handler (after the context filter, which reads the request): a handler added
        # here must list it too (tests/security/test_log_redaction.py checks).
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["interaction_id", "redaction"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("BANK_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # Django's default handlers on "django" (a plain console under DEBUG, mail_admins with
        # the request otherwise) would bypass the redaction: none; its records go to root.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # These log request parameters, tokens or SQL with its values at DEBUG (oauthlib even
        # a raw refresh token, which no pattern recognises): never below INFO.
        "oauthlib": {"level": "INFO"},
        "oauth2_provider": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        "urllib3": {"level": "INFO"},
        # runserver's request lines: through the same (redacting) handler, not Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
