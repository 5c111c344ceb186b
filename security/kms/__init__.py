"""The key manager: where key-encryption keys (KEKs) live and the only code that uses them.

Encryption at rest stores each data key (DEK) wrapped by a KEK; the KEK never leaves the key
manager. `key_manager()` is the one configured for this process (BANK_KEY_MANAGER):

- "pkcs11": KEKs inside an HSM token (BANK_PKCS11_LIBRARY, BANK_PKCS11_TOKEN_LABEL,
  BANK_PKCS11_PIN); production.
- "local": KEKs as 0600 files in BANK_LOCAL_KEYS_DIR (default var/keys/); the embedded demo.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from security.kms.base import (
    KeyExists,
    KeyManager,
    KeyManagerError,
    KeyNotFound,
    UnwrapFailed,
)

__all__ = [
    "KeyExists",
    "KeyManager",
    "KeyManagerError",
    "KeyNotFound",
    "UnwrapFailed",
    "key_manager",
    "key_manager_reset",
]

_lock = threading.Lock()
_instance: KeyManager | None = None


def key_manager() -> KeyManager:
    """The configured key manager, built once per process (later calls return the same one)."""
    global _instance
    manager = _instance
    if manager is None:
        with _lock:
            if _instance is None:
                _instance = _build()
            manager = _instance
    return manager


def key_manager_reset() -> None:
    """Forget the cached manager (tests that change the settings)."""
    global _instance
    with _lock:
        _instance = None


def _build() -> KeyManager:
    kind = getattr(settings, "BANK_KEY_MANAGER", "local")
    if kind == "local":
        from bank.settings.env import VAR_DIR
        from security.kms.local import LocalKeyManager

        return LocalKeyManager(getattr(settings, "BANK_LOCAL_KEYS_DIR", str(VAR_DIR / "keys")))
    if kind == "pkcs11":
        from security.kms.pkcs11 import Pkcs11KeyManager

        needed = {name: getattr(settings, name, "") for name in
                  ("BANK_PKCS11_LIBRARY", "BANK_PKCS11_TOKEN_LABEL", "BANK_PKCS11_PIN")}
        missing = sorted(name for name, value in needed.items() if not value)
        if missing:
            raise ImproperlyConfigured(f"BANK_KEY_MANAGER=pkcs11 needs {', '.join(missing)}.")
        return Pkcs11KeyManager(library=needed["BANK_PKCS11_LIBRARY"],
                                token_label=needed["BANK_PKCS11_TOKEN_LABEL"],
                                pin=needed["BANK_PKCS11_PIN"])
    raise ImproperlyConfigured(f"BANK_KEY_MANAGER must be 'local' or 'pkcs11', not {kind!r}.")
