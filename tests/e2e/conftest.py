"""A live bank over real TLS for end-to-end tests: gunicorn, a CA, server and client
certificates, its own SQLite database and signing keys, in a temporary directory.

The bank runs as `make demo` runs it (`python -m bank.serve`: gunicorn gthread terminating TLS
with the bank's policy): a public listener (`url`: discovery, authorize, consent pages, the
mock Register) and an mTLS listener (`mtls_url`: PAR, token, resources...) that refuses a
handshake without a client certificate from the demo CA; certificate binding required. Tests
talk to it over HTTPS with `requests`/Authlib only.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

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
    mtls_url: str
    ca: Path
    workdir: Path
    env: dict[str, str]
    pki: Pki

    @property
    def outbox(self) -> Path:
        """Where the bank's demo OTP channel writes its emails (one .eml file each)."""
        return self.workdir / "outbox"

    def password(self, username: str) -> str:
        """A demo customer's password, from the credentials file seed_demo wrote."""
        logins = json.loads((self.workdir / "credentials.json").read_text())["logins"]
        return next(login["password"] for login in logins if login["username"] == username)

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise AssertionError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Pki:
    """The demo PKI as `manage.py pki init` makes it, plus client certificates on demand."""

    root: Path
    bank: LiveBank | None = None

    @property
    def ca(self) -> Path:
        return self.root / "ca" / "ca.pem"

    @property
    def server(self) -> Pem:
        return Pem(self.root / "server" / "server.pem", self.root / "server" / "server.key")

    def client(self, name: str) -> Pem:
        assert self.bank is not None
        out = self.bank.workdir / "clients" / name
        self.bank.manage("pki", "issue-client", "--cn", name, "--out", str(out), "--dir", str(self.root))
        return Pem(out / "client.pem", out / "client.key")


@pytest.fixture(scope="session")
def live_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBank]:
    workdir = tmp_path_factory.mktemp("e2e-bank")
    pki = Pki(root=workdir / "pki")
    port, mtls_port = _free_port(), _free_port()
    url = f"https://127.0.0.1:{port}"
    mtls_url = f"https://127.0.0.1:{mtls_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BANK_", "DATABASE_URL", "REDIS_URL"))},
        "DJANGO_SETTINGS_MODULE": "bank.settings.test",
        "DATABASE_URL": f"sqlite:///{workdir / 'bank.sqlite3'}",
        "BANK_PUBLIC_BASE_URL": url,
        "BANK_MTLS_BASE_URL": mtls_url,
        "BANK_SIGNING_KEYS_DIR": str(workdir / "signing"),
        "BANK_MOCK_REGISTER_KEYS_DIR": str(workdir / "register-keys"),
        "BANK_REQUIRE_CERTIFICATE_BOUND_TOKENS": "true",
        "BANK_REGISTER_BASE_URL": f"{url}/mock-register",
        "BANK_REGISTER_JWKS_URI": f"{url}/mock-register/cdr-register/v1/jwks",
        "BANK_OUTBOUND_CA_BUNDLE": str(pki.ca),
        "BANK_LOG_LEVEL": "WARNING",
        "BANK_OTP_OUTBOX_DIR": str(workdir / "outbox"),
        "BANK_LOCAL_KEYS_DIR": str(workdir / "keys"),
        # The suite logs the same demo customers in far more often than a person would.
        "BANK_OTP_MAX_PER_HOUR": "1000",
    }
    bank = LiveBank(url=url, mtls_url=mtls_url, ca=pki.ca, workdir=workdir, env=env, pki=pki)
    pki.bank = bank
    bank.manage("pki", "init", "--dir", str(pki.root))
    bank.manage("migrate", "--noinput", "-v", "0")
    bank.manage("seed_demo", "--customers", "0", "--transactions-per-account", "5",
                "--credentials-file", str(workdir / "credentials.json"))
    log = (workdir / "gunicorn.log").open("w")
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "bank.serve", listener, "--bind", f"127.0.0.1:{bind}",
             "--pki-dir", str(pki.root), "--workers", "2", "--threads", "4"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        for listener, bind in (("public", port), ("mtls", mtls_port))
    ]
    client = pki.client("e2e-readiness")
    try:
        deadline = time.monotonic() + 30
        for ready_url, cert in ((f"{url}/jwks", None), (f"{mtls_url}/static/", client.pair)):
            while True:
                try:
                    requests.get(ready_url, verify=str(pki.ca), cert=cert, timeout=2)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline or any(s.poll() is not None for s in servers):
                        raise AssertionError((workdir / "gunicorn.log").read_text()) from None
                    time.sleep(0.3)
        yield bank
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def chromium_for(bank: LiveBank) -> Iterator[Any]:
    """Headless Debian Chromium that trusts the bank's own server key and nothing else (the
    demo CA is unknown to it), rather than ignoring every TLS error. With client certificates
    (Playwright's `client_certificates`), Playwright's Node driver makes the TLS connection
    itself and checks the server against Node's CAs: it gets the demo CA, and only that one."""
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM

    cert = x509.load_pem_x509_certificate(bank.pki.server.cert.read_bytes())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    trust = ("--ignore-certificate-errors-spki-list="
             + base64.b64encode(hashlib.sha256(spki).digest()).decode())
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(bank.ca))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                trust])
            try:
                yield browser
            finally:
                browser.close()
    finally:
        monkeypatch.undo()


@contextlib.contextmanager
def registered_recipient(bank: LiveBank, *, certificate: str, name: str,
                         scope: str) -> Iterator[Any]:
    """A data recipient (bank_client/recipient.py) with its own client certificate and JWKS
    endpoint, registered as any other: a product at the mock Register, its SSA, then DCR."""
    from bank_client.recipient import Recipient

    cert = bank.pki.client(certificate)
    recipient = Recipient(bank.url, ca_bundle=str(bank.ca), cert=cert.pair,
                          resource_url=bank.mtls_url)
    base = recipient.start()
    try:
        ids = json.loads(bank.manage(
            "mock_register_product", "--client-name", name, "--recipient-base-uri", base,
            "--jwks-uri", f"{base}/jwks", "--redirect-uri", recipient.redirect_uri,
            "--scope", scope + " cdr:registration",
        ))
        ssa = recipient.ssa(register_url=f"{bank.url}/mock-register", brand_id=ids["brand_id"],
                            software_product_id=ids["software_product_id"])
        recipient.register(ssa, software_product_id=ids["software_product_id"])
        yield recipient
    finally:
        recipient.jwks_server.stop()
