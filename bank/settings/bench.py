"""Benchmark only (`make bench`, bench/run.py): the production settings, plus the switches that
turn one security layer off at a time so that its cost can be measured.

Refuses to load (ImproperlyConfigured) unless all of these hold, so that it cannot serve a real
deployment or stay switched on by a stray environment variable:

- BANK_BENCH_RUN_TOKEN equals the contents of var/bench/run.token, a random value bench/run.py
  writes (0600) when a run starts and deletes when it ends: outside a run there is no file;
- DATABASE_URL names a database whose name starts with `bank_bench`, on a loopback host (the
  runner creates and drops it); REDIS_URL and the public base URL are on loopback too.

Differences from prod.py, all named here:

- BANK_ENVIRONMENT = "bench" (the demo tools and prod-only checks key on "dev"/"test"/"prod");
- the key-encryption keys are local files in the run's own directory (BANK_LOCAL_KEYS_DIR),
  not the HSM: an unwrapped data key is cached per process (security/encryption/keyring.py),
  so the key manager is off every measured request path;
- every rate limit times BANK_RATE_LIMIT_MULTIPLIER: the limiter does all its work (the same
  rules, one Redis script per request) but one load generator never meets a limit;
- BANK_BENCH_OFF: the layers switched off in this process (BANK_BENCH_LAYERS), applied by
  bench/layers.py when bench/wsgi.py starts; "mtls" also turns off certificate-bound tokens
  here (the runner then sends no certificate header).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .env import VAR_DIR, env

#: The file a bench run writes its token to (bench/run.py); absent outside a run.
BANK_BENCH_TOKEN_FILE = VAR_DIR / "bench" / "run.token"
#: What BANK_BENCH_OFF may name (bench/layers.py switches each one off).
BANK_BENCH_LAYERS = ("rate_limits", "audit", "mtls", "decryption")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def bench_guard() -> frozenset[str]:
    """Refuse unless this is a bench run (see the module docstring); the layers to turn off."""
    token = env.str("BANK_BENCH_RUN_TOKEN", default="")
    try:
        expected = BANK_BENCH_TOKEN_FILE.read_text().strip()
    except OSError:
        expected = ""
    if not token or not expected or not hmac.compare_digest(token, expected):
        raise ImproperlyConfigured(
            "bank.settings.bench is for `make bench` only: no bench run is in progress "
            "(BANK_BENCH_RUN_TOKEN does not match var/bench/run.token).")
    database = urlsplit(env.str("DATABASE_URL", default=""))
    if (database.scheme not in {"postgres", "postgresql"}
            or not database.path.lstrip("/").startswith("bank_bench")
            or database.hostname not in _LOOPBACK):
        raise ImproperlyConfigured(
            "bank.settings.bench runs only on a loopback PostgreSQL database named bank_bench*.")
    for name in ("REDIS_URL", "BANK_PUBLIC_BASE_URL", "BANK_MTLS_BASE_URL"):
        if urlsplit(env.str(name, default="")).hostname not in _LOOPBACK:
            raise ImproperlyConfigured(f"bank.settings.bench: {name} must be on loopback.")
    off = frozenset(env.list("BANK_BENCH_OFF", default=[]))
    unknown = off - set(BANK_BENCH_LAYERS)
    if unknown:
        raise ImproperlyConfigured(f"BANK_BENCH_OFF names unknown layers: {sorted(unknown)}; "
                                   f"known: {', '.join(BANK_BENCH_LAYERS)}.")
    return off


BANK_BENCH_OFF = bench_guard()

from .prod import *  # noqa: E402, F403

BANK_ENVIRONMENT = "bench"
BANK_KEY_MANAGER = "local"
BANK_LOCAL_KEYS_DIR = env.str("BANK_LOCAL_KEYS_DIR")
BANK_RATE_LIMIT_MULTIPLIER = 10_000
if "mtls" in BANK_BENCH_OFF:
    BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS = False
