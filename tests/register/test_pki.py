"""`manage.py pki`: the demo CA, certificates and keys (security/pki.py)."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store
from django.core.management import call_command
from django.core.management.base import CommandError

from bank.register_mock.keys import register_jwks
from security.oauth import signing_keys


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def pki_dirs(tmp_path, settings):
    root = tmp_path / "pki"
    settings.BANK_SIGNING_KEYS_DIR = str(tmp_path / "signing")
    settings.BANK_MOCK_REGISTER_KEYS_DIR = str(tmp_path / "register")
    yield root, tmp_path / "signing", tmp_path / "register"
    signing_keys.clear_cache()  # the session's own test keys again


def _init(root: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("pki", "init", "--dir", str(root), *args, stdout=out)
    return out.getvalue()


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_init_creates_private_keys_0600_in_0700_directories(pki_dirs):
    root, signing, register = pki_dirs
    _init(root)
    keys = [root / "ca/ca.key", root / "server/server.key", root / "recipient/client.key",
            *signing.glob("*.pem"), *register.glob("*.pem")]
    assert len(keys) == 6  # CA, server, client, PS256 + ES256 signing, Register
    for key in keys:
        assert _mode(key) == 0o600, key
        assert b"PRIVATE KEY" in key.read_bytes()
    for directory in (root, root / "ca", root / "server", root / "recipient", signing, register):
        assert _mode(directory) == 0o700, directory


def test_init_makes_a_ca_whose_client_certificate_is_for_client_auth_only(pki_dirs):
    root, _, _ = pki_dirs
    _init(root)
    ca, client = _cert(root / "ca/ca.pem"), _cert(root / "recipient/client.pem")
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    client.verify_directly_issued_by(ca)
    eku = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert client.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == \
        "Consumer Data Right"
    assert client.public_key().key_size == 2048  # CDS CSR profile
    # A full RFC 5280 path validation, as a TLS server checking a client would do it. The CDS
    # client profile has no SAN (CN = software product), which the web PKI defaults require.
    leaf_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    verifier = (PolicyBuilder().store(Store([ca]))
                .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                    ee_policy=leaf_policy)
                .build_client_verifier())
    verified = verifier.verify(client, [])
    assert verified.chain[-1] == ca


def test_init_makes_a_localhost_server_certificate(pki_dirs):
    root, _, _ = pki_dirs
    _init(root)
    ca, server = _cert(root / "ca/ca.pem"), _cert(root / "server/server.pem")
    verifier = PolicyBuilder().store(Store([ca])).build_server_verifier(x509.DNSName("localhost"))
    verifier.verify(server, [])
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}


def test_init_makes_keys_the_bank_and_the_mock_register_load(pki_dirs):
    root, _, _ = pki_dirs
    _init(root)
    signing_keys.clear_cache()
    assert {k.alg for k in signing_keys.signing_keys()} == {"PS256", "ES256"}
    assert register_jwks()["keys"][0]["alg"] == "PS256"


def test_init_is_idempotent_and_force_recreates(pki_dirs):
    root, signing, _ = pki_dirs
    _init(root)
    ca_before = (root / "ca/ca.pem").read_bytes()
    assert "nothing to do" in _init(root)
    assert (root / "ca/ca.pem").read_bytes() == ca_before
    assert len(list(signing.glob("*.pem"))) == 2

    (root / "server/server.pem").unlink()
    assert "server.pem" in _init(root)  # only the missing piece comes back
    assert (root / "ca/ca.pem").read_bytes() == ca_before

    _init(root, "--force")
    assert (root / "ca/ca.pem").read_bytes() != ca_before
    _cert(root / "server/server.pem").verify_directly_issued_by(_cert(root / "ca/ca.pem"))
    # A new signing pair becomes active; the old one stays published for live tokens.
    assert len(list(signing.glob("*.pem"))) == 4


def test_issue_client_signs_a_client_certificate_with_the_ca(pki_dirs, tmp_path):
    root, _, _ = pki_dirs
    _init(root)
    out_dir = tmp_path / "adr"
    out = io.StringIO()
    call_command("pki", "issue-client", "--cn", "Budget Buddy", "--org", "Buddy Brand",
                 "--out", str(out_dir), "--dir", str(root), stdout=out)
    cert, ca = _cert(out_dir / "client.pem"), _cert(out_dir / "ca.pem")
    assert ca == _cert(root / "ca/ca.pem")
    cert.verify_directly_issued_by(ca)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Budget Buddy"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Buddy Brand"
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH]
    assert _mode(out_dir / "client.key") == 0o600 and _mode(out_dir) == 0o700

    with pytest.raises(CommandError, match="already holds"):
        call_command("pki", "issue-client", "--cn", "X", "--out", str(out_dir), "--dir",
                     str(root), stdout=io.StringIO())


def test_issue_client_needs_a_ca(pki_dirs, tmp_path):
    root, _, _ = pki_dirs
    with pytest.raises(CommandError, match="pki init"):
        call_command("pki", "issue-client", "--cn", "X", "--out", str(tmp_path / "o"),
                     "--dir", str(root), stdout=io.StringIO())


def test_pki_refuses_production(settings, tmp_path):
    settings.BANK_ENVIRONMENT = "prod"
    with pytest.raises(CommandError, match="production"):
        call_command("pki", "init", "--dir", str(tmp_path), stdout=io.StringIO())
