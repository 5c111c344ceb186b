"""Real TLS handshakes against both listeners of the live bank (security/tls.py policy).

OpenSSL's own client (`openssl s_client`) offers exactly one protocol, suite or group per
attempt, so each refusal below is the server's policy, not a client default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import requests

from security import pki as bank_pki

# Under CI a missing openssl is a failure (the tests run and fail), never a skip.
pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None and os.environ.get("CI") != "true",
    reason="needs the openssl command line tool (apt-get install openssl)")


def _s_client(bank, listener: str, *args: str, cert=None) -> str:
    url = bank.url if listener == "public" else bank.mtls_url
    parts = urlsplit(url)
    command = ["openssl", "s_client", "-connect", f"{parts.hostname}:{parts.port}",
               "-CAfile", str(bank.ca), "-servername", "localhost", *args]
    if cert is not None:
        command += ["-cert", str(cert.cert), "-key", str(cert.key)]
    done = subprocess.run(command, input="Q\n", capture_output=True, text=True, timeout=20,
                          check=False)
    return done.stdout + done.stderr


def _negotiated(output: str) -> str | None:
    """The suite the handshake agreed on, or None if it (or the server, right after) failed.

    A refused client certificate shows as an alert after the client's side of the handshake
    completed, so any OpenSSL error line counts as failure.
    """
    if ":error:" in output:
        return None
    for line in output.splitlines():
        if ", Cipher is " in line:
            suite = line.rsplit(" ", 1)[-1]
            return None if suite == "(NONE)" else suite
    return None


@pytest.fixture(scope="module")
def client_cert(live_bank):
    return live_bank.pki.client("tls-policy")


LISTENERS = ["public", "mtls"]


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize(("args", "suite"), [
    (["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"], "TLS_AES_256_GCM_SHA384"),
    (["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], "TLS_AES_128_GCM_SHA256"),
    (["-tls1_3", "-groups", "X25519"], "TLS_AES_256_GCM_SHA384"),
    (["-tls1_3", "-groups", "P-256"], "TLS_AES_256_GCM_SHA384"),
    (["-tls1_3", "-groups", "P-384"], "TLS_AES_256_GCM_SHA384"),
    (["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], "ECDHE-RSA-AES128-GCM-SHA256"),
    (["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"], "ECDHE-RSA-AES256-GCM-SHA384"),
])
def test_allowed_handshakes(live_bank, client_cert, listener, args, suite):
    output = _s_client(live_bank, listener, *args,
                       cert=client_cert if listener == "mtls" else None)
    assert _negotiated(output) == suite, output[-800:]
    assert "Compression: NONE" in output


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize("args", [
    pytest.param(["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"], id="TLS1.0"),
    pytest.param(["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"], id="TLS1.1"),
    pytest.param(["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"], id="CBC-SHA256"),
    pytest.param(["-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA"], id="CBC-SHA"),
    pytest.param(["-tls1_2", "-cipher", "AES128-GCM-SHA256"], id="RSA-key-exchange"),
    pytest.param(["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"], id="finite-field-DHE"),
    pytest.param(["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"], id="CHACHA-TLS1.2"),
    pytest.param(["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
                 id="CHACHA-TLS1.3"),
    pytest.param(["-tls1_3", "-groups", "X448"], id="X448"),
    pytest.param(["-tls1_3", "-groups", "P-521"], id="P-521"),
    pytest.param(["-tls1_3", "-groups", "ffdhe2048"], id="ffdhe2048"),
])
def test_refused_handshakes(live_bank, client_cert, listener, args):
    output = _s_client(live_bank, listener, *args,
                       cert=client_cert if listener == "mtls" else None)
    assert _negotiated(output) is None, output[-800:]


def test_the_public_listener_never_asks_for_a_certificate(live_bank):
    output = _s_client(live_bank, "public", "-tls1_2")
    assert _negotiated(output)
    assert "No client certificate CA names sent" in output
    body = requests.get(f"{live_bank.url}/jwks", verify=str(live_bank.ca), timeout=10)
    assert body.status_code == 200


def test_the_mtls_listener_refuses_a_handshake_without_a_certificate(live_bank):
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(f"{live_bank.mtls_url}/token", verify=str(live_bank.ca), timeout=10)
    assert _negotiated(_s_client(live_bank, "mtls", "-tls1_2")) is None


def test_the_mtls_listener_refuses_a_certificate_from_another_ca(live_bank, tmp_path):
    other = bank_pki.PkiLayout(tmp_path / "other")
    bank_pki.private_dir(other.root)
    ca_key, ca_cert = bank_pki.ca_create(other)
    key_path, cert_path = tmp_path / "stranger.key", tmp_path / "stranger.pem"
    bank_pki.client_certificate_issue(ca_key=ca_key, ca_cert=ca_cert, common_name="Stranger",
                                      organisation="Elsewhere", key_path=key_path,
                                      cert_path=cert_path)
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(f"{live_bank.mtls_url}/token", verify=str(live_bank.ca), timeout=10,
                      cert=(str(cert_path), str(key_path)))


def test_the_mtls_listener_serves_a_certificate_from_the_trusted_ca(live_bank, client_cert):
    response = requests.post(f"{live_bank.mtls_url}/token", verify=str(live_bank.ca),
                             cert=client_cert.pair, timeout=10, data={"grant_type": "x"})
    assert response.status_code in {400, 401}
    assert response.json()["error"] in {"invalid_request", "invalid_client",
                                        "unsupported_grant_type"}


@pytest.mark.parametrize("listener", LISTENERS)
def test_renegotiation_is_refused(live_bank, client_cert, listener):
    url = live_bank.url if listener == "public" else live_bank.mtls_url
    parts = urlsplit(url)
    command = ["openssl", "s_client", "-connect", f"{parts.hostname}:{parts.port}", "-tls1_2",
               "-CAfile", str(live_bank.ca)]
    if listener == "mtls":
        command += ["-cert", str(client_cert.cert), "-key", str(client_cert.key)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as client:
        output, _ = client.communicate("R\n", timeout=20)  # "R": ask to renegotiate
    assert "RENEGOTIATING" in output
    assert "no renegotiation" in output, output[-600:]


@pytest.mark.parametrize("listener", LISTENERS)
def test_no_server_header(live_bank, client_cert, listener):
    url = live_bank.url if listener == "public" else live_bank.mtls_url
    response = requests.get(f"{url}/static/consent/consent.css", verify=str(live_bank.ca),
                            cert=client_cert.pair if listener == "mtls" else None, timeout=10)
    assert response.status_code == 200
    assert "Server" not in response.headers
