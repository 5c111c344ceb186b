"""The authorization server's signing keys and its JWKS (FAPI 1.0 Adv §8.6: PS256, ES256).

Two sources (BANK_SIGNING_KEYS_SOURCE):

- "key-manager": the keys live in the HSM (security/kms/pkcs11.py): generated inside the
  token, never extractable; every signature is one C_Sign. Production's default.
- "files": PEM files in BANK_SIGNING_KEYS_DIR, named `<alg>-<date or name>.pem`; the demo and
  the tests (`python manage.py pki init` creates them).

Either way a key's `kid` is its name (`ps256-2026-11-28-120000`), starting with its
algorithm. `BANK_SIGNING_KEYS_ACTIVE` names the kid used to sign for each algorithm (default:
the newest name); every other key is *retiring*: still published in the JWKS, so tokens it
signed keep verifying while clients refresh their cache, never used to sign. Rotation is: add a
key, publish, switch the active kid, remove the old key after the longest token lifetime
(`manage.py signing_keys rotate|retire`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk
from jwcrypto.jws import JWA

from security.kms import KeyManagerError, key_manager
from security.kms.base import SigningKeyStore, signing_alg

ALGORITHMS = ("PS256", "ES256")
SOURCES = ("files", "key-manager")


@dataclass(frozen=True)
class SigningKey:
    alg: str
    kid: str
    public: jwk.JWK
    #: bytes to sign -> the JWS signature; the private key stays behind it (a file or the HSM).
    signer: Callable[[bytes], bytes] = field(repr=False)

    def sign(self, signing_input: bytes) -> bytes:
        return self.signer(signing_input)


def _check(alg: str, key: jwk.JWK, name: str) -> None:
    if alg == "PS256" and (key.get("kty") != "RSA" or _rsa_bits(key) < 2048):
        raise ImproperlyConfigured(f"{name}: PS256 needs an RSA key of 2048 bits or more")
    if alg == "ES256" and key.get("crv") != "P-256":
        raise ImproperlyConfigured(f"{name}: ES256 needs a P-256 key")


def _file_signer(alg: str, key: jwk.JWK) -> Callable[[bytes], bytes]:
    algorithm = JWA.signing_alg(alg)
    return lambda data: bytes(algorithm.sign(key, data))


def _load(directory: Path) -> list[SigningKey]:
    keys = []
    for path in sorted(directory.glob("*.pem")):
        prefix, _, rest = path.stem.partition("-")
        alg, kid = prefix.upper(), path.stem
        if alg not in ALGORITHMS or not rest:
            raise ImproperlyConfigured(f"{path.name} is not named <ps256|es256>-<name>.pem")
        key = jwk.JWK.from_pem(path.read_bytes())
        _check(alg, key, path.name)
        public = jwk.JWK.from_json(key.export_public())
        keys.append(SigningKey(alg=alg, kid=kid, public=public, signer=_file_signer(alg, key)))
    if len({k.kid for k in keys}) != len(keys):
        raise ImproperlyConfigured("Signing keys must have distinct kids")
    return keys


def signing_store() -> SigningKeyStore:
    """The key manager, if it can hold signing keys (the PKCS#11 one can; local files cannot)."""
    store = key_manager()
    if not all(hasattr(store, name) for name in
               ("signing_key_create", "signing_key_destroy", "signing_keys_public", "sign")):
        raise ImproperlyConfigured(
            f"BANK_SIGNING_KEYS_SOURCE=key-manager needs a key manager that holds signing keys "
            f"(BANK_KEY_MANAGER=pkcs11), not {store.name!r}.")
    return store  # type: ignore[return-value]


def _load_from_key_manager() -> list[SigningKey]:
    store = signing_store()
    try:
        found = store.signing_keys_public()
    except KeyManagerError as exc:
        raise ImproperlyConfigured(f"Cannot read the signing keys from the key manager: {exc}") \
            from exc
    if len({label for label, _ in found}) != len(found):
        raise ImproperlyConfigured("Several signing keys in the key manager share a label.")
    keys = []
    for label, der in found:
        alg = signing_alg(label)
        public = jwk.JWK.from_pyca(serialization.load_der_public_key(der))
        _check(alg, public, label)
        keys.append(SigningKey(alg=alg, kid=label, public=public,
                               signer=partial(store.sign, label)))
    return keys


def source() -> str:
    chosen = str(getattr(settings, "BANK_SIGNING_KEYS_SOURCE", "files"))
    if chosen not in SOURCES:
        raise ImproperlyConfigured(f"BANK_SIGNING_KEYS_SOURCE must be one of {SOURCES}.")
    return chosen


def _rsa_bits(key: jwk.JWK) -> int:
    n = key.get("n", "")
    return len(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4))) * 8


@cache
def signing_keys() -> tuple[SigningKey, ...]:
    if source() == "key-manager":
        return tuple(_load_from_key_manager())
    directory = Path(settings.BANK_SIGNING_KEYS_DIR)
    if not directory.is_dir():
        raise ImproperlyConfigured(
            f"BANK_SIGNING_KEYS_DIR {directory} does not exist (run `manage.py pki init`)."
        )
    return tuple(_load(directory))


def active_key(alg: str) -> SigningKey:
    # The named kid, else the newest by file name (kids sort by date: `ps256-2026-11`).
    wanted = settings.BANK_SIGNING_KEYS_ACTIVE.get(alg)
    for key in reversed(signing_keys()):
        if key.alg == alg and (wanted is None or key.kid == wanted):
            return key
    raise ImproperlyConfigured(f"No active {alg} signing key")


def public_jwks() -> dict[str, list[dict[str, str]]]:
    """Every key, active and retiring, public parts only, with kid, alg and use=sig."""
    keys = []
    for signing in signing_keys():
        public = json.loads(signing.public.export_public())
        keys.append({**public, "kid": signing.kid, "alg": signing.alg, "use": "sig"})
    return {"keys": keys}


def clear_cache() -> None:
    signing_keys.cache_clear()


def generate_in_key_manager(*, kid_suffix: str) -> list[str]:
    """A new PS256 and ES256 pair inside the key manager; their kids."""
    store = signing_store()
    kids = [f"{prefix}-{kid_suffix}" for prefix in ("ps256", "es256")]
    for kid in kids:
        store.signing_key_create(kid)
    clear_cache()
    return kids


def generate_signing_keys(directory: Path, *, kid_suffix: str) -> list[Path]:
    """Write a new PS256 (RSA 3072) and ES256 (P-256) key pair, mode 0600, into `directory`."""
    import os

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for alg, make in (
        ("ps256", lambda: jwk.JWK.generate(kty="RSA", size=3072)),
        ("es256", lambda: jwk.JWK.generate(kty="EC", crv="P-256")),
    ):
        path = directory / f"{alg}-{kid_suffix}.pem"
        pem = make().export_to_pem(private_key=True, password=None)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        written.append(path)
    clear_cache()
    return written
