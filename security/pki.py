"""The demo's PKI: a CDR-style CA and the certificates and keys the embedded demo needs.

In production the CDR Register's CA (ACCC) issues the bank's server certificates and every
recipient's client certificate (CDS security/_certificate_management.md), and the bank's
signing keys live in its HSM. For the demo and tests this module plays those parts:

    <root>/ca/ca.key, ca.pem                 self-signed CA (RSA 3072, SHA-256)
    <root>/server/server.key, server.pem     localhost / 127.0.0.1 / ::1, serverAuth
    <root>/recipient/client.key, client.pem  a demo data recipient's client certificate
    BANK_SIGNING_KEYS_DIR                    the authorization server's PS256/ES256 keys
    mock_register_keys_dir()                 the mock Register's PS256 SSA signing key

Leaf certificates follow the CDS CSR profile: RSA 2048, SHA-256, OU "Consumer Data Right",
C AU; a client certificate's CN is the software product name and its O the brand name.
Directories are 0700 and private keys 0600, created with those modes (never chmod-ed after
the fact); everything lives under var/, which git ignores. Every step skips what already
exists, so `pki init` is safe to re-run; `force` re-creates (and, for the bank's signing keys,
adds a fresh pair that becomes active while the old pair stays published as retiring).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from security.oauth.signing_keys import generate_signing_keys

CDR_OU = "Consumer Data Right"
CA_DAYS = 5 * 365
# Mozilla's intermediate TLS profile allows a leaf at most 366 days (deploy/tls/sslyze-check
# checks it); the CA/Browser Forum's 397 would fail that scan.
LEAF_DAYS = 365
CA_KEY_BITS = 3072
LEAF_KEY_BITS = 2048  # CDS CSR profile: RSA 2048
REGISTER_KEY_BITS = 2048


@dataclass(frozen=True)
class PkiLayout:
    """Where `pki init` puts each artifact under its root directory."""

    root: Path

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca" / "ca.pem"

    @property
    def server_key(self) -> Path:
        return self.root / "server" / "server.key"

    @property
    def server_cert(self) -> Path:
        return self.root / "server" / "server.pem"

    @property
    def client_key(self) -> Path:
        return self.root / "recipient" / "client.key"

    @property
    def client_cert(self) -> Path:
        return self.root / "recipient" / "client.pem"


def default_root() -> Path:
    return Path(settings.VAR_DIR) / "pki"


def mock_register_keys_dir() -> Path:
    """The mock Register's signing-key directory (BANK_MOCK_REGISTER_KEYS_DIR, else var/pki)."""
    configured = getattr(settings, "BANK_MOCK_REGISTER_KEYS_DIR", "")
    return Path(configured) if configured else default_root() / "register"


