"""Data keys in use: created, unwrapped (through the key manager) and cached in memory only.

Ciphertext format (text, so it fits any column and survives dumps and copies):

    e1.<key_id>.<base64url(nonce(12) || AES-256-GCM ciphertext || tag(16))>

`e1` names the format; `key_id` names the DEK (security/encryption/models.py). The
associated data binds the ciphertext to where it belongs, `<table>.<column>` and the row's
`row_key` (fields.py), and to its key id, so a ciphertext copied to another row or column,
or relabelled with another key id, fails authentication instead of decrypting.

Unwrapped DEKs live in a process-local dict, never in the database, the cache or a log. The
active DEK of a purpose is looked up again after `ACTIVE_KEY_TTL` seconds, so a rotation
reaches every process within that time; until then a process may still write with the
previous key, which stays readable (DECRYPT_ONLY) and is re-encrypted by the rotation job.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from security.encryption.models import DataKey
from security.kms import KeyManagerError, KeyNotFound, key_manager

FORMAT = "e1"
NONCE_BYTES = 12
DEK_BYTES = 32
ACTIVE_KEY_TTL = 5.0

Purpose = DataKey.Purpose
State = DataKey.State


class EncryptionError(Exception):
    """Base of everything that stops a value from being encrypted or decrypted."""


class DecryptionFailed(EncryptionError):
    """The stored value is not a ciphertext of ours, was altered or moved, or its key is
    unusable. Never answered with the ciphertext or an empty value."""


class KeyDestroyed(DecryptionFailed):
    """The value's key was crypto-shredded: the data is gone for good."""


@dataclass(frozen=True)
class Dek:
    key_id: str
    material: bytes = field(repr=False)  # never in a repr, a log or an error report


#: Seconds an unwrapped key stays cached before it is unwrapped again, which re-checks its
#: state: a key shredded or retired by another process stops working here within this time.
MATERIAL_TTL = 60.0

_lock = threading.Lock()
_material: dict[str, tuple[float, bytes]] = {}
_active: dict[tuple[str, uuid.UUID | None], tuple[float, Dek]] = {}


def keyring_forget() -> None:
    """Drop every cached key (tests; after a shred or a retirement in this process)."""
    with _lock:
        _material.clear()
        _active.clear()


def _aad(key_id: str, context: bytes) -> bytes:
    return f"{FORMAT}|{key_id}|".encode() + context


def dek_wrap_aad(key: DataKey | str, purpose: str) -> bytes:
    key_id = key if isinstance(key, str) else key.key_id
    return f"bank-dek|{key_id}|{purpose}".encode()


def _customer_kek_label(owner: uuid.UUID) -> str:
    return f"customer-{owner.hex}"


def master_kek_label() -> str:
    """The KEK wrapping non-customer DEKs: the one the newest such key uses (all of them,
    once a KEK rotation has finished), or a new one on first use."""
    newest = (DataKey.objects.exclude(purpose=Purpose.CUSTOMER)
              .exclude(state__in=[State.RETIRED, State.DESTROYED]).first())
    if newest is not None:
        return newest.kek_label
    label = f"master-{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"
    key_manager().kek_create(label)
    return label


@sensitive_variables()
def dek_create(*, purpose: str, owner: uuid.UUID | None = None, replace: bool = True) -> DataKey:
    """A new ACTIVE data key for `purpose`. With `replace` (a rotation) the previous active
    one becomes DECRYPT_ONLY; without it (first use) an existing active key makes the
    creation fail (IntegrityError) instead of being demoted: a race between two processes'
    first writes must not split a blind index or strand a key."""
    manager = key_manager()
    if purpose == Purpose.CUSTOMER:
        if owner is None:
            raise ValueError("A customer key needs its owner.")
        if DataKey.objects.filter(purpose=purpose, owner=owner, state=State.DESTROYED).exists():
            # An erased customer stays erased: a new key would quietly make new personal data
            # readable again (an admin adding a payee, a late write racing the erasure).
            raise KeyDestroyed("This customer was erased: nothing can be encrypted for them.")
        label = _customer_kek_label(owner)
        created_kek = not manager.kek_exists(label)
        if created_kek:
            manager.kek_create(label)
    else:
        label, created_kek = master_kek_label(), False
    key_id = "k" + secrets.token_hex(8)
    material = os.urandom(DEK_BYTES)
    with transaction.atomic():
        now = timezone.now()
        if replace:
            DataKey.objects.filter(purpose=purpose, owner=owner, state=State.ACTIVE).update(
                state=State.DECRYPT_ONLY, state_changed_at=now)
        key = DataKey.objects.create(
            key_id=key_id, purpose=purpose, owner=owner, kek_label=label,
            wrapped=manager.wrap(label, material, aad=dek_wrap_aad(key_id, purpose)),
            state=State.ACTIVE, state_changed_at=now,
        )
        if purpose == Purpose.CUSTOMER and DataKey.objects.filter(
                purpose=purpose, owner=owner, state=State.DESTROYED).exists():
            # The erasure committed between the check above and here (and may have destroyed
            # the KEK just before kek_create made a new one): undo both, stay erased.
            if created_kek:
                manager.kek_destroy(label)
            raise KeyDestroyed("This customer was erased: nothing can be encrypted for them.")
    with _lock:
        _active.pop((purpose, owner), None)

    def remember() -> None:  # only once the key exists for every process
        _remember(key_id, material)

    transaction.on_commit(remember)
    return key


