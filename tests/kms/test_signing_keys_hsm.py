"""The authorization server's signing keys inside the HSM (BANK_SIGNING_KEYS_SOURCE=key-manager).

The keys are made in SoftHSM2 by `manage.py signing_keys rotate`, sign every JWT the bank
issues through C_Sign, verify with an independent JOSE library (Authlib) against the published
JWKS, cannot be read out of the token, rotate and retire without breaking verification.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from joserfc import jws as joserfc_jws
from joserfc.jwk import KeySet

from security.kms import KeyManagerError, key_manager_reset
from security.models import AuditEvent
from security.oauth import jose, signing_keys

pytestmark = [pytest.mark.hsm, pytest.mark.django_db]


def _destroy_all_signing_keys(manager: Any) -> None:
    for label, _ in manager.signing_keys_public():
        manager.signing_key_destroy(label)


@pytest.fixture
def hsm_signing(softhsm: Any, settings: Any) -> Iterator[Any]:
    """Settings that sign in the session's SoftHSM2 token, which starts with no signing key."""
    for name, value in softhsm.settings.items():
        setattr(settings, name, value)
    settings.BANK_SIGNING_KEYS_SOURCE = "key-manager"
    settings.BANK_SIGNING_KEYS_ACTIVE = {}
    key_manager_reset()
    manager = softhsm.manager()
    _destroy_all_signing_keys(manager)
    signing_keys.clear_cache()
    yield manager
    _destroy_all_signing_keys(manager)
    key_manager_reset()
    signing_keys.clear_cache()


def _command(*args: str) -> str:
    out = StringIO()
    call_command("signing_keys", *args, stdout=out)
    return out.getvalue()


def _authlib_verify(token: str, alg: str) -> dict[str, Any]:
    """Verify with joserfc, a JOSE implementation independent of the bank's (jwcrypto)."""
    published = KeySet.import_key_set(signing_keys.public_jwks())  # type: ignore[arg-type]
    verified = joserfc_jws.deserialize_compact(token, published, algorithms=[alg])
    return dict(json.loads(verified.payload))


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
def test_tokens_signed_in_the_hsm_verify_against_the_published_jwks(hsm_signing, alg):
    _command("rotate")
    claims = {"iss": "https://bank.example", "sub": "x", "exp": 4_000_000_000}
    token = jose.sign(claims, alg=alg, typ="JWT")

    header, _ = jose.unverified_header_and_claims(token)
    assert header == {"alg": alg, "kid": signing_keys.active_key(alg).kid, "typ": "JWT"}
    assert header["kid"].startswith(alg.lower() + "-")
    assert _authlib_verify(token, alg) == claims
    assert jose.verify(token, keys=jose.keyset(signing_keys.public_jwks()),
                       algs=[alg]) == claims

    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(jose.JoseError):
        jose.verify(tampered, keys=jose.keyset(signing_keys.public_jwks()), algs=[alg])


def test_the_published_jwks_has_one_rsa_3072_and_one_p256_key_and_no_private_part(hsm_signing):
    _command("rotate")
    keys = signing_keys.public_jwks()["keys"]
    assert sorted((k["alg"], k["kty"], k["use"]) for k in keys) == [
        ("ES256", "EC", "sig"), ("PS256", "RSA", "sig")]
    rsa = next(k for k in keys if k["kty"] == "RSA")
    ec = next(k for k in keys if k["kty"] == "EC")
    assert jose._rsa_bits(rsa) == 3072
    assert ec["crv"] == "P-256"
    for key in keys:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_private_keys_cannot_leave_the_token(hsm_signing):
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.exceptions import AttributeSensitive

    _command("rotate")
    with hsm_signing.locked_session() as session:
        private = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
        assert len(private) == 2
        for key in private:
            flags = key.get_attributes([
                Attribute.SENSITIVE, Attribute.ALWAYS_SENSITIVE, Attribute.EXTRACTABLE,
                Attribute.NEVER_EXTRACTABLE, Attribute.MODIFIABLE, Attribute.SIGN,
                Attribute.DECRYPT, Attribute.UNWRAP])
            assert flags == {
                Attribute.SENSITIVE: True, Attribute.ALWAYS_SENSITIVE: True,
                Attribute.EXTRACTABLE: False, Attribute.NEVER_EXTRACTABLE: True,
                Attribute.MODIFIABLE: False, Attribute.SIGN: True, Attribute.DECRYPT: False,
                Attribute.UNWRAP: False}
            secret = Attribute.PRIVATE_EXPONENT if key.key_type.name == "RSA" else Attribute.VALUE
            with pytest.raises(AttributeSensitive):
                key[secret]