# Files ----------------------------------------------------------------------------------
def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter (0700), parents included."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkdir's mode does not apply to a directory that already existed.
    path.chmod(0o700)
    return path


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Write atomically: a temp file in the same directory (mkstemp creates it 0600, so a key
    is never readable by others, not even while being written), set to `mode`, renamed."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        # The demo's keys sit in a 0700 directory; production keys never come from here.
        serialization.NoEncryption(),
    )
    _write(path, pem, mode=0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    _write(path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def load_ca(layout: PkiLayout) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = serialization.load_pem_private_key(layout.ca_key.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{layout.ca_key} is not an RSA key")
    return key, x509.load_pem_x509_certificate(layout.ca_cert.read_bytes())


# Certificates ----------------------------------------------------------------------------
def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "AU"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CDR_OU),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ca_create(layout: PkiLayout) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _rsa(CA_KEY_BITS)
    name = _name("Demo CDR Register CA", "Demo CDR Register")
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        # pathlen 0: this CA signs leaves only, never another CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    private_dir(layout.ca_key.parent)
    _write_key(layout.ca_key, key)
    _write_cert(layout.ca_cert, cert)
    return key, cert


def _leaf(
    *,
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    public_key: rsa.RSAPublicKey,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    san: x509.SubjectAlternativeName | None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + timedelta(days=LEAF_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        # CDS certificate validation checks key use: a client certificate cannot serve TLS.
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if san is not None:
        builder = builder.add_extension(san, critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def server_certificate_issue(
    layout: PkiLayout, *, ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate
) -> x509.Certificate:
    key = _rsa(LEAF_KEY_BITS)
    cert = _leaf(
        ca_key=ca_key, ca_cert=ca_cert, public_key=key.public_key(),
        subject=_name("localhost", settings.BANK_BRAND_NAME),
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        san=x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]),
    )
    private_dir(layout.server_key.parent)
    _write_key(layout.server_key, key)
    _write_cert(layout.server_cert, cert)
    return cert


def client_certificate_issue(
    *,
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    common_name: str,
    organisation: str,
    key_path: Path,
    cert_path: Path,
) -> x509.Certificate:
    """A recipient's mTLS client certificate (CN = software product, O = brand, clientAuth)."""
    key = _rsa(LEAF_KEY_BITS)
    cert = _leaf(
        ca_key=ca_key, ca_cert=ca_cert, public_key=key.public_key(),
        subject=_name(common_name, organisation), usage=ExtendedKeyUsageOID.CLIENT_AUTH, san=None,
    )
    private_dir(key_path.parent)
    _write_key(key_path, key)
    _write_cert(cert_path, cert)
    return cert


#: A CSR's common name: the software product's name (printable, bounded).
_CSR_NAME_MAX = 64


def client_certificate_from_csr(
    *, ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate, csr_pem: bytes
) -> x509.Certificate:
    """A recipient's client certificate for the key in its CSR: the recipient keeps its private
    key and sends only the request, as it would to the CDR Register's CA. The CSR must be
    self-signed by an RSA key of at least 2048 bits (CDS CSR profile); the CA takes only its CN
    and O and sets the rest of the subject (OU, C) and every extension itself."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError as exc:
        raise ValueError("not a PEM certificate signing request") from exc
    if not csr.is_signature_valid:
        raise ValueError("the CSR's signature does not verify")
    public_key = csr.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < LEAF_KEY_BITS:
        raise ValueError(f"the CSR's key must be RSA of at least {LEAF_KEY_BITS} bits")
    names = {}
    for oid, label in ((NameOID.COMMON_NAME, "CN"), (NameOID.ORGANIZATION_NAME, "O")):
        values = csr.subject.get_attributes_for_oid(oid)
        value = str(values[0].value).strip() if len(values) == 1 else ""
        if not value or len(value) > _CSR_NAME_MAX or not value.isprintable():
            raise ValueError(f"the CSR needs one printable {label} of at most {_CSR_NAME_MAX}")
        names[label] = value
    return _leaf(
        ca_key=ca_key, ca_cert=ca_cert, public_key=public_key,
        subject=_name(names["CN"], names["O"]), usage=ExtendedKeyUsageOID.CLIENT_AUTH, san=None,
    )


def register_signing_key_create(directory: Path) -> Path:
    """A new mock Register PS256 key, 0600. Names sort by creation time: the newest signs."""
    private_dir(directory)
    name = f"ps256-register-{_stamp()}.pem"
    path = directory / name
    _write_key(path, _rsa(REGISTER_KEY_BITS))
    return path


def _stamp() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d-%H%M%S}-{secrets.token_hex(2)}"


# The whole demo PKI ------------------------------------------------------------------------
def pki_init(
    *,
    root: Path,
    signing_keys_dir: Path,
    register_keys_dir: Path,
    force: bool = False,
) -> list[Path]:
    """Create whatever is missing (everything when `force`); return the files written."""
    layout = PkiLayout(root)
    private_dir(root)
    written: list[Path] = []

    if force or not (layout.ca_key.exists() and layout.ca_cert.exists()):
        ca_key, ca_cert = ca_create(layout)
        written += [layout.ca_key, layout.ca_cert]
        # Leaves signed by a replaced CA no longer chain: re-issue them too.
        force = True
    else:
        ca_key, ca_cert = load_ca(layout)

    if force or not (layout.server_key.exists() and layout.server_cert.exists()):
        server_certificate_issue(layout, ca_key=ca_key, ca_cert=ca_cert)
        written += [layout.server_key, layout.server_cert]

    if force or not (layout.client_key.exists() and layout.client_cert.exists()):
        client_certificate_issue(
            ca_key=ca_key, ca_cert=ca_cert, common_name="Demo Budget App",
            organisation="Demo Recipient Brand", key_path=layout.client_key,
            cert_path=layout.client_cert,
        )
        written += [layout.client_key, layout.client_cert]

    private_dir(signing_keys_dir)
    if force or not any(signing_keys_dir.glob("*.pem")):
        # Never deletes: a key that signed live tokens must stay published until they expire.
        # The suffix sorts by time, so the new pair is the active one (signing_keys.active_key).
        written += generate_signing_keys(signing_keys_dir, kid_suffix=_stamp())

    private_dir(register_keys_dir)
    if force or not any(register_keys_dir.glob("ps256-*.pem")):
        # Older Register keys stay published, so SSAs they signed verify until they expire.
        written.append(register_signing_key_create(register_keys_dir))
    return written
