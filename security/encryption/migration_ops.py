"""Data-migration steps for tables that gain encrypted fields: give every existing row its
`row_key`, then encrypt the plaintext already in the newly encrypted columns (and fill their
blind indexes), in batches, with the same keys and associated data the fields use; and, for
columns whose key changes (e.g. from the bank's field key to the row customer's own key),
re-seal the existing ciphertexts under the new key (`reseal_existing`).

Raw SQL on purpose: the historical models of a migration cannot run the encrypting fields'
code, and the values must be read exactly as stored (plaintext, before this migration).
Idempotent: a value that is already a ciphertext (for `encrypt_existing`) or already sealed
under its new key (for `reseal_existing`) is left alone, so an interrupted migration can
simply run again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from security.encryption import keyring
from security.encryption.fields import (
    blind_index_for,
    normalise_default,
    normalise_digits,
)
from security.encryption.models import DataKey

BATCH = 2000
_NORMALISERS = {"default": normalise_default, "digits": normalise_digits}


@dataclass(frozen=True)
class Encrypted:
    """A table's newly encrypted columns. `owner`: "" (the bank's field key), "self" (the
    row is a customer) or the column naming the row's customer (e.g. "customer_id")."""

    table: str
    columns: tuple[str, ...]
    owner: str = ""
    json_columns: tuple[str, ...] = ()
    #: (source column, index column, normaliser name)
    indexes: tuple[tuple[str, str, str], ...] = field(default=())


RunPythonCode = Callable[[Any, Any], None]


def populate_row_keys(*tables: str) -> RunPythonCode:
    def run(apps: Any, schema_editor: Any) -> None:
        quote = schema_editor.connection.ops.quote_name
        with schema_editor.connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT id FROM {quote(table)} WHERE row_key IS NULL")  # noqa: S608 - names from code
                for (pk,) in cursor.fetchall():
                    cursor.execute(
                        f"UPDATE {quote(table)} SET row_key = %s WHERE id = %s",  # noqa: S608
                        [_uuid_param(schema_editor, uuid.uuid4()), pk])
    return run


def _uuid_param(schema_editor: Any, value: uuid.UUID) -> Any:
    # SQLite stores UUIDField as 32 hex characters; PostgreSQL has a uuid type.
    return value.hex if schema_editor.connection.vendor == "sqlite" else value


def _uuid_from(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _owner_select(quote: Callable[[str], str], owner: str) -> str:
    """SQL for the row key of the customer whose key seals the row's values (`t` is the
    table): NULL for the bank's key. Names only from the migration's own specs, never from
    data."""
    if owner == "":
        return "NULL"
    if owner == "self":
        return "t.row_key"
    return f"(SELECT c.row_key FROM accounts_customer c WHERE c.id = t.{quote(owner)})"  # noqa: S608


def _context(table: str, column: str, row_key: uuid.UUID, owner: uuid.UUID | None) -> bytes:
    """The associated data `EncryptedMixin.context` (fields.py) binds a value to: table,
    column, the row's key and, under a customer's key, the customer's row key."""
    return f"{table}.{column}|".encode() + row_key.bytes + (owner.bytes if owner else b"")


def encrypt_existing(*specs: Encrypted) -> RunPythonCode:
    def run(apps: Any, schema_editor: Any) -> None:
        for spec in specs:
            _encrypt_table(schema_editor, spec)
    return run


def _encrypt_table(schema_editor: Any, spec: Encrypted) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(spec.table)
    owner_select = _owner_select(quote, spec.owner)
    columns = ", ".join(f"t.{quote(c)}" for c in spec.columns)
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT t.id, t.row_key, {owner_select}, {columns} FROM {table} t "  # noqa: S608
                f"WHERE t.id > %s ORDER BY t.id LIMIT {BATCH}", [last])
            rows = cursor.fetchall()
            if not rows:
                return
            for pk, row_key, owner, *values in rows:
                last = pk
                updates = _sealed_row(spec, _uuid_from(row_key),
                                      _uuid_from(owner) if owner else None, values)
                if updates:
                    assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
                    cursor.execute(f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                                   [*updates.values(), pk])


def _sealed_row(spec: Encrypted, row_key: uuid.UUID, owner: uuid.UUID | None,
                values: list[Any]) -> dict[str, str]:
    updates: dict[str, str] = {}
    plain = dict(zip(spec.columns, values, strict=True))
    purpose = DataKey.Purpose.CUSTOMER if owner else DataKey.Purpose.FIELD
    dek = keyring.dek_active(purpose=purpose, owner=owner)
    for column, value in plain.items():
        if value is None or value == "" or str(value).startswith(keyring.FORMAT + "."):
            continue
        text = str(value)
        if column in spec.json_columns:
            text = json.dumps(json.loads(text), separators=(",", ":"))
        updates[column] = keyring.seal(
            text, context=_context(spec.table, column, row_key, owner), dek=dek)
    for source, index_column, normaliser in spec.indexes:
        value = plain.get(source)
        if value and not str(value).startswith(keyring.FORMAT + "."):
            updates[index_column] = blind_index_for(spec.table, source,
                                                    _NORMALISERS[normaliser](str(value)))
    return updates


