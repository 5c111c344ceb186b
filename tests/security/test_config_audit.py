"""The configuration each component starts with is on the audit trail: CONFIG_LOADED at every
start, CONFIG_CHANGED naming what differs from the previous start, and never a secret."""

from __future__ import annotations

import json
import logging
import runpy
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.signals import beat_init, worker_ready
from django.db import OperationalError

from security import config_audit
from security.config_audit import (
    SECRET_MARK,
    config_record,
    config_record_at_start,
    config_state,
    gunicorn_post_worker_init,
)
from security.models import AuditEvent, ConfigSnapshot

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _events(*types: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type__in=types).order_by("id"))


def _everything_written() -> str:
    """All that the trail and the snapshot table hold, as text."""
    events = [[e.detail, e.subject_id, e.actor_id] for e in AuditEvent.objects.all()]
    snapshots = [[s.values, s.secret_digests, s.fingerprint] for s in ConfigSnapshot.objects.all()]
    return json.dumps([events, snapshots])


@pytest.fixture
def inline(monkeypatch):
    """The start-up hooks' background thread, run in the test's own thread (and database
    transaction) instead."""
    ran: list[str] = []

    def run_now(work, name):
        ran.append(name)
        work()

    monkeypatch.setattr(config_audit, "_in_background", run_now)
    return ran


def test_the_first_start_records_config_loaded_and_no_change(settings):
    snapshot = config_record(component="web:public")

    [event] = _events("CONFIG_LOADED", "CONFIG_CHANGED")
    state = config_state()
    assert (event.event_type, event.outcome, event.actor_type, event.actor_id) == (
        "CONFIG_LOADED", "success", "system", "web:public")
    assert (event.subject_type, event.subject_id) == ("configuration", "web:public")
    assert event.detail == {
        "component": "web:public", "fingerprint": state.fingerprint(), "first_start": True,
        "settings_count": len(state.values),
        "secrets_set": ["BANK_RESOURCE_ID_KEY", "SECRET_KEY"],
        "secrets_not_set": ["BANK_MONITORING.webhook_url", "BANK_PKCS11_PIN",
                            "DATABASES.default.PASSWORD", "EMAIL_HOST_PASSWORD",
                            "SECRET_KEY_FALLBACKS"],
        "host": event.detail["host"], "pid": event.detail["pid"],
    }
    assert len(event.detail["fingerprint"]) == 64
    assert (snapshot.component, snapshot.fingerprint, snapshot.event_id) == (
        "web:public", state.fingerprint(), event.pk)
    # The values a later start compares with, non-secret ones readable:
    assert snapshot.values["DEBUG"] is False
    assert snapshot.values["SESSION_COOKIE_AGE"] == settings.SESSION_COOKIE_AGE
    assert snapshot.values["DATABASES.default.ENGINE"] == settings.DATABASES["default"]["ENGINE"]
    assert snapshot.values["MIDDLEWARE"] == list(settings.MIDDLEWARE)
    assert "SECRET_KEY" not in snapshot.values


def test_the_same_configuration_again_records_no_change():
    config_record(component="worker")
    config_record(component="worker")

    loaded = _events("CONFIG_LOADED")
    assert [e.detail["first_start"] for e in loaded] == [True, False]
    assert loaded[0].detail["fingerprint"] == loaded[1].detail["fingerprint"]
    assert not _events("CONFIG_CHANGED")
    assert ConfigSnapshot.objects.get().event_id == loaded[1].pk