def test_rotate_then_retire_keeps_old_tokens_verifying_until_retired(hsm_signing, monkeypatch):
    from security.oauth.management.commands import signing_keys as command

    stamps = iter(["2026-01-01-000000", "2026-02-01-000000"])

    class Clock:
        @staticmethod
        def now(tz: Any) -> Any:
            class Stamp:
                def strftime(self, fmt: str) -> str:
                    return next(stamps)
            return Stamp()

    monkeypatch.setattr(command, "datetime", Clock)
    _command("rotate")
    old = jose.sign({"exp": 4_000_000_000}, alg="ES256")
    listing = _command("rotate")
    assert "es256-2026-02-01-000000\tES256\tactive" in listing
    assert "es256-2026-01-01-000000\tES256\tretiring" in listing
    new = jose.sign({"exp": 4_000_000_000}, alg="ES256")
    assert jose.unverified_header_and_claims(new)[0]["kid"] == "es256-2026-02-01-000000"
    both = jose.keyset(signing_keys.public_jwks())
    assert jose.verify(old, keys=both) and jose.verify(new, keys=both)

    with pytest.raises(CommandError, match="active ES256 key"):
        _command("retire", "es256-2026-02-01-000000")
    _command("retire", "es256-2026-01-01-000000")
    assert "es256-2026-01-01-000000" not in {label for label, _ in
                                              hsm_signing.signing_keys_public()}
    remaining = jose.keyset(signing_keys.public_jwks())
    with pytest.raises(jose.JoseError, match="no key with this kid"):
        jose.verify(old, keys=remaining)
    assert jose.verify(new, keys=remaining)
    events = AuditEvent.objects.filter(subject_type="signing_key")
    assert sorted(events.values_list("event_type", "subject_id")) == sorted(
        [("SIGNING_KEY_CREATED", f"{alg}-{stamp}") for alg in ("ps256", "es256")
         for stamp in ("2026-01-01-000000", "2026-02-01-000000")]
        + [("SIGNING_KEY_RETIRED", "es256-2026-01-01-000000")])


def test_the_jwks_endpoint_publishes_the_hsm_keys(hsm_signing, client):
    _command("rotate")
    response = client.get("/jwks")
    assert response.status_code == 200
    assert {k["kid"] for k in response.json()["keys"]} == {
        label for label, _ in hsm_signing.signing_keys_public()}


def test_a_destroyed_key_fails_closed(hsm_signing):
    _command("rotate")
    kid = signing_keys.active_key("PS256").kid
    hsm_signing.signing_key_destroy(kid)  # behind the cached key list's back
    with pytest.raises(KeyManagerError):
        jose.sign({"exp": 4_000_000_000}, alg="PS256")


def test_labels_must_name_an_algorithm(hsm_signing):
    for label in ("rs256-x", "ps256-", "ps256", "../ps256-x"):
        with pytest.raises(KeyManagerError):
            hsm_signing.signing_key_create(label)


