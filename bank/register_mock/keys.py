"""The mock Register's signing keys: PS256, as the CDR Register signs SSAs (cds_register.json
getRegisterJwks; CDS security/_client_registration: "signed PS256 by the Register").

Keys are `ps256-*.pem` files in `security.pki.mock_register_keys_dir()` (`pki init` makes
one). The newest file by name signs; all are published, so an SSA signed just before a new key
appeared still verifies. A key's `kid` is its RFC 7638 thumbprint: stable, and derived from
the key alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk, jws

from security.pki import mock_register_keys_dir

ALG = "PS256"


@dataclass(frozen=True)
class RegisterKey:
    kid: str
    key: jwk.JWK


def register_keys() -> list[RegisterKey]:
    directory = mock_register_keys_dir()
    paths = sorted(directory.glob("ps256-*.pem"))
    if not paths:
        raise ImproperlyConfigured(
            f"No mock Register signing key in {directory} (run `manage.py pki init`)."
        )
    keys = []
    for path in paths:
        key = jwk.JWK.from_pem(path.read_bytes())
        if key.get("kty") != "RSA":
            raise ImproperlyConfigured(f"{path.name}: the Register signs PS256 with RSA keys")
        keys.append(RegisterKey(kid=key.thumbprint(), key=key))
    return keys


def register_jwks() -> dict[str, list[dict[str, Any]]]:
    """The public keys in the cds_register.json JWK shape (alg, e, key_ops, kid, kty, n)."""
    published = []
    for item in register_keys():
        public = json.loads(item.key.export_public())
        published.append({
            "kty": public["kty"], "n": public["n"], "e": public["e"], "kid": item.kid,
            "alg": ALG, "key_ops": ["sign", "verify"],
        })
    return {"keys": published}


def register_sign(claims: dict[str, Any]) -> str:
    """A compact JWS of `claims`, signed PS256 with the newest Register key."""
    current = register_keys()[-1]
    token = jws.JWS(json.dumps(claims, separators=(",", ":")).encode())
    token.add_signature(
        current.key, alg=ALG, protected=json.dumps({"alg": ALG, "kid": current.kid, "typ": "JWT"})
    )
    return str(token.serialize(compact=True))