def test_a_changed_setting_is_named_with_before_and_after(settings):
    settings.ALLOWED_HOSTS = ["bank.example"]
    config_record(component="web:mtls")
    before = config_state().fingerprint()
    settings.SESSION_COOKIE_AGE = 600
    settings.ALLOWED_HOSTS = ["bank.example", "mtls.bank.example"]
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "PKCE_REQUIRED": False}
    settings.BANK_BRAND_NEW_SWITCH = True
    del settings.BANK_OTP_FROM_EMAIL

    config_record(component="web:mtls")

    [changed] = _events("CONFIG_CHANGED")
    after = config_state().fingerprint()
    assert (changed.actor_type, changed.actor_id, changed.subject_type, changed.subject_id) == (
        "system", "web:mtls", "configuration", "web:mtls")
    assert changed.detail == {
        "component": "web:mtls", "fingerprint": after, "previous_fingerprint": before,
        "changes": [
            {"setting": "ALLOWED_HOSTS", "before": '["bank.example"]',
             "after": '["bank.example","mtls.bank.example"]'},
            {"setting": "BANK_BRAND_NEW_SWITCH", "after": True},
            {"setting": "BANK_OTP_FROM_EMAIL", "before": "no-reply@demobank.example"},
            {"setting": "OAUTH2_PROVIDER.PKCE_REQUIRED", "before": True, "after": False},
            {"setting": "SESSION_COOKIE_AGE", "before": 900, "after": 600},
        ],
        "changes_count": 5,
    }
    # Another component's snapshot is its own: the worker's first start is not a change.
    config_record(component="worker")
    assert len(_events("CONFIG_CHANGED")) == 1


def test_a_secret_change_shows_only_that_it_changed(settings):
    settings.BANK_PKCS11_PIN = ""
    config_record(component="web:public")
    steps = [("pin-Alpha-7731", "set"), ("pin-Bravo-2290", "changed"),
             ("pin-Bravo-2290", None), ("", "unset")]
    for pin, expected in steps:
        settings.BANK_PKCS11_PIN = pin
        config_record(component="web:public")
        if expected:
            assert _events("CONFIG_CHANGED")[-1].detail["changes"] == [
                {"setting": "BANK_PKCS11_PIN", "change": expected}]
    assert len(_events("CONFIG_CHANGED")) == 3
    written = _everything_written()
    assert "Alpha-7731" not in written and "Bravo-2290" not in written


def test_a_url_keeps_its_host_and_loses_its_password(settings):
    settings.CELERY_BROKER_URL = "amqp://bank:pw-One-991@mq.internal:5672/vhost"
    first = config_record(component="worker")
    assert first.values["CELERY_BROKER_URL"] == f"amqp://bank:{SECRET_MARK}@mq.internal:5672/vhost"
    assert "CELERY_BROKER_URL:password" in first.secret_digests

    settings.CELERY_BROKER_URL = "amqp://bank:pw-Two-442@mq.other:5672/vhost"
    config_record(component="worker")

    [changed] = _events("CONFIG_CHANGED")
    assert changed.detail["changes"] == [
        {"setting": "CELERY_BROKER_URL",
         "before": f"amqp://bank:{SECRET_MARK}@mq.internal:5672/vhost",
         "after": f"amqp://bank:{SECRET_MARK}@mq.other:5672/vhost"},
        {"setting": "CELERY_BROKER_URL:password", "change": "changed"},
    ]
    written = _everything_written()
    assert "pw-One-991" not in written and "pw-Two-442" not in written


