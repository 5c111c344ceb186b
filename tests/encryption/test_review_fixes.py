"""Regression tests for the independent review of encryption at rest."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Account, Customer, CustomerEmailAddress, Product, User
from security import audit
from security.encryption import keyring, rotation
from security.encryption.fields import blind_index
from security.encryption.keyring import DecryptionFailed, KeyDestroyed
from security.encryption.models import DataKey

pytestmark = pytest.mark.django_db
ACTOR = audit.Actor(audit.ActorType.STAFF, "7")


def _key_id(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0]).split(".")[1]


def test_an_instance_loaded_before_a_rotation_cannot_write_the_old_key_back(seeded_products):
    account = Account.objects.create(product=Product.objects.first(), display_name="Held",
                                     account_number="11112222")
    held = Account.objects.get(pk=account.pk)  # loaded before the rotation, never read
    old = _key_id("accounts_account", "account_number", account.pk)
    rotation.rotation_run(rotation.dek_rotate(actor=ACTOR).pk)
    held.open_status = "CLOSED"
    held.save()  # writes every field, the untouched ciphertexts included
    assert _key_id("accounts_account", "account_number", account.pk) != old
    rotation.dek_retire(key_id=old, actor=ACTOR, grace=timedelta(0))
    keyring.keyring_forget()
    assert Account.objects.get(pk=account.pk).account_number == "11112222"


def test_a_shredded_key_stops_working_in_other_processes_too(
        seeded_products, django_capture_on_commit_callbacks):
    from security.consent.erasure import customer_erase

    customer = Customer.objects.create(customer_type="person", last_name="Elsewhere",
                                       last_update_time=timezone.now())
    assert Customer.objects.get(pk=customer.pk).last_name == "Elsewhere"
    cached = dict(keyring._material)  # what another worker still holds
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=customer, actor=ACTOR)
    keyring._material.update({k: (time.monotonic() - keyring.MATERIAL_TTL - 1, v)
                              for k, (_, v) in cached.items()})
    with pytest.raises(KeyDestroyed):
        _ = Customer.objects.get(pk=customer.pk).last_name


def test_erasure_leaves_nothing_that_links_or_reads(seeded_products,
                                                    django_capture_on_commit_callbacks):
    from security.consent.erasure import customer_erase

    jane = User.objects.get(username="jane.citizen")
    customer = jane.customer
    email = customer.email_addresses.first().address
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=customer, actor=ACTOR)
    index = blind_index(CustomerEmailAddress, "address", email)
    assert not CustomerEmailAddress.objects.filter(address_index=index).exists()
    assert not customer.phone_numbers.exists() and not customer.physical_addresses.exists()
    jane.refresh_from_db()
    assert jane.username.startswith("erased-") and not jane.is_active
    assert not jane.has_usable_password()


def test_key_material_is_not_in_reprs():
    dek = keyring.Dek("k1", b"\x01" * 32)
    assert "\\x01" not in repr(dek) and "material" not in repr(dek)


def test_first_use_never_demotes_an_active_key(seeded_products):
    active = DataKey.objects.get(purpose="FIELD", state="ACTIVE")
    with pytest.raises(IntegrityError), transaction.atomic():
        keyring.dek_create(purpose="FIELD", replace=False)
    assert DataKey.objects.get(pk=active.pk).state == "ACTIVE"


def test_a_contact_row_moved_to_another_customer_does_not_decrypt(seeded_products):
    jane = User.objects.get(username="jane.citizen").customer
    priya = User.objects.get(username="priya.sharma").customer
    email = jane.email_addresses.first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_customeremailaddress SET customer_id = %s, "
                       "is_preferred = %s WHERE id = %s", [priya.pk, False, email.pk])
    with pytest.raises(DecryptionFailed):
        _ = CustomerEmailAddress.objects.get(pk=email.pk).address


def test_saving_with_the_source_deferred_keeps_the_blind_index(seeded_products):
    email = CustomerEmailAddress.objects.first()
    index = email.address_index
    deferred = CustomerEmailAddress.objects.defer("address").get(pk=email.pk)
    deferred.is_preferred = not deferred.is_preferred
    deferred.save()
    assert CustomerEmailAddress.objects.get(pk=email.pk).address_index == index != ""


def test_dumpdata_refuses_to_write_plaintext(seeded_products):
    with pytest.raises(CommandError, match="dumpdata would write it out in plaintext"):
        call_command("dumpdata", "accounts.customer", stdout=io.StringIO())