def _remember(key_id: str, material: bytes) -> None:
    now = time.monotonic()
    with _lock:
        for stale in [k for k, (at, _) in _material.items() if now - at > MATERIAL_TTL]:
            del _material[stale]
        _material[key_id] = (now, material)


def dek_active(*, purpose: str, owner: uuid.UUID | None = None) -> Dek:
    """The key that encrypts new writes for `purpose` (created on first use)."""
    cache_key = (purpose, owner)
    cached = _active.get(cache_key)
    if cached is not None and time.monotonic() - cached[0] < ACTIVE_KEY_TTL:
        return cached[1]
    row = DataKey.objects.filter(purpose=purpose, owner=owner, state=State.ACTIVE).first()
    created = row is None
    if row is None:
        try:
            with transaction.atomic():
                row = dek_create(purpose=purpose, owner=owner, replace=False)
        except IntegrityError:  # another process created it first
            row = DataKey.objects.get(purpose=purpose, owner=owner, state=State.ACTIVE)
            created = False
    dek = Dek(row.key_id, _unwrap(row))
    if created and transaction.get_connection().in_atomic_block:
        # Not cached until the key's row commits: a rollback must not leave this process
        # sealing values with a key the database never got.
        transaction.on_commit(lambda: _cache_active(cache_key, dek))
    else:
        _cache_active(cache_key, dek)
    return dek


def _cache_active(cache_key: tuple[str, uuid.UUID | None], dek: Dek) -> None:
    with _lock:
        _active[cache_key] = (time.monotonic(), dek)


@sensitive_variables()
def dek_material(key_id: str) -> bytes:
    cached = _material.get(key_id)
    if cached is not None and time.monotonic() - cached[0] < MATERIAL_TTL:
        return cached[1]
    row = DataKey.objects.filter(key_id=key_id).first()
    if row is None:
        raise DecryptionFailed("The value names a key this bank does not have.")
    return _unwrap(row)


@sensitive_variables()
def _unwrap(row: DataKey) -> bytes:
    if row.state == State.DESTROYED:
        raise KeyDestroyed("The key of this value was destroyed.")
    if row.state == State.RETIRED or not row.wrapped:
        raise DecryptionFailed("The key of this value was retired.")
    try:
        material = key_manager().unwrap(row.kek_label, bytes(row.wrapped),
                                        aad=dek_wrap_aad(row, row.purpose))
    except KeyNotFound as exc:
        if row.purpose == Purpose.CUSTOMER:
            raise KeyDestroyed("The customer's key was destroyed.") from exc
        raise DecryptionFailed("The key-encryption key is missing.") from exc
    except KeyManagerError as exc:
        raise DecryptionFailed("The data key could not be unwrapped.") from exc
    _remember(row.key_id, material)
    return material


# --- values --------------------------------------------------------------------------------


@sensitive_variables()
def seal(plaintext: str, *, context: bytes, dek: Dek) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(dek.material).encrypt(nonce, plaintext.encode("utf-8"),
                                          _aad(dek.key_id, context))
    return f"{FORMAT}.{dek.key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(ciphertext: str) -> str:
    fmt, _, rest = ciphertext.partition(".")
    key_id, _, _ = rest.partition(".")
    if fmt != FORMAT or not key_id:
        raise DecryptionFailed("The stored value is not a ciphertext.")
    return key_id


@sensitive_variables()
def open_sealed(ciphertext: str, *, context: bytes) -> str:
    return _open(ciphertext, context, _cipher)


def sealed_opener() -> Callable[[str, bytes], str]:
    """`open_sealed` for a scan over many values (the transactions `text` filter): the same
    format, associated data and errors, but each key's AES-GCM context is set up once, for
    this opener only (that set-up costs as much as one decryption). Use one per scan and
    drop it: it keeps the keys it used, beyond the cache's expiry."""
    ciphers: dict[str, AESGCM] = {}

    def cipher(key_id: str) -> AESGCM:
        found = ciphers.get(key_id)
        if found is None:
            found = ciphers[key_id] = _cipher(key_id)
        return found

    def open_one(ciphertext: str, context: bytes) -> str:
        return _open(ciphertext, context, cipher)

    return open_one


def _cipher(key_id: str) -> AESGCM:
    return AESGCM(dek_material(key_id))


@sensitive_variables()
def _open(ciphertext: str, context: bytes, cipher: Callable[[str], AESGCM]) -> str:
    key_id = key_id_of(ciphertext)
    body = ciphertext[len(FORMAT) + len(key_id) + 2:]
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise DecryptionFailed("The stored value is not a ciphertext.") from exc
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionFailed("The stored value is not a ciphertext.")
    try:
        plaintext = cipher(key_id).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(key_id, context))
    except InvalidTag as exc:
        raise DecryptionFailed("The value was altered, moved or sealed with another key.") from exc
    return plaintext.decode("utf-8")