def test_no_secret_value_is_written_whatever_its_shape(settings):
    # Assembled here so no scanner mistakes this fake for a committed key.
    pem = "-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END " + "PRIVATE KEY-----"
    token_like = "Zk3qT9vB2xL7mN4pR8sW1yC6dF0gH5jK"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": pem}
    settings.EMAIL_HOST_PASSWORD = "mail-Secret-5561"
    settings.BANK_OUTBOUND_CA_BUNDLE = token_like  # an innocent name, a key-like value
    settings.BANK_REGISTER_CLIENT_ID = "7d9e2f4a-5b6c-4d8e-9f0a-1b2c3d4e5f60"  # a uuid: an id
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       "limits": {"BACKEND": "x.RedisCache",
                                  "LOCATION": ["redis://:cache-Pw-8812@redis.internal:6379/0"]}}
    config_record(component="beat")
    settings.EMAIL_HOST_PASSWORD = "mail-Secret-7720"
    config_record(component="beat")

    snapshot = ConfigSnapshot.objects.get()
    assert "OAUTH2_PROVIDER.OIDC_RSA_PRIVATE_KEY" not in snapshot.values
    assert "OAUTH2_PROVIDER.OIDC_RSA_PRIVATE_KEY" in snapshot.secret_digests
    assert snapshot.values["BANK_OUTBOUND_CA_BUNDLE"] == SECRET_MARK
    assert snapshot.values["BANK_REGISTER_CLIENT_ID"] == "7d9e2f4a-5b6c-4d8e-9f0a-1b2c3d4e5f60"
    assert snapshot.values["CACHES.limits.LOCATION"] == [
        f"redis://:{SECRET_MARK}@redis.internal:6379/0"]
    assert _events("CONFIG_CHANGED")[0].detail["changes"] == [
        {"setting": "EMAIL_HOST_PASSWORD", "change": "changed"}]
    written = _everything_written()
    for secret in ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", token_like, "mail-Secret", "cache-Pw-8812",
                   settings.SECRET_KEY, settings.BANK_RESOURCE_ID_KEY):
        assert secret not in written


def _logged(caplog) -> str:
    """Every record of every logger, with its extras (the audit line carries the detail)."""
    return caplog.text + json.dumps([r.__dict__ for r in caplog.records], default=str)


def test_a_changed_webhook_url_shows_only_that_it_changed(settings, caplog):
    caplog.set_level(logging.DEBUG)
    hook = "https://hooks.slack.example/services/T0AAA1/B0BBB2/{}"
    settings.BANK_MONITORING = {**settings.BANK_MONITORING,
                                "webhook_url": hook.format("first-Hook-Secret")}
    first = config_record(component="worker")
    settings.BANK_MONITORING = {**settings.BANK_MONITORING,
                                "webhook_url": hook.format("second-Hook-Secret")}

    second = config_record(component="worker")

    [changed] = _events("CONFIG_CHANGED")
    assert changed.detail["changes"] == [
        {"setting": "BANK_MONITORING.webhook_url", "change": "changed"}]
    for snapshot in (first, second):
        assert "BANK_MONITORING.webhook_url" not in snapshot.values
        assert snapshot.secret_digests["BANK_MONITORING.webhook_url"]
    # Its neighbours stay readable.
    assert second.values["BANK_MONITORING.webhook_timeout_seconds"] == 5
    written = _everything_written() + _logged(caplog)
    for part in ("/services/", "T0AAA1", "B0BBB2", "Hook-Secret"):
        assert part not in written


def test_a_url_setting_nobody_vetted_keeps_only_its_scheme_and_host(settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.BANK_PARTNER_CALLBACK_URL = "https://partner.example:8443/cb/path-Tok-1?sig=Sig-1#f"
    settings.BANK_PARTNER_URLS = ["https://a.example/", "https://b.example/x/path-Tok-2"]
    settings.BANK_REGISTER_JWKS_URI = "https://register.example/cdr-register/v1/jwks"
    first = config_record(component="web:public")
    assert first.values["BANK_PARTNER_CALLBACK_URL"] == f"https://partner.example:8443/{SECRET_MARK}"
    assert first.values["BANK_PARTNER_URLS"] == ["https://a.example/",
                                                 f"https://b.example/{SECRET_MARK}"]
    # A vetted URL setting keeps its path (the Register's public JWKS).
    assert first.values["BANK_REGISTER_JWKS_URI"] == "https://register.example/cdr-register/v1/jwks"

    settings.BANK_PARTNER_CALLBACK_URL = "https://partner.example:8443/cb/path-Tok-3?sig=Sig-3"
    settings.BANK_PARTNER_URLS = ["https://a.example/", "https://c.example/x/path-Tok-2"]
    config_record(component="web:public")

    [changed] = _events("CONFIG_CHANGED")
    assert changed.detail["changes"] == [
        {"setting": "BANK_PARTNER_URLS", "before": f'["https://a.example/","https://b.example/{SECRET_MARK}"]',
         "after": f'["https://a.example/","https://c.example/{SECRET_MARK}"]'},
        {"setting": "BANK_PARTNER_CALLBACK_URL:path", "change": "changed"},
    ]
    written = _everything_written() + _logged(caplog)
    for part in ("/cb/", "path-Tok", "Sig-1", "Sig-3", "/x/"):
        assert part not in written


def test_rotating_secret_key_the_django_way_reports_only_the_key(settings):
    settings.BANK_PKCS11_PIN = "pin-Alpha-7731"
    config_record(component="worker")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-test-secret-key-of-enough-length-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_key]

    config_record(component="worker")

    [changed] = _events("CONFIG_CHANGED")
    assert changed.detail["changes"] == [
        {"setting": "SECRET_KEY", "change": "changed"},
        {"setting": "SECRET_KEY_FALLBACKS", "change": "set"},
    ]
    assert old_key not in _everything_written()


