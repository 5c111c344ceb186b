"""Online key rotation and crypto-shredding on the real models: a DEK rotation that crashes
half-way resumes and finishes with every row readable; writes during the rotation are kept;
a KEK rotation touches no row; a shredded customer is unreadable, others are not."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Account, Customer, Product
from security import audit
from security.encryption import keyring, rotation
from security.encryption.keyring import KeyDestroyed
from security.encryption.models import DataKey, KeyRotation
from security.kms import key_manager
from security.models import AuditEvent
from transactions.models import Transaction

ACTOR = audit.Actor(audit.ActorType.STAFF, "7")


def _accounts(count: int) -> list[Account]:
    product = Product.objects.first()
    assert product is not None
    return [Account.objects.create(product=product, display_name=f"Account {i}",
                                   bsb="062-000", account_number=f"{10_000_000 + i}")
            for i in range(count)]


def _transactions(account: Account, count: int) -> None:
    now = timezone.now()
    Transaction.objects.bulk_create([
        Transaction(account=account, status="POSTED", type="PAYMENT", amount=-1,
                    description=f"Coffee number {i}", posting_date_time=now,
                    execution_date_time=now)
        for i in range(count)
    ])


def _active(purpose: str = "FIELD") -> str:
    return DataKey.objects.get(purpose=purpose, owner=None, state="ACTIVE").key_id


@pytest.fixture
def field_rows(seeded_products):
    accounts = _accounts(7)
    _transactions(accounts[0], 25)
    return accounts


@pytest.mark.django_db
def test_a_rotation_killed_half_way_resumes_and_finishes(field_rows, monkeypatch):
    old = _active()
    job = rotation.dek_rotate(actor=ACTOR)
    assert _active() == job.new_key_id != old
    assert Account.objects.get(pk=field_rows[0].pk).account_number == "10000000"
    for _ in range(2):
        rotation.rotation_step(job.pk, batch=3)
    # The process dies in the middle of the next batch: its transaction rolls back.
    real = rotation._reseal
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(rotation, "_reseal", dying)
    before = KeyRotation.objects.get(pk=job.pk).progress
    with pytest.raises(SystemExit):
        rotation.rotation_step(job.pk, batch=3)
    assert KeyRotation.objects.get(pk=job.pk).progress == before, "the lost batch left no trace"
    monkeypatch.setattr(rotation, "_reseal", real)

    done = rotation.rotation_run(job.pk, batch=3)  # a restarted worker carries on
    assert done.state == "DONE"
    assert rotation.rows_using(old, purpose="FIELD") == 0
    keyring.keyring_forget()
    assert sorted(a.account_number for a in Account.objects.filter(pk__in=[a.pk for a in field_rows])) == [
        f"{10_000_000 + i}" for i in range(7)]
    coffees = {t.description for t in Transaction.objects.filter(account=field_rows[0])}
    assert coffees == {f"Coffee number {i}" for i in range(25)}
    assert all(t.description for t in Transaction.objects.all()), "every row reads"
    rotation.dek_retire(key_id=old, actor=ACTOR, grace=timedelta(0))
    assert DataKey.objects.get(key_id=old).wrapped in (b"", memoryview(b""))
    types = list(AuditEvent.objects.filter(event_type__startswith="KEY_").values_list("event_type", flat=True))
    assert {"KEY_ROTATED", "KEY_ROTATION_FINISHED", "KEY_RETIRED"} <= set(types)


@pytest.mark.django_db
def test_writes_during_a_rotation_are_not_lost(field_rows):
    old = _active()
    job = rotation.dek_rotate(actor=ACTOR)
    while KeyRotation.objects.get(pk=job.pk).progress.get("accounts.account") != -1:
        rotation.rotation_step(job.pk, batch=3)  # until every account is behind the cursor
    # A process that has not seen the new key yet (the active-key cache) writes rows behind
    # and ahead of the cursor with the OLD key; another writes with the new one.
    stale = keyring.Dek(old, keyring.dek_material(old))
    keyring._active[("FIELD", None)] = (time.monotonic() + 3600, stale)
    for account in field_rows[:2] + field_rows[-2:]:
        account.nickname = f"renamed {account.pk}"
        account.save()
    assert rotation.rows_using(old, purpose="FIELD") >= 4
    keyring.keyring_forget()
    done = rotation.rotation_run(job.pk, batch=3)
    assert done.state == "DONE" and done.passes >= 2, "a second pass picked up the stale writes"
    for account in field_rows[:2] + field_rows[-2:]:
        assert Account.objects.get(pk=account.pk).nickname == f"renamed {account.pk}"
    assert rotation.rows_using(old, purpose="FIELD") == 0


@pytest.mark.django_db
def test_a_key_still_in_use_cannot_be_retired(field_rows):
    old = _active()
    job = rotation.dek_rotate(actor=ACTOR)
    with pytest.raises(rotation.KeyInUse):
        rotation.dek_retire(key_id=old, actor=ACTOR, grace=timedelta(0))
    with pytest.raises(rotation.KeyInUse):
        rotation.dek_retire(key_id=job.new_key_id, actor=ACTOR)
    rotation.rotation_run(job.pk)
    with pytest.raises(rotation.KeyInUse, match="after its rotation finished"):
        rotation.dek_retire(key_id=old, actor=ACTOR)  # the default grace has not passed
    rotation.rotation_run(job.pk)
    rotation.dek_retire(key_id=old, actor=ACTOR, grace=timedelta(0))


@pytest.mark.django_db
def test_kek_rotation_rewraps_keys_and_leaves_rows_alone(field_rows):
    stored = _raw_number(field_rows[0].pk)
    old_labels = set(DataKey.objects.exclude(purpose="CUSTOMER").values_list("kek_label", flat=True))
    label = rotation.kek_rotate(actor=ACTOR)
    assert set(DataKey.objects.exclude(purpose="CUSTOMER").values_list("kek_label", flat=True)) == {label}
    (rotated,) = AuditEvent.objects.filter(event_type="KEK_ROTATED")
    assert rotated.subject_type == "kek" and label in str(rotated.subject_id) + str(rotated.detail)
    assert _raw_number(field_rows[0].pk) == stored, "no row was touched"
    keyring.keyring_forget()
    assert Account.objects.get(pk=field_rows[0].pk).account_number == "10000000"
    # The old KEK is no longer needed by any live key: it may be retired (audited); the new
    # one may not.
    with pytest.raises(rotation.KeyInUse):
        rotation.kek_retire(label=label, actor=ACTOR)
    for old_label in old_labels:
        rotation.kek_retire(label=old_label, actor=ACTOR)
    assert AuditEvent.objects.filter(event_type="KEK_RETIRED").count() == len(old_labels)


def _raw_number(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_number FROM accounts_account WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_a_shredded_customer_is_unreadable_and_others_are_not(
        seeded_products, django_capture_on_commit_callbacks):
    from security.consent.erasure import customer_erase

    def person(name: str) -> Customer:
        customer = Customer.objects.create(customer_type="person", first_name=name,
                                           last_name="Shredder", last_update_time=timezone.now())
        customer.email_addresses.create(purpose="HOME", address=f"{name}@example.com")
        return customer

    gone, kept = person("Gone"), person("Kept")
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_erase(customer=gone, actor=ACTOR) == 1
    keyring.keyring_forget()
    again = Customer.objects.get(pk=gone.pk)
    with pytest.raises(KeyDestroyed):
        _ = again.last_name
    assert not again.email_addresses.exists(), "contact rows are deleted with the key"
    assert Customer.objects.get(pk=kept.pk).last_name == "Shredder"
    assert Customer.objects.get(pk=kept.pk).email_addresses.get().address == "Kept@example.com"
    assert not key_manager().kek_exists(f"customer-{gone.row_key.hex}")
    event = AuditEvent.objects.get(event_type="CUSTOMER_ERASED")
    assert event.subject_id == str(gone.pk) and event.detail == {"keys_destroyed": 1}


@pytest.mark.django_db
def test_old_keys_raise_an_alert(field_rows):
    key = DataKey.objects.get(key_id=_active())
    DataKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert rotation.keys_age_check(max_age_days=90) == [key.key_id]
    event = AuditEvent.objects.get(event_type="KEY_AGE_EXCEEDED")
    assert event.detail["age_days"] == 91
    assert rotation.keys_age_check(max_age_days=120) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_during_a_rotation_on_postgresql(seeded_products):
    accounts = _accounts(40)
    old = _active()
    job = rotation.dek_rotate(actor=ACTOR)
    stop = threading.Event()
    written: dict[int, str] = {}

    def writer() -> None:
        try:
            round_ = 0
            while not stop.is_set():
                round_ += 1
                for account in accounts[::3]:
                    fresh = Account.objects.get(pk=account.pk)
                    fresh.nickname = f"w{round_}-{account.pk}"
                    fresh.save(update_fields=["nickname"])
                    written[account.pk] = fresh.nickname
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        done = rotation.rotation_run(job.pk, batch=4)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert done.state == "DONE"
    keyring.keyring_forget()
    for pk, nickname in written.items():
        assert Account.objects.get(pk=pk).nickname == nickname, "the last write won"
    assert rotation.rows_using(old, purpose="FIELD") == 0
