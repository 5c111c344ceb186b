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


def _csr(path: Path, *, cn: str = "Budget CLI", org: str = "CLI Brand", bits: int = 2048,
         ou: str | None = "Anything Else", key=None, ec: bool = False) -> Path:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec as ec_keys
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = key or (ec_keys.generate_private_key(ec_keys.SECP256R1()) if ec
                  else rsa.generate_private_key(public_exponent=65537, key_size=bits))
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else []
    attributes += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else []
    if ou:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes))
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
           .sign(key, hashes.SHA256()))
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    return path


def test_sign_csr_certifies_the_requesters_own_key_on_the_cdr_profile(pki_dirs, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    root, _, _ = pki_dirs
    _init(root)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = _csr(tmp_path / "req.csr", key=key)
    out = tmp_path / "client.pem"
    call_command("pki", "sign-csr", "--csr", str(csr), "--out", str(out), "--dir", str(root),
                 stdout=io.StringIO())
    cert = _cert(out)
    cert.verify_directly_issued_by(_cert(root / "ca/ca.pem"))
    assert cert.public_key() == key.public_key()
    # The CA sets the subject's OU and C and every extension; the CSR's CA=true is ignored.
    assert cert.subject.rfc4514_string() == (
        "CN=Budget CLI,OU=Consumer Data Right,O=CLI Brand,C=AU")
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH]


@pytest.mark.parametrize(("change", "problem"), [
    ({"bits": 1024}, "at least 2048"),
    ({"ec": True}, "RSA"),
    ({"cn": ""}, "CN"),
    ({"org": ""}, "O "),
    ({"cn": "tab\tname"}, "CN"),
])
def test_sign_csr_refuses_requests_off_the_profile(pki_dirs, tmp_path, change, problem):
    root, _, _ = pki_dirs
    _init(root)
    csr = _csr(tmp_path / "req.csr", **change)
    with pytest.raises(CommandError, match=problem):
        call_command("pki", "sign-csr", "--csr", str(csr), "--out", str(tmp_path / "c.pem"),
                     "--dir", str(root), stdout=io.StringIO())
    assert not (tmp_path / "c.pem").exists()


def test_sign_csr_refuses_a_forged_or_garbled_request(pki_dirs, tmp_path):
    root, _, _ = pki_dirs
    _init(root)
    csr = _csr(tmp_path / "req.csr")
    pem = csr.read_bytes()
    # Flip one byte inside the DER (the signature no longer verifies, or it no longer parses).
    import base64
    body = pem.split(b"-----")[2]
    der = bytearray(base64.b64decode(b"".join(body.split())))
    der[-10] ^= 0x01
    (tmp_path / "bad.csr").write_bytes(
        b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der))
        + b"-----END CERTIFICATE REQUEST-----\n")
    (tmp_path / "junk.csr").write_bytes(b"not a csr")
    for name in ("bad.csr", "junk.csr"):
        with pytest.raises(CommandError, match="Not signed"):
            call_command("pki", "sign-csr", "--csr", str(tmp_path / name), "--out",
                         str(tmp_path / "c.pem"), "--dir", str(root), stdout=io.StringIO())
    assert not (tmp_path / "c.pem").exists()


def test_issue_client_needs_a_ca(pki_dirs, tmp_path):
    root, _, _ = pki_dirs
    with pytest.raises(CommandError, match="pki init"):
        call_command("pki", "issue-client", "--cn", "X", "--out", str(tmp_path / "o"),
                     "--dir", str(root), stdout=io.StringIO())


def test_pki_refuses_production(settings, tmp_path):
    settings.BANK_ENVIRONMENT = "prod"
    with pytest.raises(CommandError, match="production"):
        call_command("pki", "init", "--dir", str(tmp_path), stdout=io.StringIO())
