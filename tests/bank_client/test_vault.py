"""The client's token vault (bank_client/vault.py): encrypted, bound to the client, fails closed."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from bank_client.vault import PASSPHRASE_ENV, TokenVault, VaultError

TOKENS = {"access_token": "at-secret-value", "refresh_token": "rt-secret-value",
          "cdr_arrangement_id": "arr-1", "expires_at": 1, "scope": "openid", "auth_time": 1}


@pytest.fixture(params=["key", "scrypt"])
def mode(request, monkeypatch):
    if request.param == "scrypt":
        monkeypatch.setenv(PASSPHRASE_ENV, "a long passphrase")
    else:
        monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    return request.param


def test_round_trip_without_clear_text_on_disk(tmp_path, mode):
    vault = TokenVault(tmp_path / "tokens.enc", client_id="client-1")
    assert vault.load() is None
    vault.save(TOKENS)
    raw = (tmp_path / "tokens.enc").read_bytes()
    assert b"secret-value" not in raw and b"arr-1" not in raw
    assert json.loads(raw)["kdf"] == mode
    assert stat.S_IMODE((tmp_path / "tokens.enc").stat().st_mode) == 0o600
    if mode == "key":
        assert stat.S_IMODE((tmp_path / "vault.key").stat().st_mode) == 0o600
    else:
        assert not (tmp_path / "vault.key").exists()
    assert TokenVault(tmp_path / "tokens.enc", client_id="client-1").load() == TOKENS


def test_fresh_nonce_every_save(tmp_path, mode):
    vault = TokenVault(tmp_path / "tokens.enc", client_id="client-1")
    vault.save(TOKENS)
    first = json.loads((tmp_path / "tokens.enc").read_text())
    vault.save(TOKENS)
    second = json.loads((tmp_path / "tokens.enc").read_text())
    assert first["nonce"] != second["nonce"] and first["ciphertext"] != second["ciphertext"]


def test_another_clients_vault_does_not_open(tmp_path, mode):
    TokenVault(tmp_path / "tokens.enc", client_id="client-1").save(TOKENS)
    with pytest.raises(VaultError, match="does not open"):
        TokenVault(tmp_path / "tokens.enc", client_id="client-2").load()


@pytest.mark.parametrize("field", ["ciphertext", "nonce", "salt"])
def test_tampering_is_detected(tmp_path, mode, field):
    vault = TokenVault(tmp_path / "tokens.enc", client_id="client-1")
    vault.save(TOKENS)
    envelope = json.loads((tmp_path / "tokens.enc").read_text())
    raw = bytearray(base64.b64decode(envelope[field]))
    raw[0] ^= 1
    envelope[field] = base64.b64encode(bytes(raw)).decode()
    (tmp_path / "tokens.enc").write_text(json.dumps(envelope))
    if field == "salt" and mode == "key":
        assert vault.load() == TOKENS  # the salt only feeds scrypt
        return
    with pytest.raises(VaultError, match="does not open"):
        vault.load()


def test_wrong_or_missing_passphrase(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, "right")
    vault = TokenVault(tmp_path / "tokens.enc", client_id="c")
    vault.save(TOKENS)
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    with pytest.raises(VaultError, match="does not open"):
        vault.load()
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(VaultError, match=f"set {PASSPHRASE_ENV}"):
        vault.load()


def test_garbage_and_a_lost_key_are_errors_not_crashes(tmp_path, monkeypatch):
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    vault = TokenVault(tmp_path / "tokens.enc", client_id="c")
    (tmp_path / "tokens.enc").write_text("not json")
    with pytest.raises(VaultError, match="not a token vault"):
        vault.load()
    vault.save(TOKENS)
    (tmp_path / "vault.key").unlink()
    with pytest.raises(VaultError, match=r"vault\.key"):
        vault.load()
    (tmp_path / "vault.key").write_bytes(b"short")
    with pytest.raises(VaultError, match="256-bit"):
        vault.load()
