"""A live bank over real TLS for end-to-end tests: gunicorn, a CA, server and client
certificates, its own SQLite database and signing keys, in a temporary directory.

The bank runs as a separate process exactly as deployed (gunicorn gthread terminating TLS,
client certificates optional at the handshake and checked per endpoint), with certificate
binding required. Tests talk to it over HTTPS with `requests`/Authlib only.
"""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Pem:
    cert: Path
    key: Path

    @property
    def pair(self) -> tuple[str, str]:
        return (str(self.cert), str(self.key))


@dataclass
class LiveBank:
    url: str
    ca: Path
    workdir: Path
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise AssertionError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _issue(workdir: Path, name: str, *, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
           server: bool = False, client: bool = False) -> tuple[Pem, x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    issuer_cert, issuer_key = ca if ca else (None, key)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=1))
               .not_valid_after(now + datetime.timedelta(days=1)))
    if ca is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    pem = Pem(workdir / f"{name}.crt", workdir / f"{name}.key")
    pem.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(pem.key, key)
    return pem, cert, key


@dataclass
class Pki:
    ca: Path
    server: Pem
    ca_pair: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
    workdir: Path

    def client(self, name: str) -> Pem:
        return _issue(self.workdir, name, ca=self.ca_pair, client=True)[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    workdir = tmp_path_factory.mktemp("e2e-pki")
    ca_pem, ca_cert, ca_key = _issue(workdir, "ca", ca=None)
    server, _, _ = _issue(workdir, "server", ca=(ca_cert, ca_key), server=True)
    return Pki(ca=ca_pem.cert, server=server, ca_pair=(ca_cert, ca_key), workdir=workdir)


@pytest.fixture(scope="session")
def live_bank(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBank]:
    workdir = tmp_path_factory.mktemp("e2e-bank")
    port = _free_port()
    url = f"https://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL"))},
        "DJANGO_SETTINGS_MODULE": "bank.settings.test",
        "DATABASE_URL": f"sqlite:///{workdir / 'bank.sqlite3'}",
        "BANK_PUBLIC_BASE_URL": url,
        "BANK_SIGNING_KEYS_DIR": str(workdir / "signing"),
        "BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS": "true",
        "BANK_REGISTER_BASE_URL": f"{url}/mock-register",
        "BANK_REGISTER_JWKS_URI": f"{url}/mock-register/cdr-register/v1/jwks",
        "BANK_OUTBOUND_CA_BUNDLE": str(pki.ca),
        "BANK_LOG_LEVEL": "WARNING",
    }
    bank = LiveBank(url=url, ca=pki.ca, workdir=workdir, env=env)
    bank.manage("migrate", "--noinput", "-v", "0")
    bank.manage("seed_demo", "--customers", "0", "--transactions-per-account", "5",
                "--credentials-file", str(workdir / "credentials.json"))
    bank.manage("shell", "-c", "from pathlib import Path; from django.conf import settings; "
                "from security.oauth.signing_keys import generate_signing_keys; "
                "generate_signing_keys(Path(settings.BANK_SIGNING_KEYS_DIR), kid_suffix='e2e')")
    log = (workdir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bank.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", "2", "--threads", "4",
         "--certfile", str(pki.server.cert), "--keyfile", str(pki.server.key),
         "--ca-certs", str(pki.ca), "--cert-reqs", "1"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/.well-known/openid-configuration", verify=str(pki.ca), timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((workdir / "gunicorn.log").read_text()) from None
                time.sleep(0.3)
        yield bank
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
