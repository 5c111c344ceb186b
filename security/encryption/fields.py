"""Encrypted model fields, read like django-cryptography's: `EncryptedCharField(...)` or
`encrypt(models.CharField(...))`, but AES-256-GCM with keys from the keyring (envelope
encryption, key ids in every ciphertext, rotation), never pickle, never SECRET_KEY.

How a value travels:

- **Write.** `pre_save` seals the plaintext with the active DEK of the field's purpose and the
  associated data `<table>.<column>` + the row's `row_key` (a UUID every encrypted model has,
  known before the INSERT, unlike an auto-increment pk). `Model.save()` and `bulk_create()`
  both call it. A value that reaches the database any other way (`QuerySet.update(...)`, a
  raw string) is refused with TypeError: nothing can write plaintext by accident.
- **Read.** `from_db_value` returns a `Sealed` string, the ciphertext. The field's descriptor
  decrypts it on first attribute access, with this row's associated data, and keeps the
  plaintext on the instance. So only fields that are used are decrypted; `.values()` and
  `.values_list()` hand out `Sealed` objects, never plaintext. A value that fails to decrypt
  raises DecryptionFailed (audited), never returns the ciphertext or "".
- **Query.** Encrypted columns cannot be filtered on (any lookup but `isnull` raises
  FieldError): look equal values up through a `BlindIndexField`.

Empty strings and NULLs are stored as they are (an empty optional field is not a secret).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact
from django.db.models.query_utils import DeferredAttribute
from django.views.decorators.debug import sensitive_variables

from security import audit
from security.encryption import keyring
from security.encryption.models import DataKey

FIELD = DataKey.Purpose.FIELD
CUSTOMER = DataKey.Purpose.CUSTOMER
DECRYPTION_FAILED = "DECRYPTION_FAILED"


class Sealed(str):
    """A ciphertext as stored: what `.values()` returns for an encrypted column."""

    __slots__ = ()


class EncryptedModel(models.Model):
    """Base of every model with encrypted fields: the row key that binds each ciphertext to
    its row (and, for a customer, names the customer's own key)."""

    row_key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        abstract = True


class _DecryptingAttribute(DeferredAttribute):
    """A data descriptor (it has __set__), so that attribute reads come here even though the
    value sits in the instance's __dict__: that is where the ciphertext is opened."""

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            field = self.field
            assert isinstance(field, EncryptedMixin)  # noqa: S101 - set only by the mixin
            value = field.unseal(instance, value)
            instance.__dict__[field.attname] = value
        return value


class _EmptyOnlyExact(Exact):
    """`field=""`: whether an encrypted column is empty is all SQL may ask of it."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError("An encrypted column can only be compared with '' (use its "
                             "blind index to find a value).")
        return super().get_prep_lookup()


class EncryptedMixin:
    """Turns a Django field into an encrypted one (text column, ciphertext inside).

    `key="field"` encrypts with the bank's field key; `key="customer"` with the key of the
    customer named by `owner` ("self" on Customer, else the attribute leading to the
    customer), so erasing the customer's key shreds exactly their personal data.
    """

    descriptor_class = _DecryptingAttribute
    attname: str
    column: str
    model: type[models.Model]

    def __init__(self, *args: Any, key: str = "field", owner: str = "", **kwargs: Any) -> None:
        if key not in ("field", "customer") or (key == "customer") != bool(owner):
            raise ValueError("key='field', or key='customer' with owner=<path to customer>.")
        self.encryption_key = key
        self.owner = owner
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        if self.encryption_key != "field":
            kwargs["key"] = self.encryption_key
            kwargs["owner"] = self.owner
        return name, path, args, kwargs

    # -- storage ------------------------------------------------------------------------
    def db_type(self, connection: Any) -> Any:
        return models.TextField().db_type(connection)

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return Sealed(value)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        """Writes: only what pre_save sealed (or empty) reaches the database."""
        if value is None or value == "" or isinstance(value, Sealed):
            return None if value is None else str(value)
        raise TypeError(
            f"{self.model.__name__}.{self.attname} is encrypted: write it with save() or "
            "bulk_create(), which seal it; QuerySet.update() and bulk_update() with plaintext "
            "are refused."
        )

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        """Comparisons (never writes: those go through get_db_prep_save). Django checks a
        model's constraints in SQL with its plaintext values; the only comparison an
        encrypted column allows is with "" (emptiness), so any non-empty plaintext stands in
        as one opaque, non-empty marker: the value itself never reaches the SQL."""
        if value is None or value == "" or isinstance(value, Sealed):
            return None if value is None else str(value)
        return "\x01encrypted"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name != "isnull":
            raise FieldError(f"{self.attname} is encrypted and cannot be queried by value; "
                             "use its blind index.")
        return super().get_lookup(lookup_name)  # type: ignore[misc]

    def get_transform(self, name: str) -> Any:
        raise FieldError(f"{self.attname} is encrypted and cannot be transformed in SQL.")

    # -- sealing ----------------------------------------------------------------------------
    def context(self, instance: models.Model) -> bytes:
        """Associated data: table, column, the row's key and, for a customer's data, the
        customer's key: a row moved to another customer (its foreign key changed) fails."""
        row_key = getattr(instance, "row_key", None)
        if not isinstance(row_key, uuid.UUID):
            raise TypeError(f"{type(instance).__name__} must inherit EncryptedModel.")
        return self.context_for(row_key, self.owner_key(instance))

    def context_for(self, row_key: uuid.UUID, owner: uuid.UUID | None = None) -> bytes:
        """The same associated data from the row's key (and its customer's row key) alone:
        for a value read with `.values_list()`, opened with `keyring.sealed_opener()`."""
        return (f"{self.model._meta.db_table}.{self.column}|".encode() + row_key.bytes
                + (owner.bytes if owner is not None else b""))

    def owner_key(self, instance: models.Model) -> uuid.UUID | None:
        if self.encryption_key == "field":
            return None
        owner = instance if self.owner == "self" else getattr(instance, self.owner)
        row_key = getattr(owner, "row_key", None)
        if not isinstance(row_key, uuid.UUID):
            raise TypeError(f"{self.attname}: its owner has no row_key.")
        return row_key

    # Applied directly, not through method_decorator: that one rebuilds its wrapper on every
    # call, and unseal runs for every encrypted value read (the wrapper passes `self` on).
    @sensitive_variables()
    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        raw = model_instance.__dict__.get(self.attname)
        if raw is None or raw == "":
            return raw
        owner = self.owner_key(model_instance)
        dek = keyring.dek_active(purpose=CUSTOMER if owner else FIELD, owner=owner)
        if isinstance(raw, Sealed):
            if keyring.key_id_of(raw) == dek.key_id:
                return raw  # unchanged since it was read from this row, current key
            # Sealed with a rotated-out key (an instance loaded before a rotation): written
            # back as it is, it could outlive that key's retirement. Re-seal it (this fails
            # closed if the old key is already gone).
            raw = self.unseal(model_instance, raw)
        return Sealed(keyring.seal(self.to_text(raw), context=self.context(model_instance),
                                   dek=dek))

    def value_to_string(self, obj: models.Model) -> str:
        raise TypeError(
            f"{self.model.__name__}.{self.attname} is encrypted: dumpdata would write it out "
            "in plaintext, beyond crypto-shredding's reach. Back up the database instead."
        )

    @sensitive_variables()
    def unseal(self, instance: models.Model, sealed: Sealed) -> Any:
        try:
            return self.from_text(keyring.open_sealed(sealed, context=self.context(instance)))
        except keyring.DecryptionFailed as exc:
            audit.audit_record(
                actor=audit.Actor.system("encryption"), event_type=DECRYPTION_FAILED,
                outcome=audit.Outcome.FAILURE, subject_type=self.model._meta.label_lower,
                subject_id=instance.pk or "",
                detail={"column": self.column, "reason": type(exc).__name__},
            )
            raise

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text


class EncryptedCharField(EncryptedMixin, models.CharField):  # type: ignore[misc]
    pass


class EncryptedTextField(EncryptedMixin, models.TextField):  # type: ignore[misc]
    pass


class EncryptedEmailField(EncryptedMixin, models.EmailField):  # type: ignore[misc]
    pass


class EncryptedDateField(EncryptedMixin, models.DateField):  # type: ignore[misc]
    def to_text(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(date.fromisoformat(value))

    def from_text(self, text: str) -> Any:
        return date.fromisoformat(text)


class EncryptedJSONField(EncryptedMixin, models.JSONField):  # type: ignore[misc]
    def to_text(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    def from_text(self, text: str) -> Any:
        return json.loads(text)


_ENCRYPTED = {
    models.EmailField: EncryptedEmailField,
    models.CharField: EncryptedCharField,
    models.TextField: EncryptedTextField,
    models.DateField: EncryptedDateField,
}


def encrypt(field: models.Field, *, key: str = "field", owner: str = "") -> models.Field:
    """`encrypt(models.CharField(max_length=100))`: the encrypted twin of a plain field."""
    for plain, encrypted in _ENCRYPTED.items():
        if type(field) is plain:
            _, _, args, kwargs = field.deconstruct()
            return encrypted(*args, key=key, owner=owner, **kwargs)
    raise TypeError(f"No encrypted variant of {type(field).__name__}.")


# --- blind indexes -------------------------------------------------------------------------


def normalise_default(value: str) -> str:
    return " ".join(value.split()).casefold()


def normalise_digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


class BlindIndexField(models.CharField):
    """A keyed HMAC of another (encrypted) field, for equality lookups that stay indexed:
    `Model.objects.filter(email_index=blind_index(Model, "email", value))`.

    The HMAC key is a BLIND_INDEX data key, separate from the encryption keys; the index says
    only that two rows hold the same (normalised) value, not what it is.
    """

    def __init__(self, *args: Any, source: str = "",
                 normalise: Callable[[str], str] = normalise_default, **kwargs: Any) -> None:
        self.source = source
        self.normalise = normalise
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.source not in model_instance.__dict__:
            return getattr(model_instance, self.attname)  # the source was deferred: unchanged
        raw = model_instance.__dict__.get(self.source)
        if isinstance(raw, Sealed):
            return getattr(model_instance, self.attname)  # the source is unchanged
        value = blind_index(type(model_instance), self.source, raw or "")
        setattr(model_instance, self.attname, value)
        return value


def blind_index(model: type[models.Model], source: str, value: Any) -> str:
    """The blind index of `value` for `model.source` (what to filter the index column by)."""
    index_field = next((f for f in model._meta.get_fields()
                        if isinstance(f, BlindIndexField) and f.source == source), None)
    if index_field is None:
        raise FieldError(f"{model.__name__}.{source} has no blind index.")
    text = "" if value is None else str(value)
    if not text:
        return ""
    column = str(model._meta.get_field(source).column)  # type: ignore[union-attr]
    return blind_index_for(model._meta.db_table, column, index_field.normalise(text))


def blind_index_for(table: str, column: str, normalised: str) -> str:
    """HMAC-SHA256 under the blind-index key, over the table, column and normalised value,
    truncated to 128 bits (plenty against collisions, less to leak)."""
    if not normalised:
        return ""
    dek = keyring.dek_active(purpose=DataKey.Purpose.BLIND_INDEX)
    message = f"{table}.{column}|{normalised}".encode()
    return hmac.new(dek.material, message, hashlib.sha256).hexdigest()[:32]
