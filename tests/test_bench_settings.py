"""bank.settings.bench (`make bench`) loads only inside a bench run, and its layer switches
work only under it.

The settings module is imported in a child process (a settings module reads its environment
at import time), with var/ pointed at a temporary directory so that the test never touches
the token file of a bench run that may be going on.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent

LOAD = """
import json, sys
from pathlib import Path
import bank.settings.env as env_module
env_module.VAR_DIR = Path(sys.argv[1])
from django.core.exceptions import ImproperlyConfigured
try:
    import bank.settings.bench as s
except ImproperlyConfigured as exc:
    print(json.dumps({"refused": str(exc)}))
else:
    print(json.dumps({"environment": s.BANK_ENVIRONMENT, "off": sorted(s.BANK_BENCH_OFF),
                      "bound": s.BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS,
                      "key_manager": s.BANK_KEY_MANAGER,
                      "multiplier": s.BANK_RATE_LIMIT_MULTIPLIER, "debug": s.DEBUG}))
"""


def bench_environment(**changes: str | None) -> dict[str, str]:
    """What bench/run.py gives its processes, with `changes` (None: unset)."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL", "CELERY_",
                                 "EMAIL_URL"))}
    values: dict[str, str | None] = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/bank_bench",
        "REDIS_URL": "redis://127.0.0.1:6379/8",
        "CELERY_BROKER_URL": "memory://",
        "BANK_PUBLIC_BASE_URL": "https://localhost:9943",
        "BANK_MTLS_BASE_URL": "https://localhost:9944",
        "BANK_RESOURCE_ID_KEY": base64.urlsafe_b64encode(secrets.token_bytes(64))
        .decode().rstrip("="),
        "BANK_SIGNING_KEYS_SOURCE": "files",
        "BANK_SIGNING_KEYS_DIR": "/nonexistent",
        "BANK_SIGNING_KEYS_ACTIVE": "PS256=none,ES256=none",
        "BANK_REGISTER_BASE_URL": "https://localhost:9945/mock-register",
        "BANK_REGISTER_JWKS_URI": "https://localhost:9945/jwks",
        "BANK_DATA_HOLDER_BRAND_ID": "bench",
        "EMAIL_URL": "smtp+tls://localhost:9946",
        "BANK_OTP_FROM_EMAIL": "no-reply@bench.example",
        "BANK_PKCS11_LIBRARY": "unused",
        "BANK_PKCS11_TOKEN_LABEL": "unused",
        "BANK_PKCS11_PIN": "unused",
        "BANK_LOCAL_KEYS_DIR": "/nonexistent",
        "BANK_LISTENER": "mtls",
        **changes,
    }
    return {**base, **{k: v for k, v in values.items() if v is not None}}


def load(var_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(var_dir)], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def run_dir(tmp_path: Path) -> tuple[Path, str]:
    """A var/ with a bench run's token file in it, and the token."""
    token = secrets.token_urlsafe(32)
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "run.token").write_text(token)
    return tmp_path, token


def test_bench_settings_load_inside_a_bench_run(run_dir: tuple[Path, str]) -> None:
    var_dir, token = run_dir
    loaded = load(var_dir, bench_environment(BANK_BENCH_RUN_TOKEN=token, BANK_BENCH_OFF="mtls"))
    assert loaded == {"environment": "bench", "off": ["mtls"], "bound": False,
                      "key_manager": "local", "multiplier": 10_000, "debug": False}
    # Without BANK_BENCH_OFF every layer is on, certificate binding included.
    loaded = load(var_dir, bench_environment(BANK_BENCH_RUN_TOKEN=token))
    assert loaded["off"] == [] and loaded["bound"] is True


def test_bench_settings_refused_without_a_bench_run(tmp_path: Path) -> None:
    # No token file (no run in progress): refused, with or without a token in the environment.
    for token in (None, "", secrets.token_urlsafe(32)):
        loaded = load(tmp_path, bench_environment(BANK_BENCH_RUN_TOKEN=token))
        assert "make bench" in loaded["refused"]


def test_bench_settings_refused_with_another_runs_token(run_dir: tuple[Path, str]) -> None:
    var_dir, token = run_dir
    loaded = load(var_dir, bench_environment(BANK_BENCH_RUN_TOKEN=token[:-1] + "x"))
    assert "make bench" in loaded["refused"]


@pytest.mark.parametrize("database_url", [
    "postgres://postgres@127.0.0.1:5432/bank",            # not the bench's database
    "postgres://postgres@127.0.0.1:5432/test",
    "postgres://postgres@db.bank.internal:5432/bank_bench",  # not on this machine
    "sqlite:///var/bank_bench.sqlite3",                     # not PostgreSQL
])
def test_bench_settings_refused_on_any_other_database(run_dir: tuple[Path, str],
                                                      database_url: str) -> None:
    var_dir, token = run_dir
    loaded = load(var_dir, bench_environment(BANK_BENCH_RUN_TOKEN=token,
                                             DATABASE_URL=database_url))
    assert "bank_bench" in loaded["refused"]


@pytest.mark.parametrize(("name", "value"), [
    ("REDIS_URL", "redis://cache.bank.internal:6379/8"),
    ("BANK_PUBLIC_BASE_URL", "https://api.bank.example"),
    ("BANK_MTLS_BASE_URL", "https://mtls.bank.example"),
])
def test_bench_settings_refused_off_loopback(run_dir: tuple[Path, str], name: str,
                                             value: str) -> None:
    var_dir, token = run_dir
    loaded = load(var_dir, bench_environment(BANK_BENCH_RUN_TOKEN=token, **{name: value}))
    assert loaded["refused"] == f"bank.settings.bench: {name} must be on loopback."


def test_bench_settings_refuse_an_unknown_layer(run_dir: tuple[Path, str]) -> None:
    var_dir, token = run_dir
    loaded = load(var_dir, bench_environment(BANK_BENCH_RUN_TOKEN=token,
                                             BANK_BENCH_OFF="audit,tls"))
    assert "unknown layers: ['tls']" in loaded["refused"]


def test_layers_are_never_switched_off_outside_the_bench_settings() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.layers import layers_switch_off

    # These tests run under bank.settings.test; production is the same refusal.
    with pytest.raises(ImproperlyConfigured, match=r"only under bank\.settings\.bench"):
        layers_switch_off(frozenset({"audit"}))
    from security import audit_chain
    from security.models import AuditEvent

    # Refused before switching anything: the real audit write and seal are still in place.
    assert AuditEvent.save.__name__ != "no_save"
    assert audit_chain.audit_seal.__name__ == "audit_seal"


def test_bench_wsgi_refuses_any_other_settings(tmp_path: Path) -> None:
    for module in ("bank.settings.prod", "bank.settings.dev", ""):
        env = bench_environment(DJANGO_SETTINGS_MODULE=module or None)
        done = subprocess.run(
            [sys.executable, "-c", "import bench.wsgi"], env=env, cwd=ROOT,
            capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode != 0
        assert "serves only DJANGO_SETTINGS_MODULE=bank.settings.bench" in done.stderr
