"""The client's tokens, encrypted on disk (AES-256-GCM).

Access and refresh tokens are bearer secrets bound to the client's certificate; the refresh
token lasts as long as the customer's arrangement. They are never written in clear:

- the key is derived with scrypt from BANK_CLIENT_PASSPHRASE when it is set (nothing on disk
  opens the vault), or else it is a random 256-bit key in `vault.key` beside the vault, 0600 in
  the client's 0700 home: a copied or backed-up `tokens.enc` alone is then useless, though
  someone who can read the whole home as you can read the tokens too (as they could use your
  private keys: requests needs the TLS key in a file);
- the client ID is the associated data, so a vault moved to another client does not open;
- every write uses a fresh 96-bit nonce and replaces the file atomically.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

PASSPHRASE_ENV = "BANK_CLIENT_PASSPHRASE"  # noqa: S105 - the variable's name
_VERSION = 1
# scrypt at OWASP's 2^17, r=8, p=1: about 0.3 s and 128 MiB, once per command.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**17, 8, 1
_captured: str | None = None


def capture_passphrase() -> None:
    """Take BANK_CLIENT_PASSPHRASE out of the environment into this process, so that no child
    (manage.py, the browser) inherits it."""
    global _captured
    passphrase = os.environ.pop(PASSPHRASE_ENV, None)
    if passphrase is not None:
        _captured = passphrase


def _passphrase() -> str | None:
    return _captured if _captured is not None else os.environ.get(PASSPHRASE_ENV) or None


class VaultError(Exception):
    """The vault cannot be opened (wrong passphrase, another client's, or tampered with)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` as 0600 from the first byte, replacing it atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class TokenVault:
    def __init__(self, path: Path, *, client_id: str) -> None:
        self.path = path
        self.key_path = path.with_name("vault.key")
        self.aad = f"bank-client tokens v{_VERSION}|{client_id}".encode()

    def _key(self, salt: bytes, *, create: bool) -> bytes:
        passphrase = _passphrase()
        if passphrase:
            kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
            return kdf.derive(passphrase.encode())
        if not self.key_path.exists():
            if not create:
                raise VaultError(f"no {self.key_path.name}: set {PASSPHRASE_ENV} if the "
                                 "tokens were saved with a passphrase")
            write_private(self.key_path, secrets.token_bytes(32))
        key = self.key_path.read_bytes()
        if len(key) != 32:
            raise VaultError(f"{self.key_path} is not a 256-bit key")
        return key

    def save(self, tokens: dict[str, Any]) -> None:
        salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
        key = self._key(salt, create=True)
        sealed = AESGCM(key).encrypt(nonce, json.dumps(tokens).encode(), self.aad)
        envelope = {"v": _VERSION, "kdf": "scrypt" if _passphrase() else "key",
                    "salt": _b64(salt), "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
        write_private(self.path, json.dumps(envelope).encode())

    def load(self) -> dict[str, Any] | None:
        """The saved tokens, or None when there are none."""
        if not self.path.exists():
            return None
        try:
            envelope = json.loads(self.path.read_text())
            salt, nonce, sealed = (base64.b64decode(envelope[k])
                                   for k in ("salt", "nonce", "ciphertext"))
            if envelope.get("v") != _VERSION:
                raise VaultError(f"{self.path} has an unknown format")
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultError(f"{self.path} is not a token vault") from exc
        if envelope.get("kdf") == "scrypt" and not _passphrase():
            raise VaultError(f"the tokens were saved with a passphrase: set {PASSPHRASE_ENV}")
        try:
            plain = AESGCM(self._key(salt, create=False)).decrypt(nonce, sealed, self.aad)
        except InvalidTag:
            raise VaultError("the token vault does not open: wrong passphrase or key, another "
                             "client's vault, or it was changed") from None
        tokens: dict[str, Any] = json.loads(plain)
        return tokens

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
