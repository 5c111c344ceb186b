"""Becoming a data recipient of the demo bank: keys, certificate, Register, DCR.

In the real CDR the first two steps happen outside any API: the ACCC accredits the recipient
and lists its software product on the CDR Register, and the Register's CA issues the product's
client certificate from a CSR. The demo plays both with its own tools, run here as the bank's
operator would (`manage.py pki sign-csr`, `manage.py mock_register_product`, in the bank's
checkout with its settings). Everything after that goes over the bank's public interfaces as
any recipient's would: the SSA from the (mock) Register's API, then Dynamic Client Registration.

Both private keys are made here and never leave the client's home: the demo CA sees only the
CSR, the bank and the Register only the public JWKS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwcrypto import jwk

from bank_client.config import ClientConfig, ClientHome
from bank_client.recipient import Recipient, new_signing_key
from bank_client.vault import write_private

#: Every CDR banking and common scope the demo bank serves (the customer chooses at consent).
FULL_SCOPE = (
    "openid profile bank:accounts.basic:read bank:accounts.detail:read bank:transactions:read "
    "bank:payees:read bank:regular_payments:read common:customer.basic:read "
    "common:customer.detail:read"
)


class EnrolmentError(Exception):
    pass


class BankTools:
    """The bank operator's commands, in the bank's checkout (`manage.py`, its environment)."""

    def __init__(self, bank_home: Path) -> None:
        self.bank_home = bank_home
        if not (bank_home / "manage.py").is_file():
            raise EnrolmentError(
                f"No bank checkout at {bank_home} (no manage.py): run bank-client from the bank's "
                "directory or pass --bank-home.")

    def manage(self, *args: str) -> str:
        env = {**os.environ}
        env.setdefault("DJANGO_SETTINGS_MODULE", "bank.settings.dev")
        done = subprocess.run(  # noqa: S603 - the bank's own manage.py, arguments we built
            [sys.executable, str(self.bank_home / "manage.py"), *args], env=env,
            cwd=self.bank_home, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            problem = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise EnrolmentError(f"manage.py {args[0]} {args[1]} failed: {problem}")
        return done.stdout


def csr_for(key: rsa.RSAPrivateKey, *, product: str, brand: str) -> bytes:
    """A CSR on the CDS profile: RSA 2048, SHA-256, CN the software product, O the brand."""
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "AU"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, brand),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Consumer Data Right"),
        x509.NameAttribute(NameOID.COMMON_NAME, product),
    ])
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(
        key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM)


def keys_create(home: ClientHome, *, product: str, brand: str, tools: BankTools,
                pki_dir: Path) -> jwk.JWK:
    """The signing key and the TLS key, and the demo CA's certificate for the TLS key."""
    home.create()
    signing_key = new_signing_key()
    write_private(home.signing_key, signing_key.export_to_pem(private_key=True, password=None))
    tls_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_private(home.tls_key, tls_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    csr_path = home.tls_cert.with_name("client.csr")
    csr_path.write_bytes(csr_for(tls_key, product=product, brand=brand))
    tools.manage("pki", "sign-csr", "--csr", str(csr_path), "--out", str(home.tls_cert),
                 "--dir", str(pki_dir))
    home.ca.write_bytes((pki_dir / "ca" / "ca.pem").read_bytes())
    return signing_key


def load_signing_key(home: ClientHome, *, kid: str) -> jwk.JWK:
    """The signing key from its PEM file, with the kid and use it was registered with."""
    key = jwk.JWK.from_pem(home.signing_key.read_bytes())
    return jwk.JWK(**{**json.loads(key.export_private()), "kid": kid, "alg": "PS256",
                      "use": "sig"})


def register_product(config: ClientConfig, tools: BankTools, *, brand: str) -> None:
    """List the software product on the mock Register (the accreditation step)."""
    base = f"http://{config.listen}"
    ids = json.loads(tools.manage(
        "mock_register_product", "--client-name", config.client_name, "--brand-name", brand,
        "--recipient-base-uri", base, "--jwks-uri", f"{base}/jwks",
        "--redirect-uri", config.redirect_uri,
        "--revocation-uri", f"{base}/arrangements/revoke",
        "--scope", config.scope + " cdr:registration"))
    config.software_product_id = ids["software_product_id"]
    config.brand_id = ids["brand_id"]
    config.legal_entity_id = ids["legal_entity_id"]


def register_with_bank(config: ClientConfig, recipient: Recipient) -> None:
    """Fetch the SSA from the Register's API and register with the bank (DCR)."""
    ssa = recipient.ssa(register_url=f"{config.bank_url}/mock-register",
                        brand_id=config.brand_id,
                        software_product_id=config.software_product_id)
    registration = recipient.register(ssa, software_product_id=config.software_product_id)
    config.client_id = registration["client_id"]
