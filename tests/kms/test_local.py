"""The demo's file-backed key manager: permissions, ownership, and files it refuses."""

from __future__ import annotations

import os
import stat

import pytest

from security.kms import KeyManagerError, KeyNotFound
from security.kms.local import LocalKeyManager

DEK = os.urandom(32)
AAD = b"bank-dek|k00|test"


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_directory_0700_and_files_0600_whatever_the_umask(tmp_path):
    directory = tmp_path / "keys"
    previous = os.umask(0)
    try:
        LocalKeyManager(directory).kek_create("kek-a")
    finally:
        os.umask(previous)
    assert mode(directory) == 0o700
    assert mode(directory / "kek-a.kek") == 0o600
    assert (directory / "kek-a.kek").stat().st_size == 32


def test_the_file_holds_a_random_kek_and_nothing_else(tmp_path):
    manager = LocalKeyManager(tmp_path / "keys")
    manager.kek_create("a")
    manager.kek_create("b")
    blob = manager.wrap("a", DEK, aad=AAD)
    kek_a = (tmp_path / "keys" / "a.kek").read_bytes()
    kek_b = (tmp_path / "keys" / "b.kek").read_bytes()
    assert len(kek_a) == 32 and kek_a != kek_b
    assert DEK not in kek_a
    assert kek_a not in blob and DEK not in blob


def test_another_instance_on_the_same_directory_unwraps(tmp_path):
    blob_writer = LocalKeyManager(tmp_path / "keys")
    blob_writer.kek_create("shared")
    blob = blob_writer.wrap("shared", DEK, aad=AAD)
    reader = LocalKeyManager(str(tmp_path / "keys"))
    assert reader.kek_labels() == ["shared"]
    assert reader.unwrap("shared", blob, aad=AAD) == DEK
    blob_writer.kek_destroy("shared")  # no cache: the other instance loses it at once
    with pytest.raises(KeyNotFound):
        reader.unwrap("shared", blob, aad=AAD)


def test_destroy_removes_the_file(tmp_path):
    manager = LocalKeyManager(tmp_path / "keys")
    manager.kek_create("gone")
    manager.kek_destroy("gone")
    assert not (tmp_path / "keys" / "gone.kek").exists()
    assert manager.kek_labels() == []


def test_a_missing_directory_is_not_created_by_reads(tmp_path):
    manager = LocalKeyManager(tmp_path / "absent")
    assert manager.kek_labels() == []
    assert not manager.kek_exists("a")
    with pytest.raises(KeyNotFound):
        manager.wrap("a", DEK, aad=AAD)
    manager.kek_destroy("a")
    assert not (tmp_path / "absent").exists()


def test_an_open_directory_is_refused(tmp_path):
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    with pytest.raises(KeyManagerError, match="0700"):
        LocalKeyManager(directory).kek_create("a")
    assert list(directory.iterdir()) == []


@pytest.mark.parametrize("loose", [0o640, 0o604, 0o660])
def test_a_kek_file_others_can_read_is_refused(tmp_path, loose):
    manager = LocalKeyManager(tmp_path / "keys")
    manager.kek_create("a")
    blob = manager.wrap("a", DEK, aad=AAD)
    (tmp_path / "keys" / "a.kek").chmod(loose)
    with pytest.raises(KeyManagerError, match="0600") as caught:
        manager.unwrap("a", blob, aad=AAD)
    assert not isinstance(caught.value, KeyNotFound)


def test_a_symlinked_kek_is_refused(tmp_path):
    manager = LocalKeyManager(tmp_path / "keys")
    manager.kek_create("real")
    (tmp_path / "keys" / "alias.kek").symlink_to(tmp_path / "keys" / "real.kek")
    with pytest.raises(KeyManagerError):
        manager.wrap("alias", DEK, aad=AAD)


@pytest.mark.parametrize("size", [0, 31, 33])
def test_a_kek_file_of_the_wrong_size_is_refused(tmp_path, size):
    manager = LocalKeyManager(tmp_path / "keys")
    manager.kek_create("a")
    path = tmp_path / "keys" / "a.kek"
    path.write_bytes(os.urandom(size))
    with pytest.raises(KeyManagerError, match="32 bytes"):
        manager.wrap("a", DEK, aad=AAD)


def test_a_failed_create_leaves_no_short_key(tmp_path, monkeypatch):
    manager = LocalKeyManager(tmp_path / "keys")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        manager.kek_create("a")
    assert not (tmp_path / "keys" / "a.kek").exists()


def test_labels_ignore_other_files(tmp_path):
    manager = LocalKeyManager(tmp_path / "keys")
    manager.kek_create("good")
    for stray in ("README", ".kek", "bad name.kek", "x.kek.bak"):
        (tmp_path / "keys" / stray).write_bytes(b"")
    assert manager.kek_labels() == ["good"]


def test_repr_names_the_directory_only(tmp_path):
    manager = LocalKeyManager(tmp_path / "keys")
    manager.kek_create("a")
    assert repr(manager) == f"LocalKeyManager({str(tmp_path / 'keys')!r})"