def test_an_unreachable_database_does_not_stop_a_start(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(ConfigSnapshot.objects, "get_or_create", unreachable)
    caplog.set_level(logging.ERROR, logger="security.config_audit")

    config_record_at_start(component="worker")  # does not raise

    [record] = [r for r in caplog.records if r.name == "security.config_audit"]
    assert (record.levelno, record.getMessage(), record.component) == (
        logging.ERROR, "config_audit_failed", "worker")
    assert not _events("CONFIG_LOADED", "CONFIG_CHANGED")


def test_celery_worker_and_beat_record_their_start(inline):
    worker_ready.send(sender=None)
    beat_init.send(sender=None)

    assert inline == ["config-audit-worker", "config-audit-beat"]
    assert [e.subject_id for e in _events("CONFIG_LOADED")] == ["worker", "beat"]


def test_only_the_first_gunicorn_worker_records_the_server_start(inline, settings):
    settings.BANK_LISTENER = "mtls"
    gunicorn_post_worker_init(SimpleNamespace(age=2))
    assert not _events("CONFIG_LOADED")

    gunicorn_post_worker_init(SimpleNamespace(age=1))

    assert [e.subject_id for e in _events("CONFIG_LOADED")] == ["web:mtls"]


def test_both_gunicorn_configurations_run_the_hook(monkeypatch):
    import bank.gunicorn_tls

    seen: list[int] = []
    monkeypatch.setattr(config_audit, "gunicorn_post_worker_init",
                        lambda worker: seen.append(worker.age))
    deployed = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert deployed["post_worker_init"] is bank.gunicorn_tls.post_worker_init

    bank.gunicorn_tls.post_worker_init(SimpleNamespace(age=1))

    assert seen == [1]


def test_the_background_run_happens_in_its_own_thread():
    ran_in: list[str] = []
    thread = config_audit._in_background(
        lambda: ran_in.append(threading.current_thread().name), name="config-audit-test")
    thread.join(timeout=10)
    assert ran_in == ["config-audit-test"]
    assert thread.daemon


def test_requests_record_no_configuration(client):
    assert client.get("/health/live").status_code == 200
    assert not _events("CONFIG_LOADED", "CONFIG_CHANGED")


def test_a_locked_database_is_tried_again(monkeypatch):
    """The demo starts four processes on one SQLite file at once: a lock is waited out."""
    real = ConfigSnapshot.objects.get_or_create
    calls = []

    def locked_twice(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(ConfigSnapshot.objects, "get_or_create", locked_twice)
    monkeypatch.setattr("security.config_audit.time.sleep", lambda seconds: None)
    config_record_at_start(component="worker")
    assert len(calls) == 3
    assert len(_events("CONFIG_LOADED")) == 1