# --- re-sealing under another key ----------------------------------------------------------


def reseal_existing(spec: Encrypted, *, from_owner: str) -> RunPythonCode:
    """Move `spec.columns` from the key `from_owner` names to the key `spec.owner` names
    (each "" for the bank's field key, "self", or the column naming the row's customer, as
    in `Encrypted`): every value is opened with the associated data and key it was sealed
    with and sealed again with the new owner's active key and associated data, in batches
    of BATCH rows in primary-key order. Blind indexes do not depend on it and stay as they
    are. Idempotent: a value already sealed with a key of the new owner is left alone.

    Fails closed: a value that does not open (altered, moved, its key shredded) stops the
    migration, and so does a row whose new owner was crypto-shredded (re-creating their key
    would make their data readable again): delete such rows in an earlier step. The reverse
    step is `reseal_reverse` with the same arguments.
    """
    def run(apps: Any, schema_editor: Any) -> None:
        _reseal_table(schema_editor, spec, from_owner)
    return run


def reseal_reverse(spec: Encrypted, *, from_owner: str) -> RunPythonCode:
    """The reverse of `reseal_existing(spec, from_owner=...)`: back to `from_owner`'s key."""
    return reseal_existing(replace(spec, owner=from_owner), from_owner=spec.owner)


def _reseal_table(schema_editor: Any, spec: Encrypted, from_owner: str) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(spec.table)
    # Names only from the migration's own spec, never from data.
    columns = ", ".join(f"t.{quote(c)}" for c in spec.columns)
    owners = f"{_owner_select(quote, from_owner)}, {_owner_select(quote, spec.owner)}"
    select = (f"SELECT t.id, t.row_key, {owners}, {columns} FROM {table} t "  # noqa: S608
              f"WHERE t.id > %s ORDER BY t.id LIMIT {BATCH}")
    keys = _KeyOwners()
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last])
            rows = cursor.fetchall()
            if not rows:
                return
            for pk, row_key, old_owner, new_owner, *values in rows:
                last = pk
                updates = _resealed_row(
                    spec, pk, _uuid_from(row_key), _uuid_from(old_owner) if old_owner else None,
                    _uuid_from(new_owner) if new_owner else None, values, keys)
                if updates:
                    assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
                    cursor.execute(f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                                   [*updates.values(), pk])


class _KeyOwners:
    """Which owner each key id belongs to, and the new owners' keys, looked up once."""

    def __init__(self) -> None:
        self._owners: dict[str, tuple[str, uuid.UUID | None] | None] = {}
        self._checked: set[uuid.UUID] = set()

    def belongs_to(self, key_id: str, owner: uuid.UUID | None) -> bool:
        if key_id not in self._owners:
            self._owners[key_id] = DataKey.objects.filter(key_id=key_id).values_list(
                "purpose", "owner").first()
        found = self._owners[key_id]
        if found is None:
            return False
        purpose, key_owner = found
        if owner is None:
            return bool(purpose == DataKey.Purpose.FIELD)
        return bool(purpose == DataKey.Purpose.CUSTOMER and key_owner == owner)

    def active(self, owner: uuid.UUID | None, *, table: str, pk: Any) -> keyring.Dek:
        if owner is None:
            return keyring.dek_active(purpose=DataKey.Purpose.FIELD)
        if owner not in self._checked:
            keys = DataKey.objects.filter(purpose=DataKey.Purpose.CUSTOMER, owner=owner)
            if (keys.filter(state=DataKey.State.DESTROYED).exists()
                    and not keys.filter(state=DataKey.State.ACTIVE).exists()):
                raise keyring.EncryptionError(
                    f"{table} row {pk}: its customer was erased (their key is destroyed); "
                    "delete the rows of erased customers before re-sealing.")
            self._checked.add(owner)
        return keyring.dek_active(purpose=DataKey.Purpose.CUSTOMER, owner=owner)


def _resealed_row(spec: Encrypted, pk: Any, row_key: uuid.UUID, old_owner: uuid.UUID | None,
                  new_owner: uuid.UUID | None, values: list[Any],
                  keys: _KeyOwners) -> dict[str, str]:
    updates: dict[str, str] = {}
    dek: keyring.Dek | None = None
    for column, value in zip(spec.columns, values, strict=True):
        if value is None or value == "":
            continue
        sealed = str(value)
        if keys.belongs_to(keyring.key_id_of(sealed), new_owner):
            continue  # already re-sealed (an interrupted run, or a write since)
        plaintext = keyring.open_sealed(
            sealed, context=_context(spec.table, column, row_key, old_owner))
        if dek is None:
            dek = keys.active(new_owner, table=spec.table, pk=pk)
        updates[column] = keyring.seal(
            plaintext, context=_context(spec.table, column, row_key, new_owner), dek=dek)
    return updates
