"""What every key manager shares: the errors, the interface, KEK labels and the blob format.

Envelope encryption: a data key (DEK) is stored only wrapped by a key-encryption key (KEK) that
stays inside the key manager. A wrapped DEK is `nonce (12) || ciphertext || tag (16)`, AES-256-GCM
under the KEK with the caller's AAD, in both backends, so the AAD binds a wrapped key to the row
it belongs to (a blob copied to another row does not unwrap).
"""

from __future__ import annotations

import re
from typing import Protocol

#: Random 96-bit nonces (NIST SP 800-38D §8.2.2); §8.3 allows 2**32 wraps per KEK, far more
#: than the DEKs one KEK ever wraps.
NONCE_BYTES = 12
TAG_BYTES = 16
KEK_BYTES = 32  # AES-256

# Labels become file names (local) and CKA_LABEL values (PKCS#11): a conservative alphabet,
# no path separators, no leading dot, at most 64 characters (the DataKey.kek_label column).
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class KeyManagerError(Exception):
    """The key manager could not do what was asked (messages never carry key material or PINs)."""


class KeyNotFound(KeyManagerError):
    """No KEK has this label: never created, or destroyed (crypto-shredding)."""


class KeyExists(KeyManagerError):
    """kek_create was asked for a label that is already taken."""


class UnwrapFailed(KeyManagerError):
    """The blob did not authenticate: wrong AAD, wrong KEK, or tampered or truncated."""


class KeyManager(Protocol):
    """Where KEKs live. Callers hold labels and wrapped blobs, never a KEK."""

    name: str

    def kek_create(self, label: str) -> None:
        """Make a new KEK; raises KeyExists if the label is taken."""

    def kek_exists(self, label: str) -> bool: ...

    def kek_destroy(self, label: str) -> None:
        """Destroy the KEK (idempotent): every key it wrapped becomes unrecoverable."""

    def kek_labels(self) -> list[str]:
        """Every KEK's label, sorted."""

    def wrap(self, label: str, key: bytes, *, aad: bytes) -> bytes: ...

    def unwrap(self, label: str, blob: bytes, *, aad: bytes) -> bytes: ...


class SigningKeyStore(Protocol):
    """Asymmetric signing keys that never leave the key manager (the authorization server's
    PS256 and ES256 keys, security/oauth/signing_keys.py). A key's label is its JWS `kid` and
    starts with its algorithm: `ps256-...` (RSA 3072, RSASSA-PSS SHA-256) or `es256-...`
    (P-256 ECDSA SHA-256)."""

    def signing_key_create(self, label: str) -> None:
        """A new key pair for the algorithm the label names; raises KeyExists if taken."""

    def signing_key_destroy(self, label: str) -> None: ...

    def signing_keys_public(self) -> list[tuple[str, bytes]]:
        """(label, DER SubjectPublicKeyInfo) of every signing key, sorted by label."""

    def sign(self, label: str, data: bytes) -> bytes:
        """The JWS signature of `data` (RFC 7518 §3.4/§3.5: raw r||s for ES256)."""


SIGNING_ALGS = {"ps256": "PS256", "es256": "ES256"}


def signing_alg(label: str) -> str:
    """PS256 or ES256, from the label's prefix; KeyManagerError for anything else."""
    check_label(label)
    prefix, _, rest = label.partition("-")
    if prefix not in SIGNING_ALGS or not rest:
        raise KeyManagerError(
            f"Signing key labels are ps256-<name> or es256-<name>, not {label!r}.")
    return SIGNING_ALGS[prefix]


def is_label(label: object) -> bool:
    return isinstance(label, str) and _LABEL.fullmatch(label) is not None


def check_label(label: str) -> str:
    """The label itself, or KeyManagerError: labels name files, so they are never trusted raw."""
    if not is_label(label):
        raise KeyManagerError(f"Invalid KEK label {label!r}: use 1-64 of A-Z a-z 0-9 . _ -, "
                              "starting with a letter or digit.")
    return label


def check_wrap_input(key: bytes, aad: bytes) -> None:
    if not isinstance(key, bytes) or not key:
        raise KeyManagerError("The key to wrap must be non-empty bytes.")
    if not isinstance(aad, bytes):
        raise KeyManagerError("The AAD must be bytes.")


def split_blob(blob: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """(nonce, ciphertext || tag) of a wrapped key, or UnwrapFailed if it cannot be one.

    Accepts any bytes-like blob: PostgreSQL hands BinaryField values back as memoryview.
    """
    if not isinstance(aad, bytes):
        raise KeyManagerError("The AAD must be bytes.")
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise UnwrapFailed("The wrapped key is not bytes.")
    blob = bytes(blob)
    if len(blob) <= NONCE_BYTES + TAG_BYTES:
        raise UnwrapFailed("The wrapped key is truncated.")
    return blob[:NONCE_BYTES], blob[NONCE_BYTES:]
