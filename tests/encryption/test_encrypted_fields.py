"""Encrypted fields on the bank's real models: what the database holds, what the ORM gives
back, and every way a ciphertext can be abused (tampered, moved, relabelled, written raw)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import FieldError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, Customer, CustomerEmailAddress, Product
from security.encryption.fields import Sealed, blind_index
from security.encryption.keyring import DecryptionFailed, keyring_forget
from security.encryption.models import DataKey
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def _write_raw(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.fixture
def customer(seeded_products: None) -> Customer:
    person = Customer.objects.create(
        customer_type="person", first_name="Matilda", last_name="Wormwood",
        middle_names=["Honey"], date_of_birth=date(1988, 5, 17), last_update_time=timezone.now())
    person.email_addresses.create(purpose="HOME", address="Matilda.W@Example.com",
                                  is_preferred=True)
    return person


@pytest.fixture
def accounts(customer: Customer) -> list[Account]:
    product = Product.objects.first()
    made = []
    for number in ("12345678", "87654321"):
        account = Account.objects.create(product=product, display_name="Wormwood Savings",
                                         bsb="062-000", account_number=number)
        account.account_holders.create(customer=customer, is_owner=True)
        made.append(account)
    return made


def test_the_database_holds_ciphertext_and_the_orm_gives_plaintext(customer):
    stored = _raw("accounts_customer", "last_name", customer.pk)
    assert stored.startswith("e1.") and "Wormwood" not in stored
    assert "1988" not in _raw("accounts_customer", "date_of_birth", customer.pk)
    again = Customer.objects.get(pk=customer.pk)
    assert again.last_name == "Wormwood"
    assert again.middle_names == ["Honey"]
    assert again.date_of_birth == date(1988, 5, 17)


def test_each_customer_has_a_key_of_their_own(customer):
    key_id = _raw("accounts_customer", "last_name", customer.pk).split(".")[1]
    key = DataKey.objects.get(key_id=key_id)
    assert key.purpose == "CUSTOMER" and key.owner == customer.row_key
    email_key = _raw("accounts_customeremailaddress", "address",
                     customer.email_addresses.get().pk).split(".")[1]
    assert email_key == key_id, "the customer's contact rows use the customer's key"


def test_values_and_values_list_never_hand_out_plaintext(customer):
    (value,) = Customer.objects.filter(pk=customer.pk).values_list("last_name", flat=True)
    assert isinstance(value, Sealed) and "Wormwood" not in value


def test_a_tampered_ciphertext_fails_and_is_audited(customer):
    stored = _raw("accounts_customer", "last_name", customer.pk)
    flipped = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
    _write_raw("accounts_customer", "last_name", customer.pk, flipped)
    again = Customer.objects.get(pk=customer.pk)
    with pytest.raises(DecryptionFailed):
        _ = again.last_name
    event = AuditEvent.objects.get(event_type="DECRYPTION_FAILED")
    assert event.detail == {"column": "last_name", "reason": "DecryptionFailed"}
    assert event.subject_id == str(customer.pk)


def test_a_ciphertext_moved_to_another_row_or_column_fails(customer, accounts):
    first, second = accounts
    number = _raw("accounts_account", "account_number", first.pk)
    _write_raw("accounts_account", "account_number", second.pk, number)
    with pytest.raises(DecryptionFailed):
        _ = Account.objects.get(pk=second.pk).account_number
    _write_raw("accounts_account", "nickname", first.pk, number)
    with pytest.raises(DecryptionFailed):
        _ = Account.objects.get(pk=first.pk).nickname
    assert Account.objects.get(pk=first.pk).account_number == "12345678"


def test_a_relabelled_key_id_fails(customer, accounts):
    stored = _raw("accounts_account", "account_number", accounts[0].pk)
    other_key = DataKey.objects.exclude(key_id=stored.split(".")[1]).exclude(
        purpose="BLIND_INDEX").first()
    assert other_key is not None
    relabelled = ".".join(["e1", other_key.key_id, stored.split(".", 2)[2]])
    _write_raw("accounts_account", "account_number", accounts[0].pk, relabelled)
    with pytest.raises(DecryptionFailed):
        _ = Account.objects.get(pk=accounts[0].pk).account_number


@pytest.mark.parametrize("stored", ["12345678", "e1.nosuchkey.AAAA", "e1..", "e1.k1.%%%"])
def test_plaintext_or_garbage_in_an_encrypted_column_fails(accounts, stored):
    _write_raw("accounts_account", "account_number", accounts[0].pk, stored)
    with pytest.raises(DecryptionFailed):
        _ = Account.objects.get(pk=accounts[0].pk).account_number


def test_plaintext_cannot_be_written_around_the_field(customer, accounts):
    with pytest.raises(TypeError, match="encrypted"), transaction.atomic():
        Account.objects.filter(pk=accounts[0].pk).update(account_number="99999999")
    accounts[0].account_number = "99999999"
    with pytest.raises(TypeError, match="encrypted"), transaction.atomic():
        Account.objects.bulk_update([accounts[0]], ["account_number"])
    assert Account.objects.get(pk=accounts[0].pk).account_number == "12345678"


def test_encrypted_columns_cannot_be_searched_by_value(customer):
    with pytest.raises(FieldError, match="blind index"):
        Customer.objects.filter(last_name="Wormwood").count()
    with pytest.raises(FieldError):
        Customer.objects.filter(last_name__icontains="worm").count()
    assert Customer.objects.filter(pk=customer.pk).exclude(last_name="").count() == 1


def test_blind_indexes_find_equal_values(customer, accounts):
    index = blind_index(Account, "account_number", "1234 5678")
    assert list(Account.objects.filter(account_number_index=index)) == [accounts[0]]
    email = blind_index(CustomerEmailAddress, "address", "  matilda.w@example.COM ")
    assert CustomerEmailAddress.objects.get(address_index=email).customer == customer
    assert "12345678" not in index and len(index) == 32
    assert blind_index(Account, "account_number", "") == ""


def test_saving_an_unchanged_row_keeps_its_ciphertexts(customer):
    before = _raw("accounts_customer", "last_name", customer.pk)
    again = Customer.objects.get(pk=customer.pk)
    again.occupation_code = "261313"
    again.save()
    assert _raw("accounts_customer", "last_name", customer.pk) == before
    again.last_name = "Honey"
    again.save()
    assert _raw("accounts_customer", "last_name", customer.pk) != before
    keyring_forget()  # a fresh process: keys come back from the key manager
    assert Customer.objects.get(pk=customer.pk).last_name == "Honey"


def test_an_error_report_hides_what_unseal_held(customer):
    # The fields' sensitive_variables: a server error's report (DEBUG pages, admin mails)
    # shows none of the plaintext or key material in these frames.
    import sys

    from django.views.debug import ExceptionReporter

    stored = _raw("accounts_customer", "last_name", customer.pk)
    _write_raw("accounts_customer", "last_name", customer.pk, stored[:-3] + "AAA")
    try:
        _ = Customer.objects.get(pk=customer.pk).last_name
    except DecryptionFailed:
        frames = ExceptionReporter(None, *sys.exc_info()).get_traceback_frames()
    unseal = [f for f in frames if f["function"] == "unseal"]
    assert len(unseal) == 1
    assert dict(unseal[0]["vars"]) and all(
        value == "********************" for value in dict(unseal[0]["vars"]).values())
