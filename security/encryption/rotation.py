"""Key rotation, online, and crypto-shredding.

DEK rotation (`dek_rotate`): a new data key becomes ACTIVE at once (every process writes with
it within `keyring.ACTIVE_KEY_TTL` seconds); the old one turns DECRYPT_ONLY, so every row stays
readable throughout. `rotation_step` then re-encrypts rows still sealed with the old key, one
batch per transaction, in primary-key order per model:

- resumable: a batch and the cursor that records it commit together, so a crash or restart
  loses at most the batch in flight, and the next step carries on from the cursor;
- safe under concurrent writes: the batch's rows are locked (SELECT ... FOR UPDATE) while
  they are re-encrypted and saved, so a customer's write either lands before (and is
  re-encrypted from its new value) or after (and is sealed with the new key already); only
  the columns still on the old key are written;
- complete: when the cursor reaches the end, the old key's ciphertexts are counted in every
  column; writes made during the TTL window behind the cursor start another pass. The
  rotation is DONE when none is left, and only then can the old key be retired.

KEK rotation (`kek_rotate`) re-wraps every data key under a new KEK without touching a row.
Blind-index keys are not rotated: every index value would change at once, so lookups would
miss until a full rebuild (an offline job, documented). The resource-ID key cannot rotate
either: CDR IDs must stay stable for recipients (standards/_ids.md).

Crypto-shredding (`customer_erase`): the customer's own KEK is destroyed in the key manager,
so their personal data is unreadable in the database and in every backup, while accounts,
transactions, aggregates and the audit trail remain.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from security import audit
from security.encryption import keyring
from security.encryption.fields import EncryptedMixin
from security.encryption.models import DataKey, KeyRotation
from security.kms import KeyManager, key_manager

Purpose = DataKey.Purpose
State = DataKey.State
BATCH = 1000

KEY_CREATED = "KEY_CREATED"
KEY_ROTATED = "KEY_ROTATED"
KEY_ROTATION_FINISHED = "KEY_ROTATION_FINISHED"
KEY_RETIRED = "KEY_RETIRED"
KEK_ROTATED = "KEK_ROTATED"
KEK_RETIRED = "KEK_RETIRED"
KEY_AGE_EXCEEDED = "KEY_AGE_EXCEEDED"
CUSTOMER_ERASED = "CUSTOMER_ERASED"


class KeyInUse(Exception):
    """The key still encrypts rows (or no newer key exists): it cannot be retired."""


@dataclass(frozen=True)
class EncryptedColumns:
    model: type[models.Model]
    fields: tuple[EncryptedMixin, ...]


def encrypted_models(purpose: str) -> list[EncryptedColumns]:
    """Every model with fields encrypted under keys of `purpose` (FIELD or CUSTOMER)."""
    key = "customer" if purpose == Purpose.CUSTOMER else "field"
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, EncryptedMixin) and f.encryption_key == key]
        if fields:
            found.append(EncryptedColumns(model, tuple(fields)))  # type: ignore[arg-type]
    return found


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def rows_using(key_id: str, *, purpose: str) -> int:
    """Rows holding at least one ciphertext made with `key_id` (raw SQL: a prefix scan)."""
    total = 0
    quote = connection.ops.quote_name
    for columns in encrypted_models(purpose):
        condition = " OR ".join(f"{quote(f.column)} LIKE %s" for f in columns.fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {quote(columns.model._meta.db_table)} "  # noqa: S608
                f"WHERE {condition}", [f"{keyring.FORMAT}.{key_id}.%"] * len(columns.fields))
            total += int(cursor.fetchone()[0])
    return total


# --- DEK rotation --------------------------------------------------------------------------


def dek_rotate(*, purpose: str = Purpose.FIELD, owner: uuid.UUID | None = None,
               actor: audit.Actor) -> KeyRotation:
    """Start a rotation: a new ACTIVE key now, re-encryption in the background."""
    if purpose == Purpose.BLIND_INDEX:
        raise ValueError("Blind-index keys are not rotated online (see the module docstring).")
    with transaction.atomic():
        old = DataKey.objects.select_for_update().filter(
            purpose=purpose, owner=owner, state=State.ACTIVE).first()
        if old is None:
            raise KeyInUse("There is no active key to rotate.")
        new = keyring.dek_create(purpose=purpose, owner=owner)
        rotation = KeyRotation.objects.create(purpose=purpose, owner=owner,
                                              old_key_id=old.key_id, new_key_id=new.key_id)
        audit.audit_record(actor=actor, event_type=KEY_ROTATED, subject_type="data_key",
                           subject_id=new.key_id,
                           detail={"purpose": purpose, "replaces": old.key_id})
    return rotation


def rotation_step(rotation_id: int, *, batch: int = BATCH) -> bool:
    """Re-encrypt one batch of the rotation; True once it is DONE."""
    with transaction.atomic():
        rotation = KeyRotation.objects.select_for_update().get(pk=rotation_id)
        if rotation.state == KeyRotation.State.DONE:
            return True
        for columns in encrypted_models(rotation.purpose):
            label = _label(columns.model)
            cursor = rotation.progress.get(label, 0)
            if cursor == -1:
                continue  # this model is done in this pass
            queryset = columns.model._default_manager.select_for_update().filter(pk__gt=cursor)
            if rotation.owner is not None:
                queryset = _owned_by(queryset, columns, rotation.owner)
            rows = list(queryset.order_by("pk")[:batch])
            for row in rows:
                rotation.rows_reencrypted += _reseal(row, columns.fields, rotation.old_key_id)
            rotation.progress[label] = rows[-1].pk if len(rows) == batch else -1
            rotation.save(update_fields=["progress", "rows_reencrypted"])
            return False  # one batch per transaction
        # Every model reached its end in this pass: anything left behind the cursors?
        if rows_using(rotation.old_key_id, purpose=rotation.purpose):
            rotation.progress = {}
            rotation.passes += 1
            rotation.save(update_fields=["progress", "passes"])
            return False
        rotation.state = KeyRotation.State.DONE
        rotation.finished_at = timezone.now()
        rotation.save(update_fields=["state", "finished_at"])
        audit.audit_record(actor=audit.Actor.system("key_rotation"),
                           event_type=KEY_ROTATION_FINISHED, subject_type="data_key",
                           subject_id=rotation.new_key_id,
                           detail={"replaced": rotation.old_key_id, "passes": rotation.passes,
                                   "rows": rotation.rows_reencrypted})
        return True


def _owned_by(queryset: models.QuerySet, columns: EncryptedColumns,
              owner: uuid.UUID) -> models.QuerySet:
    path = columns.fields[0].owner
    return queryset.filter(row_key=owner) if path == "self" else queryset.filter(
        **{f"{path}__row_key": owner})


def _reseal(row: models.Model, fields: tuple[EncryptedMixin, ...], old_key_id: str) -> int:
    """Re-seal the fields of `row` still under the old key; 1 if the row changed."""
    stale = []
    for field in fields:
        stored = row.__dict__.get(field.attname)
        if isinstance(stored, str) and stored.startswith(f"{keyring.FORMAT}.{old_key_id}."):
            setattr(row, field.attname, getattr(row, field.attname))  # decrypt: plaintext
            stale.append(field.attname)
    if stale:
        row.save(update_fields=stale)  # pre_save seals with the active key
    return 1 if stale else 0


def rotation_run(rotation_id: int, *, batch: int = BATCH) -> KeyRotation:
    while not rotation_step(rotation_id, batch=batch):
        pass
    return KeyRotation.objects.get(pk=rotation_id)


#: How long after its rotation finished a key must wait before it may be retired: longer
#: than any process keeps the previous key as its active one (keyring.ACTIVE_KEY_TTL) and
#: than a request's transaction, so no write with the old key can still be on its way.
RETIRE_GRACE = timedelta(minutes=10)


def dek_retire(*, key_id: str, actor: audit.Actor, grace: timedelta = RETIRE_GRACE) -> DataKey:
    """Delete a rotated-out key's material once its rotation is DONE, `grace` has passed and
    no row uses it (refused otherwise). Instances loaded before the rotation re-seal with the
    active key when saved (fields.py), so none writes the old key back afterwards."""
    with transaction.atomic():
        key = DataKey.objects.select_for_update().get(key_id=key_id)
        if key.state != State.DECRYPT_ONLY:
            raise KeyInUse(f"Only a rotated-out key can be retired (this one is {key.state}).")
        finished = KeyRotation.objects.filter(
            old_key_id=key_id, state=KeyRotation.State.DONE).order_by("-finished_at").first()
        if key.purpose != Purpose.BLIND_INDEX and (
                finished is None or finished.finished_at is None
                or finished.finished_at > timezone.now() - grace):
            raise KeyInUse(f"Retire a key only {int(grace.total_seconds())} s after its "
                           "rotation finished.")
        if key.purpose != Purpose.BLIND_INDEX and rows_using(key_id, purpose=key.purpose):
            raise KeyInUse("Rows are still encrypted with this key: finish the rotation first.")
        key.state = State.RETIRED
        key.wrapped = b""
        key.state_changed_at = timezone.now()
        key.save(update_fields=["state", "wrapped", "state_changed_at"])
        audit.audit_record(actor=actor, event_type=KEY_RETIRED, subject_type="data_key",
                           subject_id=key_id, detail={"purpose": key.purpose})
    keyring.keyring_forget()
    return key


# --- KEK rotation --------------------------------------------------------------------------


def kek_rotate(*, actor: audit.Actor) -> str:
    """Re-wrap every bank data key under a new KEK. Rows are not touched. Returns the new
    label. The old KEK stays in the key manager until `kek_retire`: backups taken before the
    rotation hold data keys wrapped by it, and destroying it is a decision of its own."""
    manager = key_manager()
    label = f"master-{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"
    manager.kek_create(label)
    old_labels = set()
    with transaction.atomic():
        keys = DataKey.objects.select_for_update().exclude(purpose=Purpose.CUSTOMER).filter(
            state__in=[State.ACTIVE, State.DECRYPT_ONLY])
        for key in keys:
            material = keyring.dek_material(key.key_id)
            old_labels.add(key.kek_label)
            key.wrapped = manager.wrap(label, material,
                                       aad=keyring.dek_wrap_aad(key.key_id, key.purpose))
            key.kek_label = label
            key.save(update_fields=["wrapped", "kek_label"])
        audit.audit_record(actor=actor, event_type=KEK_ROTATED, subject_type="kek",
                           subject_id=label, detail={"replaces": sorted(old_labels)})
    keyring.keyring_forget()
    return label


def kek_retire(*, label: str, actor: audit.Actor) -> None:
    """Destroy a KEK no live data key uses (older backups wrapped by it become unreadable).
    The destruction happens after the transaction commits: a rolled-back retirement must
    not leave rows whose key can no longer be unwrapped."""
    if label.startswith("customer-"):
        raise KeyInUse("Customer keys are destroyed by erasing the customer.")
    with transaction.atomic():
        if DataKey.objects.filter(kek_label=label).exclude(
                state__in=[State.RETIRED, State.DESTROYED]).exists():
            raise KeyInUse("Data keys are still wrapped by this KEK: rotate the KEK first.")
        audit.audit_record(actor=actor, event_type=KEK_RETIRED, subject_type="kek",
                           subject_id=label)
        transaction.on_commit(lambda: key_manager().kek_destroy(label))


# --- key age -------------------------------------------------------------------------------


def keys_past_age(*, max_age_days: int) -> Iterator[DataKey]:
    cutoff = timezone.now() - timedelta(days=max_age_days)
    yield from DataKey.objects.filter(state=State.ACTIVE, created_at__lt=cutoff).exclude(
        purpose__in=[Purpose.BLIND_INDEX, Purpose.CUSTOMER])


def keys_age_check(*, max_age_days: int) -> list[str]:
    """Audit an alert for every active bank key older than the policy; their ids."""
    late = []
    for key in keys_past_age(max_age_days=max_age_days):
        late.append(key.key_id)
        audit.audit_record(actor=audit.Actor.system("key_age_check"),
                           event_type=KEY_AGE_EXCEEDED, outcome=audit.Outcome.FAILURE,
                           subject_type="data_key", subject_id=key.key_id,
                           detail={"purpose": key.purpose, "max_age_days": max_age_days,
                                   "age_days": (timezone.now() - key.created_at).days})
    return late


# --- crypto-shredding ----------------------------------------------------------------------


def customer_keys_destroy(*, owner: uuid.UUID, actor: audit.Actor, subject_id: str) -> int:
    """Destroy a customer's KEK and mark their data keys DESTROYED; the number of keys."""
    manager = key_manager()
    with transaction.atomic():
        keys = list(DataKey.objects.select_for_update().filter(
            purpose=Purpose.CUSTOMER, owner=owner).exclude(state=State.DESTROYED))
        # The customer's KEK by its name too, whatever rows point at it.
        labels = {key.kek_label for key in keys} | {f"customer-{owner.hex}"}
        DataKey.objects.filter(pk__in=[k.pk for k in keys]).update(
            state=State.DESTROYED, wrapped=b"", state_changed_at=timezone.now())
        audit.audit_record(actor=actor, event_type=CUSTOMER_ERASED, subject_type="customer",
                           subject_id=subject_id, detail={"keys_destroyed": len(keys)})
        # After commit: the keys' rows say DESTROYED exactly when the KEK is gone.
        transaction.on_commit(lambda: _destroy(manager, labels))
    return len(keys)


def _destroy(manager: KeyManager, labels: set[str]) -> None:
    for label in labels:
        manager.kek_destroy(label)
    keyring.keyring_forget()
