"""A stolen dump reveals nothing: after seeding the demo bank, the whole database (SQLite's
dump, or PostgreSQL's pg_dump) holds none of the seeded names, emails, account numbers,
phone numbers or transaction descriptions."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from django.db import connection
from django.utils import timezone

from accounts.demo.seeder import demo_data_delete, seed_run
from accounts.models import (
    Account,
    Customer,
    CustomerEmailAddress,
    CustomerPhoneNumber,
    Product,
)
from transactions.models import DirectDebit, Payee, Transaction


def _secrets_seeded() -> set[str]:
    """Every sensitive value the seed wrote, read back (decrypted) through the ORM."""
    values: set[str] = set()
    for customer in Customer.objects.all():
        values |= {customer.first_name, customer.last_name, customer.business_name,
                   customer.legal_name, customer.abn, customer.acn}
    values |= {e.address for e in CustomerEmailAddress.objects.all()}
    values |= {p.number for p in CustomerPhoneNumber.objects.all()}
    for account in Account.objects.all():
        values |= {account.account_number, account.display_name}
    for transaction in Transaction.objects.all()[:3000]:
        values |= {transaction.description, transaction.merchant_name, transaction.payer,
                   transaction.payee}
    for payee in Payee.objects.all():
        values |= {payee.nickname, payee.domestic_account_number, payee.biller_crn}
    # Short values ("Bills", a 3-digit CRN) would match by chance anywhere; at 6+
    # characters a hit means the value is there. Strings the bank publishes anyway (its
    # product catalogue: an account called "Everyday Account", a transaction described as a
    # published fee) and the businesses that collect direct debits are not secrets.
    return {value for value in values if value and len(value) >= 6} - _public_strings()


def _public_strings() -> set[str]:
    public: set[str] = set()
    for product in Product.objects.prefetch_related("fees", "bundles"):
        public.add(product.name)
        public |= {fee.name for fee in product.fees.all()}
        public |= {bundle.name for bundle in product.bundles.all()}
    public |= set(DirectDebit.objects.values_list("authorised_entity_description", flat=True))
    return public


def _assert_absent(dump: str, values: set[str]) -> None:
    assert values, "the seed wrote nothing to look for"
    found = sorted(value for value in values if value in dump)
    assert not found, f"{len(found)} seeded values are readable in the dump, e.g. {found[:5]}"


def _seed() -> None:
    demo_data_delete()
    seed_run(seed=20261128, as_of=timezone.now().date(), customers=3,
             transactions_per_account=20, brand="demo", brand_name="Demo Bank")


@pytest.mark.django_db
def test_a_sqlite_dump_reveals_nothing():
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL variant below covers this database")
    _seed()
    values = _secrets_seeded()
    connection.ensure_connection()
    dump = "\n".join(connection.connection.iterdump())
    assert "INSERT INTO \"accounts_customer\"" in dump
    _assert_absent(dump, values)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_dump_reveals_nothing():
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump (Debian postgresql-client) is needed"
    _seed()
    values = _secrets_seeded()
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    dump = subprocess.run(
        [pg_dump, "--data-only", "-h", settings["HOST"] or "127.0.0.1",
         "-p", str(settings["PORT"] or 5432), "-U", settings["USER"] or "postgres",
         settings["NAME"]],
        env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    assert "accounts_customer" in dump
    _assert_absent(dump, values)
