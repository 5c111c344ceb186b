"""sslyze scans both live listeners against Mozilla's "intermediate" TLS profile.

deploy/tls/sslyze-check runs sslyze in its own virtual environment (var/sslyze-venv; sslyze
pins an older `cryptography` than the bank's) and exits non-zero on any finding. The scans also
check the bank's narrower policy (--bank-policy: AES-GCM only, X25519/P-256/P-384 only).

Where that environment cannot be created (no package index), the scans are skipped with the
reason; under CI=true they fail instead, as tests/e2e/test_tls_policy.py does without openssl.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509

from security import pki as bank_pki

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "tls" / "sslyze-check"
#: Mozilla intermediate (sslyze's mozilla_tls_profile/5.7.json): maximum_certificate_lifespan.
MOZILLA_MAX_LEAF_DAYS = 366


def _run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=ROOT)


@functools.cache
def _setup_failure() -> str | None:
    """Why the sslyze environment cannot be set up (None when it can); tried once a run."""
    done = _run("--setup-only")
    if done.returncode == 0:
        return None
    return (f"the sslyze environment could not be set up (deploy/tls/sslyze-check "
            f"--setup-only exited {done.returncode}): {done.stderr.strip()[-600:]}")


@pytest.fixture(scope="module")
def sslyze() -> None:
    reason = _setup_failure()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


@pytest.fixture(scope="module")
def client(live_bank):
    return live_bank.pki.client("sslyze")


def test_both_listeners_pass_mozilla_intermediate(sslyze, live_bank, client):
    public, mtls = _target(live_bank.url), _target(live_bank.mtls_url)
    done = _run("--ca-file", str(live_bank.ca), "--cert", str(client.cert),
                "--key", str(client.key), "--bank-policy", public, mtls)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for target in (public, mtls):
        assert f"== {target}: COMPLIANT (Mozilla intermediate, bank policy)" in output, output
    assert "FINDING" not in output
    assert "2 of 2 target(s) compliant" in output
    # What the scan saw, as the policy says (security/tls.py, deploy/tls/openssl.cnf).
    assert "CHACHA20" not in output
    assert "key exchange groups: X25519, secp256r1, secp384r1" in output
    assert "trusted by: Supplied CA file" in output


def test_the_mtls_listener_cannot_be_scanned_without_a_client_certificate(sslyze, live_bank):
    target = _target(live_bank.mtls_url)
    done = _run("--ca-file", str(live_bank.ca), target)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"== {target}: NOT COMPLIANT" in done.stdout
    assert "incomplete scan" in done.stdout


def test_a_certificate_no_trust_store_knows_fails(sslyze, live_bank):
    # Without the demo CA, sslyze's stores (Mozilla, Apple...) cannot build the chain: the
    # profile's certificate_path_validation fails. The check is not vacuous.
    done = _run(_target(live_bank.url))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "certificate_path_validation" in done.stdout


def test_an_unreachable_target_fails(sslyze):
    # sslyze's own CLI exits 0 when it reaches no server at all; the script must not.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _run(f"127.0.0.1:{port}", timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "could not connect" in done.stdout


def test_demo_leaf_certificates_fit_mozilla_intermediate(live_bank):
    # Does not need sslyze: the lifespan the PKI gives a leaf is within the profile's limit.
    assert bank_pki.LEAF_DAYS <= MOZILLA_MAX_LEAF_DAYS
    cert = x509.load_pem_x509_certificate(live_bank.pki.server.cert.read_bytes())
    lifespan = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifespan.days <= MOZILLA_MAX_LEAF_DAYS
    assert cert.not_valid_after_utc > datetime.now(UTC)
