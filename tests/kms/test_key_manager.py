"""key_manager(): the configured backend, built once per process, from settings."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

import security.kms as kms
from bank.settings.env import VAR_DIR
from security.kms import key_manager, key_manager_reset
from security.kms.local import LocalKeyManager
from tests.kms.conftest import new_label


@pytest.fixture(autouse=True)
def _fresh_manager():
    key_manager_reset()
    yield
    key_manager_reset()


def test_local_in_the_configured_directory(settings, tmp_path):
    settings.BANK_KEY_MANAGER = "local"
    settings.BANK_LOCAL_KEYS_DIR = str(tmp_path / "keys")
    manager = key_manager()
    assert isinstance(manager, LocalKeyManager)
    assert manager.name == "local"
    assert manager.directory == tmp_path / "keys"


def test_defaults_before_the_settings_exist(settings):
    for name in ("BANK_KEY_MANAGER", "BANK_LOCAL_KEYS_DIR"):
        if hasattr(settings, name):
            delattr(settings, name)
    manager = key_manager()
    assert isinstance(manager, LocalKeyManager)
    assert manager.directory == VAR_DIR / "keys"  # nothing is created until a KEK is


def test_built_once_and_forgotten_on_reset(settings, tmp_path):
    settings.BANK_LOCAL_KEYS_DIR = str(tmp_path / "keys")
    first = key_manager()
    assert key_manager() is first
    key_manager_reset()
    assert key_manager() is not first


def test_built_once_when_threads_race(settings, tmp_path, monkeypatch):
    settings.BANK_LOCAL_KEYS_DIR = str(tmp_path / "keys")
    real_build = kms._build
    builds: list[object] = []

    def slow_build():
        time.sleep(0.05)
        builds.append(object())
        return real_build()

    monkeypatch.setattr(kms, "_build", slow_build)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(key_manager())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(builds) == 1
    assert len(seen) == 8 and all(m is seen[0] for m in seen)


def test_pkcs11_needs_its_settings_and_never_shows_the_pin(settings):
    settings.BANK_KEY_MANAGER = "pkcs11"
    settings.BANK_PKCS11_LIBRARY = ""
    settings.BANK_PKCS11_TOKEN_LABEL = "bank"
    settings.BANK_PKCS11_PIN = "pin-that-must-not-show"
    with pytest.raises(ImproperlyConfigured, match="BANK_PKCS11_LIBRARY") as caught:
        key_manager()
    assert "pin-that-must-not-show" not in str(caught.value)


def test_an_unknown_backend_is_refused(settings):
    settings.BANK_KEY_MANAGER = "vault"
    with pytest.raises(ImproperlyConfigured, match="BANK_KEY_MANAGER"):
        key_manager()


@pytest.mark.hsm
def test_pkcs11_from_settings(settings, softhsm):
    for name, value in softhsm.settings.items():
        setattr(settings, name, value)
    manager = key_manager()
    assert manager.name == "pkcs11"
    assert softhsm.pin not in repr(manager)
    label = new_label()
    manager.kek_create(label)
    blob = manager.wrap(label, b"k" * 32, aad=b"a")
    assert manager.unwrap(label, blob, aad=b"a") == b"k" * 32
    manager.kek_destroy(label)
