"""The demo's key manager: each KEK is a file of 32 random bytes in BANK_LOCAL_KEYS_DIR.

For the embedded demo and tests only: the KEK sits on the same machine as the database, so it
protects a stolen database dump, not a stolen disk. Files are 0600 in a 0700 directory, created
with O_EXCL (two processes cannot both create a label), and read on every call rather than
cached, so a KEK destroyed by one process is gone for every other one at once. Unlinking is not
secure erasure on journaling or copy-on-write file systems: real crypto-shredding needs the HSM.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from security.kms.base import (
    KEK_BYTES,
    NONCE_BYTES,
    KeyExists,
    KeyManagerError,
    KeyNotFound,
    UnwrapFailed,
    check_label,
    check_wrap_input,
    is_label,
    split_blob,
)

SUFFIX = ".kek"


class LocalKeyManager:
    name = "local"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"LocalKeyManager({str(self.directory)!r})"

    # KEKs --------------------------------------------------------------------------------
    def kek_create(self, label: str) -> None:
        path = self._path(label)
        self._ensure_directory()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            raise KeyExists(f"A KEK labelled {label!r} already exists.") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(KEK_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            path.unlink(missing_ok=True)  # never leave a short key behind
            raise

    def kek_exists(self, label: str) -> bool:
        return self._path(label).is_file()

    def kek_destroy(self, label: str) -> None:
        self._path(label).unlink(missing_ok=True)

    def kek_labels(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        stems = (p.name[: -len(SUFFIX)] for p in self.directory.glob(f"*{SUFFIX}"))
        return sorted(stem for stem in stems if is_label(stem))

    # Wrapping ----------------------------------------------------------------------------
    def wrap(self, label: str, key: bytes, *, aad: bytes) -> bytes:
        check_wrap_input(key, aad)
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + AESGCM(self._read(label)).encrypt(nonce, key, aad)

    def unwrap(self, label: str, blob: bytes, *, aad: bytes) -> bytes:
        nonce, sealed = split_blob(blob, aad)
        try:
            return AESGCM(self._read(label)).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise UnwrapFailed(f"The key wrapped by {label!r} did not authenticate.") from None

    # Files -------------------------------------------------------------------------------
    def _path(self, label: str) -> Path:
        return self.directory / f"{check_label(label)}{SUFFIX}"

    def _ensure_directory(self) -> None:
        """Create the directory 0700, or refuse one that is not ours alone."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = self.directory.stat()
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise KeyManagerError(f"{self.directory} must be a 0700 directory of this user.")

    def _read(self, label: str) -> bytes:
        """The KEK, read afresh. A file others could read or write, or could have planted,
        or of the wrong size fails closed."""
        path = self._path(label)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise KeyNotFound(f"No KEK labelled {label!r}.") from None
        except OSError as exc:  # a symlink (ELOOP), permissions...
            raise KeyManagerError(f"The KEK labelled {label!r} cannot be opened.") from exc
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if (not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) & 0o077
                    or info.st_uid != os.getuid()):
                raise KeyManagerError(f"The KEK file of {label!r} must be a 0600 regular file "
                                      "of this user.")
            kek = fh.read(KEK_BYTES + 1)
        if len(kek) != KEK_BYTES:
            raise KeyManagerError(f"The KEK file of {label!r} is not {KEK_BYTES} bytes.")
        return kek