def test_the_local_key_manager_cannot_hold_signing_keys(settings, tmp_path):
    settings.BANK_KEY_MANAGER = "local"
    settings.BANK_LOCAL_KEYS_DIR = str(tmp_path)
    settings.BANK_SIGNING_KEYS_SOURCE = "key-manager"
    key_manager_reset()
    signing_keys.clear_cache()
    try:
        with pytest.raises(ImproperlyConfigured, match="BANK_KEY_MANAGER=pkcs11"):
            signing_keys.signing_keys()
    finally:
        key_manager_reset()
        signing_keys.clear_cache()


def test_production_settings_sign_in_the_hsm_by_default(hsm_signing, softhsm):
    """`check --deploy` on the production settings finds its signing keys in the token."""
    import os
    import subprocess
    import sys

    from tests.test_settings import GOOD_PROD_ENV, ROOT

    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith(("DJANGO_", "BANK_")) and k not in {"DATABASE_URL", "REDIS_URL"}},
           **GOOD_PROD_ENV, **softhsm.settings, "DJANGO_SETTINGS_MODULE": "bank.settings.prod"}
    assert "BANK_SIGNING_KEYS_SOURCE" not in env and "SOFTHSM2_CONF" in env

    def deploy_check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    empty = deploy_check()
    assert empty.returncode != 0 and "bank.E010" in empty.stdout + empty.stderr
    _command("rotate")
    env["BANK_SIGNING_KEYS_ACTIVE"] = ",".join(
        f"{alg}={signing_keys.active_key(alg).kid}" for alg in ("PS256", "ES256"))
    ready = deploy_check()
    assert ready.returncode == 0, ready.stdout + ready.stderr


def _plant_imported_rsa_key(manager: Any, label: str) -> Any:
    """An RSA key made in software and imported under a signing label, as someone who once had
    the PIN could: the token marks it not LOCAL, not NEVER_EXTRACTABLE, not ALWAYS_SENSITIVE."""
    import secrets

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pkcs11 import Attribute, KeyType, ObjectClass
    from pkcs11.util.rsa import decode_rsa_private_key, decode_rsa_public_key

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    private_der = key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    public_der = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.PKCS1)
    key_id = secrets.token_bytes(16)
    with manager.locked_session() as session:
        session.create_object({**decode_rsa_private_key(private_der),
                               Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                               Attribute.KEY_TYPE: KeyType.RSA, Attribute.LABEL: label,
                               Attribute.ID: key_id, Attribute.TOKEN: True,
                               Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                               Attribute.EXTRACTABLE: False, Attribute.SIGN: True})
        session.create_object({**decode_rsa_public_key(public_der),
                               Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                               Attribute.KEY_TYPE: KeyType.RSA, Attribute.LABEL: label,
                               Attribute.ID: key_id, Attribute.TOKEN: True,
                               Attribute.VERIFY: True})
    return key


def test_a_key_imported_into_the_token_is_never_published_or_used(hsm_signing):
    _command("rotate")
    genuine = signing_keys.active_key("PS256").kid
    _plant_imported_rsa_key(hsm_signing, "ps256-2099-12-31-235959")  # sorts after the genuine
    signing_keys.clear_cache()
    assert "ps256-2099-12-31-235959" not in {k["kid"] for k in
                                             signing_keys.public_jwks()["keys"]}
    assert signing_keys.active_key("PS256").kid == genuine
    from security.kms import KeyNotFound

    with pytest.raises(KeyNotFound):
        hsm_signing.sign("ps256-2099-12-31-235959", b"payload")
    # Cleaned up by the fixture only through the labels it can see: remove it here.
    hsm_signing.signing_key_destroy("ps256-2099-12-31-235959")


def test_a_named_active_kid_that_is_not_in_the_token_fails_closed(hsm_signing, settings):
    _command("rotate")
    settings.BANK_SIGNING_KEYS_ACTIVE = {"PS256": "ps256-2099-01-01-000000"}
    signing_keys.clear_cache()
    with pytest.raises(ImproperlyConfigured):
        jose.sign({"exp": 4_000_000_000}, alg="PS256")
