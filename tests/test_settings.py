"""Production settings refuse to start without their secrets; dev needs nothing installed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_PROD_ENV = {
    "DJANGO_SECRET_KEY": "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
    "DATABASE_URL": "postgres://bank@db.internal:5432/bank",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "CELERY_BROKER_URL": "amqp://bank@mq.internal:5672//",
    "DJANGO_ALLOWED_HOSTS": "bank.example.com",
    "BANK_PUBLIC_BASE_URL": "https://bank.example.com",
    "BANK_MTLS_BASE_URL": "https://mtls.bank.example.com",
    "BANK_LISTENER": "mtls",
    "BANK_SIGNING_KEYS_ACTIVE": "PS256=ps256-prod-test,ES256=es256-prod-test",
    "BANK_DATA_HOLDER_BRAND_ID": "a1b2c3d4-brand",
    "BANK_REGISTER_BASE_URL": "https://api.cdr.gov.au",
    "BANK_REGISTER_JWKS_URI": "https://api.cdr.gov.au/cdr-register/v1/jwks",
    "BANK_RESOURCE_ID_KEY": "cHJvZC10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWZ4eA",
    "EMAIL_URL": "smtp+tls://bank:relay-password@smtp.internal:587",
    "BANK_OTP_FROM_EMAIL": "no-reply@bank.example.com",
    "BANK_PKCS11_LIBRARY": "/usr/lib/softhsm/libsofthsm2.so",
    "BANK_PKCS11_TOKEN_LABEL": "bank",
    "BANK_PKCS11_PIN": "hsm-user-pin-from-the-vault",
}


def load_settings(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BANK_"))
                 and k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    clean_env.update(env)
    clean_env["DJANGO_SETTINGS_MODULE"] = module
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env,
                          capture_output=True, text=True, timeout=60)


def test_prod_starts_with_every_secret():
    result = load_settings("bank.settings.prod", GOOD_PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("missing", sorted(GOOD_PROD_ENV))
def test_prod_refuses_to_start_without(missing):
    env = {k: v for k, v in GOOD_PROD_ENV.items() if k != missing}
    result = load_settings("bank.settings.prod", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("DJANGO_SECRET_KEY", "short"), ("DATABASE_URL", "sqlite:////tmp/x.db"),
     ("BANK_PUBLIC_BASE_URL", "http://bank.example.com"),
     ("BANK_RESOURCE_ID_KEY", "dG9vLXNob3J0"), ("BANK_RESOURCE_ID_KEY", "not base64!"),
     ("EMAIL_URL", "smtp://relay.internal:25"), ("BANK_KEY_MANAGER", "local"),
     ("BANK_LISTENER", "all"), ("BANK_LISTENER", "proxied"),
     ("BANK_MTLS_BASE_URL", "http://mtls.bank.example.com"),
     ("BANK_RATE_LIMIT_STORE", "memory://"),
     ("BANK_RATE_LIMIT_OVERRIDES", "not json"), ("BANK_LOG_FORMAT", "text")],
)
def test_prod_refuses_weak_values(name, value):
    result = load_settings("bank.settings.prod", {**GOOD_PROD_ENV, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def _deploy_check(tmp_path, **overrides):
    from security.oauth.signing_keys import generate_signing_keys

    keys = tmp_path / "keys"
    generate_signing_keys(keys, kid_suffix="prod-test")
    clean_env = {**{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
                 **GOOD_PROD_ENV, "BANK_SIGNING_KEYS_SOURCE": "files",
                 "BANK_SIGNING_KEYS_DIR": str(keys),
                 "DJANGO_SETTINGS_MODULE": "bank.settings.prod", **overrides}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=clean_env, capture_output=True, text=True, timeout=120)


def test_prod_passes_the_deploy_checks(tmp_path):
    result = _deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "check"),
    [({"BANK_SIGNING_KEYS_DIR": "/nonexistent/keys"}, "bank.E010"),
     ({"BANK_ISSUER": "http://bank.example.com"}, "bank.E011")],
)
def test_deploy_checks_refuse_an_unusable_authorization_server(tmp_path, overrides, check):
    result = _deploy_check(tmp_path, **overrides)
    assert result.returncode != 0
    assert check in result.stdout + result.stderr


def test_prod_with_signing_key_files_needs_their_directory():
    result = load_settings("bank.settings.prod", {**GOOD_PROD_ENV,
                                                  "BANK_SIGNING_KEYS_SOURCE": "files"})
    assert result.returncode != 0
    assert "BANK_SIGNING_KEYS_DIR" in result.stderr
    unknown = load_settings("bank.settings.prod", {**GOOD_PROD_ENV,
                                                   "BANK_SIGNING_KEYS_SOURCE": "vault"})
    assert unknown.returncode != 0 and "BANK_SIGNING_KEYS_SOURCE" in unknown.stderr


def test_secure_defaults_in_base(settings):
    from bank.settings import base

    assert base.DEBUG is False
    assert base.SECURE_HSTS_SECONDS >= 31_536_000 and base.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert base.SESSION_COOKIE_SECURE and base.SESSION_COOKIE_HTTPONLY and base.CSRF_COOKIE_SECURE
    assert base.X_FRAME_OPTIONS == "DENY"
    assert base.DATABASES["default"]["ATOMIC_REQUESTS"] is True


def test_dev_settings_need_nothing_but_python(tmp_path):
    result = load_settings("bank.settings.dev", {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"  # no stack traces even in the demo, by default


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [("DJANGO_ALLOWED_HOSTS", "*", "bank.E005"), ("DJANGO_SECURE_SSL_REDIRECT", "false", "bank.E006")],
)
def test_deploy_checks_refuse_weak_production_settings(name, value, check_id):
    clean_env = {**{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
                 **GOOD_PROD_ENV, name: value, "DJANGO_SETTINGS_MODULE": "bank.settings.prod"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"],
                            cwd=ROOT, env=clean_env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert check_id in result.stdout + result.stderr


def test_missing_public_base_url_fails_the_ordinary_check(settings):
    from security.checks import check_public_base_url

    settings.BANK_PUBLIC_BASE_URL = ""
    assert [e.id for e in check_public_base_url(None)] == ["bank.E000"]


@pytest.mark.parametrize(("listener", "session", "csrf"), [
    ("public", "__Host-session", "__Host-csrftoken"),
    ("mtls", "__Host-staff-session", "__Host-staff-csrftoken"),
])
def test_each_listener_has_its_own_cookies(listener, session, csrf):
    """One host name, two ports: the customer pages and the staff console must not share (and
    rotate or flush) each other's session and CSRF cookies."""
    env = {**GOOD_PROD_ENV, "BANK_LISTENER": listener}
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BANK_"))
                 and k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    clean_env.update(env, DJANGO_SETTINGS_MODULE="bank.settings.prod")
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [session, csrf]
