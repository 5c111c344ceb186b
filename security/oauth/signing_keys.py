"""The authorization server's signing keys and its JWKS (FAPI 1.0 Adv §8.6: PS256, ES256).

Keys are PEM files in BANK_SIGNING_KEYS_DIR, named `<alg>-<date or name>.pem`
(`ps256-2026-11.pem`); the file name without `.pem` is the key's `kid`.
`BANK_SIGNING_KEYS_ACTIVE` names the kid used to sign for each algorithm; every other key in
the directory is *retiring*: still published in the JWKS, so tokens it signed keep verifying
while clients refresh their cache, never used to sign. Rotation is: add a key, publish, switch
the active kid, remove the old file after the longest token lifetime.

`python manage.py pki init` creates the demo's keys; production points the directory at the
keys its HSM-backed issuer exports (the key-management issue moves signing into the HSM).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk

ALGORITHMS = ("PS256", "ES256")


@dataclass(frozen=True)
class SigningKey:
    alg: str
    kid: str
    key: jwk.JWK


def _load(directory: Path) -> list[SigningKey]:
    keys = []
    for path in sorted(directory.glob("*.pem")):
        prefix, _, rest = path.stem.partition("-")
        alg, kid = prefix.upper(), path.stem
        if alg not in ALGORITHMS or not rest:
            raise ImproperlyConfigured(f"{path.name} is not named <ps256|es256>-<name>.pem")
        key = jwk.JWK.from_pem(path.read_bytes())
        if alg == "PS256" and (key.get("kty") != "RSA" or _rsa_bits(key) < 2048):
            raise ImproperlyConfigured(f"{path.name}: PS256 needs an RSA key of 2048 bits or more")
        if alg == "ES256" and key.get("crv") != "P-256":
            raise ImproperlyConfigured(f"{path.name}: ES256 needs a P-256 key")
        keys.append(SigningKey(alg=alg, kid=kid, key=key))
    if len({k.kid for k in keys}) != len(keys):
        raise ImproperlyConfigured("Signing keys must have distinct kids")
    return keys


def _rsa_bits(key: jwk.JWK) -> int:
    n = key.get("n", "")
    return len(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4))) * 8


@cache
def signing_keys() -> tuple[SigningKey, ...]:
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
        public = json.loads(signing.key.export_public())
        keys.append({**public, "kid": signing.kid, "alg": signing.alg, "use": "sig"})
    return {"keys": keys}


def clear_cache() -> None:
    signing_keys.cache_clear()


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
