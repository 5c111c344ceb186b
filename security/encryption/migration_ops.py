"""Data-migration steps for tables that gain encrypted fields: give every existing row its
`row_key`, then encrypt the plaintext already in the newly encrypted columns (and fill their
blind indexes), in batches, with the same keys and associated data the fields use.

Raw SQL on purpose: the historical models of a migration cannot run the encrypting fields'
code, and the values must be read exactly as stored (plaintext, before this migration).
Idempotent: a value that is already a ciphertext is left alone, so an interrupted migration
can simply run again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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


def encrypt_existing(*specs: Encrypted) -> RunPythonCode:
    def run(apps: Any, schema_editor: Any) -> None:
        for spec in specs:
            _encrypt_table(schema_editor, spec)
    return run


def _encrypt_table(schema_editor: Any, spec: Encrypted) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(spec.table)
    # Names only from the migration's own specs, never from data.
    owner_select = {"": "NULL", "self": "t.row_key"}.get(
        spec.owner,
        f"(SELECT c.row_key FROM accounts_customer c WHERE c.id = t.{quote(spec.owner)})",  # noqa: S608
    )
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
        context = (f"{spec.table}.{column}|".encode() + row_key.bytes
                   + (owner.bytes if owner else b""))
        updates[column] = keyring.seal(text, context=context, dek=dek)
    for source, index_column, normaliser in spec.indexes:
        value = plain.get(source)
        if value and not str(value).startswith(keyring.FORMAT + "."):
            updates[index_column] = blind_index_for(spec.table, source,
                                                    _NORMALISERS[normaliser](str(value)))
    return updates
