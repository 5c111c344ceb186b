"""Both key managers, one contract: wrap/unwrap, authentication, labels, crypto-shredding."""

from __future__ import annotations

import os
import threading

import pytest

from security.kms import KeyExists, KeyManagerError, KeyNotFound, UnwrapFailed
from security.kms.base import NONCE_BYTES, TAG_BYTES
from tests.kms.conftest import new_label

DEK = os.urandom(32)
AAD = b"bank-dek|k0123456789abcdef|customer"


def test_round_trip(manager):
    label = new_label()
    manager.kek_create(label)
    blob = manager.wrap(label, DEK, aad=AAD)
    assert len(blob) == NONCE_BYTES + len(DEK) + TAG_BYTES
    assert DEK not in blob
    assert manager.unwrap(label, blob, aad=AAD) == DEK
    assert manager.unwrap(label, memoryview(blob), aad=AAD) == DEK  # PostgreSQL's BinaryField


def test_each_wrap_has_its_own_nonce(manager):
    label = new_label()
    manager.kek_create(label)
    first, second = manager.wrap(label, DEK, aad=AAD), manager.wrap(label, DEK, aad=AAD)
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert first != second


def test_empty_aad_is_still_authenticated(manager):
    label = new_label()
    manager.kek_create(label)
    blob = manager.wrap(label, DEK, aad=b"")
    assert manager.unwrap(label, blob, aad=b"") == DEK
    with pytest.raises(UnwrapFailed):
        manager.unwrap(label, blob, aad=b"x")


def test_wrong_aad_fails(manager):
    label = new_label()
    manager.kek_create(label)
    blob = manager.wrap(label, DEK, aad=AAD)
    with pytest.raises(UnwrapFailed):
        manager.unwrap(label, blob, aad=AAD + b"-other-row")
    assert manager.unwrap(label, blob, aad=AAD) == DEK  # the failure left nothing behind


def test_wrong_kek_fails(manager):
    first, second = new_label(), new_label()
    manager.kek_create(first)
    manager.kek_create(second)
    blob = manager.wrap(first, DEK, aad=AAD)
    with pytest.raises(UnwrapFailed):
        manager.unwrap(second, blob, aad=AAD)


@pytest.mark.parametrize("where", [0, NONCE_BYTES, NONCE_BYTES + 5, -1])
def test_tampered_blob_fails(manager, where):
    label = new_label()
    manager.kek_create(label)
    blob = bytearray(manager.wrap(label, DEK, aad=AAD))
    blob[where] ^= 0x01
    with pytest.raises(UnwrapFailed):
        manager.unwrap(label, bytes(blob), aad=AAD)


@pytest.mark.parametrize("cut", [1, TAG_BYTES, TAG_BYTES + len(DEK)])
def test_truncated_blob_fails(manager, cut):
    label = new_label()
    manager.kek_create(label)
    blob = manager.wrap(label, DEK, aad=AAD)
    with pytest.raises(UnwrapFailed):
        manager.unwrap(label, blob[:-cut], aad=AAD)
    with pytest.raises(UnwrapFailed):
        manager.unwrap(label, b"", aad=AAD)


def test_unknown_label(manager):
    label = new_label()
    assert not manager.kek_exists(label)
    with pytest.raises(KeyNotFound):
        manager.wrap(label, DEK, aad=AAD)
    with pytest.raises(KeyNotFound):
        manager.unwrap(label, os.urandom(60), aad=AAD)


def test_destroyed_kek_shreds_what_it_wrapped(manager):
    label = new_label()
    manager.kek_create(label)
    blob = manager.wrap(label, DEK, aad=AAD)
    manager.kek_destroy(label)
    assert not manager.kek_exists(label)
    with pytest.raises(KeyNotFound):
        manager.unwrap(label, blob, aad=AAD)
    manager.kek_destroy(label)  # idempotent
    # A new KEK under the same label is a different key: the old blob stays unreadable.
    manager.kek_create(label)
    with pytest.raises(UnwrapFailed):
        manager.unwrap(label, blob, aad=AAD)


def test_create_twice_is_refused(manager):
    label = new_label()
    manager.kek_create(label)
    blob = manager.wrap(label, DEK, aad=AAD)
    with pytest.raises(KeyExists):
        manager.kek_create(label)
    assert isinstance(KeyExists("x"), KeyManagerError)
    assert manager.unwrap(label, blob, aad=AAD) == DEK  # the original KEK is untouched


def test_kek_labels(manager):
    labels = [new_label("b"), new_label("a"), new_label("c")]
    for label in labels:
        manager.kek_create(label)
    listed = manager.kek_labels()
    assert listed == sorted(listed)
    assert set(labels) <= set(listed)
    manager.kek_destroy(labels[0])
    assert labels[0] not in manager.kek_labels()
    assert set(labels[1:]) <= set(manager.kek_labels())


@pytest.mark.parametrize(
    "label", ["", "../escape", "a/b", ".hidden", "-dash", "x" * 65, "spa ce", "ünicode", "a\x00b"]
)
def test_invalid_labels_are_refused(manager, label):
    with pytest.raises(KeyManagerError):
        manager.kek_create(label)
    with pytest.raises(KeyManagerError):
        manager.wrap(label, DEK, aad=AAD)
    with pytest.raises(KeyManagerError):
        manager.kek_destroy(label)


def test_the_longest_label_the_column_holds(manager):
    label = new_label("x" * 47)
    assert len(label) == 64
    manager.kek_create(label)
    assert manager.unwrap(label, manager.wrap(label, DEK, aad=AAD), aad=AAD) == DEK


@pytest.mark.parametrize(("key", "aad"), [(b"", AAD), ("text", AAD), (DEK, "text")])
def test_wrap_wants_bytes(manager, key, aad):
    label = new_label()
    manager.kek_create(label)
    with pytest.raises(KeyManagerError):
        manager.wrap(label, key, aad=aad)


def test_threads_share_a_manager(manager):
    """gunicorn gthread: several threads wrap and unwrap at once through one manager."""
    label = new_label()
    manager.kek_create(label)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                aad = f"row-{n}-{i}".encode()
                key = os.urandom(32)
                assert manager.unwrap(label, manager.wrap(label, key, aad=aad), aad=aad) == key
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
