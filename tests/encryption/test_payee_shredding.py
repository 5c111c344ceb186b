"""Saved payees are the customer's own data: sealed under the customer's key, so erasing the
customer shreds them, in the database and in backups.

- Erasure: the customer's payees and standing instructions go, in the erasure's transaction;
  a payee row copied out before (a backup) no longer decrypts; another customer's payees
  still answer Get Payees; a joint holder's scheduled payments still answer 200 and valid;
  transactions stay; both steps are audited.
- Migration transactions 0005: payees sealed under the bank's key (as 0004 wrote them) are
  re-sealed under their customer's key and read back; customers erased before it lose their
  payees and standing instructions instead; the step is idempotent and reversible.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Account, AccountHolder, Customer, Product
from security import audit
from security.consent.erasure import PAYMENT_INSTRUCTIONS_DELETED, customer_erase
from security.encryption import keyring, migration_ops
from security.encryption.fields import Sealed
from security.encryption.keyring import KeyDestroyed
from security.encryption.models import DataKey
from security.encryption.rotation import CUSTOMER_ERASED, customer_keys_destroy
from security.models import AuditEvent
from security.resource_ids import ResourceKind
from tests.cdr_schema import assert_cdr_response
from tests.decrypted import get_decrypted
from tests.resources import conftest as resources
from tests.resources.conftest import BankData
from transactions.models import Payee, ScheduledPayment, ScheduledPaymentSet, Transaction

# The resource endpoints' fixtures (a software product, a token, the CDR client), on the
# `bank` of this module.
cdr = resources.cdr
grant = resources.grant
make_product = resources.make_product
product = resources.product

ACTOR = audit.Actor(audit.ActorType.STAFF, "7")
PAYEES = "banking/payees"
SCHEDULED = "banking/payments/scheduled"
SECRET_FIELDS = ("nickname", "description", "domestic_account_name", "domestic_bsb",
                 "domestic_account_number", "biller_crn", "wallet_name", "wallet_identifier")


@pytest.fixture
def bank(seeded_products: None) -> BankData:
    """The demo cast (Jane and John share the Citizen Household account), in this test's
    transaction: the Get Payees / scheduled payments fixtures of tests/resources run on it."""
    return BankData()


def _raw_database() -> str:
    """Every row of every table, as the database holds it (what a dump or backup shows)."""
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def _raw_payee(pk: int) -> dict[str, Any]:
    """A payee row as stored (ciphertexts), the way a backup keeps it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM transactions_payee WHERE id = %s", [pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _restored(raw: dict[str, Any], field: str) -> Any:
    """Read one field of a payee row restored from a backup, through the model's own code."""
    row = Payee(id=raw["id"], customer_id=raw["customer_id"],
                row_key=Payee._meta.get_field("row_key").to_python(raw["row_key"]))
    setattr(row, field, Sealed(raw[field]))
    return getattr(row, field)


def _key_of(table: str, column: str, pk: int) -> DataKey:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return DataKey.objects.get(key_id=keyring.key_id_of(str(cursor.fetchone()[0])))


def _payments(response: Any, operation: str, version: int) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content[:500]
    return assert_cdr_response(response, operation, version=version)["data"]["scheduledPayments"]


# Erasure -----------------------------------------------------------------------------------
@pytest.fixture
def household(bank: BankData) -> dict[str, Any]:
    """Standing instructions on the joint account, set up by each holder, plus one more
    payee of Jane's with distinctive details."""
    jane, john = bank.customer("jane.citizen"), bank.customer("john.citizen")
    account = bank.account("jane.citizen", "Citizen Household")
    assert set(account.account_holders.values_list("customer_id", flat=True)) == {jane.pk, john.pk}
    landlord = Payee.objects.create(
        customer=jane, payee_type="DOMESTIC", nickname="Landlord Quokka",
        description="Rent for the Fremantle flat", domestic_account_utype="account",
        domestic_account_name="QUOKKA PROPERTY TRUST", domestic_bsb="086-420",
        domestic_account_number="97531864")
    mum = get_decrypted(Payee.objects.filter(customer=john), nickname="Mum")

    def payment(nickname: str, **target: Any) -> ScheduledPayment:
        made = ScheduledPayment.objects.create(
            from_account=account, nickname=nickname, payer_reference="Household",
            recurrence_utype="intervalSchedule", intervals=[{"interval": "P1M"}],
            next_payment_date=date(2027, 1, 1))
        ScheduledPaymentSet.objects.create(scheduled_payment=made, amount=Decimal("10.00"),
                                           **target)
        return made

    return {
        "jane": jane, "john": john, "account": account, "landlord": landlord, "mum": mum,
        # Jane's, to her payee: cancelled with her.
        "rent": payment("Rent", to_utype="payeeId", to_payee=landlord),
        # John's, to his payee, and a transfer between the household's accounts: they stay.
        "mum_payment": payment("Mum monthly", to_utype="payeeId", to_payee=mum),
        "offset": payment("Top up offset", to_utype="accountId",
                          to_account=bank.account("jane.citizen", "Citizen Offset")),
    }


def _erase(customer: Customer, capture: Any) -> None:
    with capture(execute=True):  # the KEK goes after the commit
        customer_erase(customer=customer, actor=ACTOR)
    keyring.keyring_forget()  # as another process would, once its cache expires


@pytest.mark.django_db
def test_erasure_shreds_the_customers_payees_and_leaves_the_others(
        household, grant, cdr, django_capture_on_commit_callbacks):
    jane = household["jane"]
    jane_payees = list(Payee.objects.filter(customer=jane))
    assert len(jane_payees) == 3  # AGL, PayPal (the seed) and the landlord
    for payee in jane_payees:  # sealed under Jane's own key
        key = _key_of("transactions_payee", "nickname", payee.pk)
        assert (key.purpose, key.owner) == ("CUSTOMER", jane.row_key)
    seeded = {str(getattr(p, f)) for p in jane_payees for f in SECRET_FIELDS}
    seeded = {value for value in seeded if len(value) >= 6}  # shorter ones match by chance
    assert {"97531864", "QUOKKA PROPERTY TRUST", "4001234567", "jane@example.com"} <= seeded
    backup = [_raw_payee(p.pk) for p in jane_payees]  # a backup taken before the erasure
    assert _restored(backup[0], "nickname") == jane_payees[0].nickname
    john_before = cdr("get", PAYEES, grant("john.citizen"), x_v="2").json()["data"]["payees"]
    transactions = Transaction.objects.filter(account=household["account"]).count()
    assert transactions > 0

    _erase(jane, django_capture_on_commit_callbacks)

    assert not Payee.objects.filter(customer=jane).exists()
    raw = _raw_database()
    found = sorted(value for value in seeded if value in raw)
    assert not found, f"readable in the database after the erasure: {found}"
    for row in backup:  # the backup's copies no longer open: the key is gone
        for field in SECRET_FIELDS:
            if row[field]:
                with pytest.raises(KeyDestroyed):
                    _restored(row, field)
    # John's payees are his, under his key: untouched, readable through the API.
    g = grant("john.citizen")
    response = cdr("get", PAYEES, g, x_v="2")
    assert response.status_code == 200
    body = assert_cdr_response(response, "listBankingPayees", version=2)
    assert body["data"]["payees"] == john_before
    assert [p["nickname"] for p in body["data"]["payees"]] == ["Mum", "Sam card"]
    mum = g.id_for(ResourceKind.PAYEE, household["mum"].pk)
    detail = cdr("get", f"{PAYEES}/{mum}", g, x_v="2")
    assert detail.status_code == 200
    assert assert_cdr_response(detail, "getBankingPayeeDetail", version=2)["data"]["domestic"] == {
        "payeeAccountUType": "account",
        "account": {"accountName": "M CITIZEN", "bsb": "062000", "accountNumber": "12345678"}}
    # The bank's record of payments stays.
    assert Transaction.objects.filter(account=household["account"]).count() == transactions
    assert all(t.description for t in Transaction.objects.filter(account=household["account"]))


@pytest.mark.django_db
def test_a_joint_holder_still_lists_the_scheduled_payments_after_the_erasure(
        household, grant, cdr, django_capture_on_commit_callbacks):
    account, john = household["account"], household["john"]
    g = grant("john.citizen")
    path = f"banking/accounts/{g.account_id(account)}/payments/scheduled"
    before = _payments(cdr("get", path, g, x_v="2"), "listScheduledPayments", 2)
    assert [p["nickname"] for p in before] == ["Rent", "Mum monthly", "Top up offset"]
    # Jane's payee, shown to John inline (it is not his): its details are decrypted.
    assert before[0]["paymentSet"][0]["to"]["domestic"]["account"]["accountNumber"] == "97531864"

    _erase(household["jane"], django_capture_on_commit_callbacks)

    g = grant("john.citizen")  # a fresh token: the same holder, after the erasure
    account_id = g.account_id(account)
    path = f"banking/accounts/{account_id}/payments/scheduled"
    for payments in (
        _payments(cdr("get", path, g, x_v="2"), "listScheduledPayments", 2),
        _payments(cdr("get", SCHEDULED, g, x_v="3"), "listScheduledPaymentsBulk", 3),
        _payments(cdr("get", SCHEDULED, g, x_v="2"), "listScheduledPaymentsBulk", 2),
        _payments(cdr("post", SCHEDULED, g, x_v="2",
                      data={"data": {"accountIds": [account_id]}, "meta": {}}),
                  "listScheduledPaymentsSpecificAccounts", 2),
    ):
        household_payments = [p for p in payments if p["from"]["accountId"] == account_id]
        assert [p["nickname"] for p in household_payments] == ["Mum monthly", "Top up offset"]
        assert household_payments[0]["paymentSet"][0]["to"] == {
            "toUType": "payeeId", "payeeId": g.id_for(ResourceKind.PAYEE, household["mum"].pk)}
    assert not ScheduledPayment.objects.filter(pk=household["rent"].pk).exists()
    assert ScheduledPayment.objects.filter(from_account__account_holders__customer=john).exists()


@pytest.mark.django_db
def test_the_erasure_cancels_the_customers_standing_instructions_and_audits_it(
        household, bank, django_capture_on_commit_callbacks):
    jane = household["jane"]
    own = list(ScheduledPayment.objects.filter(
        from_account=bank.account("jane.citizen", "Everyday Account")).order_by("pk"))
    assert [p.nickname for p in own] == ["Save monthly", "Old gym"]  # from her sole account
    kept = set(ScheduledPayment.objects.exclude(
        pk__in=[household["rent"].pk, *(p.pk for p in own)]).values_list("pk", flat=True))
    assert len(kept) == 6  # John's, Priya's, Acme's and the household's other two
    holdings = AccountHolder.objects.filter(customer=jane).count()

    _erase(jane, django_capture_on_commit_callbacks)

    cancelled = sorted([household["rent"].pk, *(p.pk for p in own)])
    assert not ScheduledPayment.objects.filter(pk__in=cancelled).exists()
    assert not ScheduledPaymentSet.objects.filter(scheduled_payment_id__in=cancelled).exists()
    assert set(ScheduledPayment.objects.values_list("pk", flat=True)) == kept
    deleted = AuditEvent.objects.get(event_type=PAYMENT_INSTRUCTIONS_DELETED)
    assert (deleted.subject_type, deleted.subject_id) == ("customer", str(jane.pk))
    assert (deleted.actor_type, deleted.actor_id) == (ACTOR.type, ACTOR.id)
    assert deleted.detail == {"payees_deleted": 3, "scheduled_payments_deleted": cancelled}
    erased = AuditEvent.objects.get(event_type=CUSTOMER_ERASED)
    assert erased.subject_id == str(jane.pk) and erased.detail == {"keys_destroyed": 1}
    # Her accounts stay, and her place on them (the joint ones are John's too).
    assert AccountHolder.objects.filter(customer=jane).count() == holdings


@pytest.mark.django_db
def test_an_erasure_that_fails_deletes_nothing(household, django_capture_on_commit_callbacks,
                                               monkeypatch):
    """One transaction: payees and standing instructions go only with the key."""
    def key_manager_down(**_: Any) -> int:
        raise RuntimeError("the key manager is down")

    jane = household["jane"]
    monkeypatch.setattr("security.consent.erasure.customer_keys_destroy", key_manager_down)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=jane, actor=ACTOR)
    assert Payee.objects.filter(customer=jane).count() == 3
    assert ScheduledPayment.objects.filter(pk=household["rent"].pk).exists()
    assert not AuditEvent.objects.filter(event_type=PAYMENT_INSTRUCTIONS_DELETED).exists()
    assert Customer.objects.get(pk=jane.pk).last_name == "Citizen"


# Migration transactions 0005 ---------------------------------------------------------------
BEFORE = ("transactions", "0004_row_keys_unique")
AFTER = ("transactions", "0005_payees_under_customer_keys")


def _migrate(*targets: tuple[str, str]) -> Any:
    """Migrate to `targets` (the latest of every app without any); the models of that state."""
    executor = MigrationExecutor(connection)
    nodes = list(targets) or executor.loader.graph.leaf_nodes()
    executor.migrate(nodes)
    executor.loader.build_graph()
    keyring.keyring_forget()
    return executor.loader.project_state(
        [*nodes, ("accounts", "0003_row_keys_unique"), ("encryption", "0001_initial")]).apps


@pytest.fixture
def at_0004(transactional_db: None) -> Any:
    """The database as transactions 0004 left it (payees under the bank's key); the latest
    schema again afterwards, whatever the test did."""
    old = _migrate(BEFORE)
    yield old
    _migrate()


def _person(name: str) -> Customer:
    return Customer.objects.create(customer_type="person", first_name=name, last_name="Migrant",
                                   last_update_time=timezone.now())


def _old_payee(old_apps: Any, customer: Customer, n: int) -> Any:
    """A payee as the code of transactions 0004 wrote it (the historical model's fields,
    the bank's key)."""
    return old_apps.get_model("transactions", "Payee").objects.create(
        customer_id=customer.pk, payee_type="DOMESTIC", nickname=f"Old payee {n}",
        description=f"Paid since {2000 + n}", domestic_account_utype="account",
        domestic_account_name=f"HOLDER NUMBER {n}", domestic_bsb="062-000",
        domestic_account_number=f"{55_000_000 + n}")


def test_migration_0005_reseals_payees_under_their_customers_keys(at_0004, monkeypatch):
    monkeypatch.setattr(migration_ops, "BATCH", 2)  # several batches
    ada, bo = _person("Ada"), _person("Bo")
    old = [_old_payee(at_0004, customer, n) for n, customer in enumerate([ada, ada, bo, ada, bo])]
    field_key = _key_of("transactions_payee", "nickname", old[0].pk)
    assert (field_key.purpose, field_key.owner) == ("FIELD", None)
    before = {p.pk: _raw_payee(p.pk) for p in old}

    _migrate(AFTER)

    for n, payee in enumerate(old):
        fresh = Payee.objects.get(pk=payee.pk)
        assert fresh.nickname == f"Old payee {n}"
        assert fresh.description == f"Paid since {2000 + n}"
        assert fresh.domestic_account_number == f"{55_000_000 + n}"
        assert fresh.domestic_bsb == "062-000"
        for column in ("nickname", "description", "domestic_account_name", "domestic_bsb",
                       "domestic_account_number"):
            key = _key_of("transactions_payee", column, payee.pk)
            assert (key.purpose, key.owner) == ("CUSTOMER", fresh.customer.row_key)
            assert _raw_payee(payee.pk)[column] != before[payee.pk][column]
        assert _raw_payee(payee.pk)["domestic_card_number"] == ""  # empty stays empty
    # Idempotent: run again, nothing changes.
    after = {p.pk: _raw_payee(p.pk) for p in old}
    spec = migration_ops.Encrypted("transactions_payee", SECRET_FIELDS[:5], owner="customer_id")
    migration_ops.reseal_existing(spec, from_owner="")(None, SimpleNamespace(connection=connection))
    assert {p.pk: _raw_payee(p.pk) for p in old} == after
    # Now erasing Ada shreds her migrated payees, and only hers.
    backup = _raw_payee(old[0].pk)
    customer_keys_destroy(owner=ada.row_key, actor=ACTOR, subject_id=str(ada.pk))
    keyring.keyring_forget()
    with pytest.raises(KeyDestroyed):
        _restored(backup, "domestic_account_number")
    assert Payee.objects.get(pk=old[2].pk).nickname == "Old payee 2"


def test_migration_0005_is_reversible(at_0004):
    payee = _old_payee(at_0004, _person("Cy"), 1)
    _migrate(AFTER)
    assert _key_of("transactions_payee", "nickname", payee.pk).purpose == "CUSTOMER"

    old_apps = _migrate(BEFORE)

    assert _key_of("transactions_payee", "nickname", payee.pk).purpose == "FIELD"
    again = old_apps.get_model("transactions", "Payee").objects.get(pk=payee.pk)
    assert (again.nickname, again.domestic_account_number) == ("Old payee 1", "55000001")


def test_migration_0005_deletes_what_customers_erased_before_it_left(at_0004):
    """Erased under the old code: their key is gone but their payees, under the bank's key,
    are not. The migration does what erasure does today instead of re-sealing them (which
    would create a new key for them)."""
    gone, kept = _person("Gone"), _person("Kept")
    gone_payee, kept_payee = _old_payee(at_0004, gone, 1), _old_payee(at_0004, kept, 2)
    plain = Product.objects.create(brand="demo", name="Plain", description="Plain",
                                   category="TRANS_AND_SAVINGS_ACCOUNTS",
                                   last_updated=timezone.now())
    account = Account.objects.create(product=plain, display_name="Shared", bsb="062-000",
                                     account_number="11223344")
    for customer in (gone, kept):
        AccountHolder.objects.create(account=account, customer=customer)
    to_gone = ScheduledPayment.objects.create(
        from_account=account, nickname="To Gone's payee", recurrence_utype="eventBased",
        event_description="When asked")
    ScheduledPaymentSet.objects.create(scheduled_payment=to_gone, to_utype="payeeId",
                                       to_payee_id=gone_payee.pk, amount=Decimal("5.00"))
    to_kept = ScheduledPayment.objects.create(
        from_account=account, nickname="To Kept's payee", recurrence_utype="eventBased",
        event_description="When asked")
    ScheduledPaymentSet.objects.create(scheduled_payment=to_kept, to_utype="payeeId",
                                       to_payee_id=kept_payee.pk, amount=Decimal("5.00"))
    customer_keys_destroy(owner=gone.row_key, actor=ACTOR, subject_id=str(gone.pk))
    keyring.keyring_forget()
    assert at_0004.get_model("transactions", "Payee").objects.get(
        pk=gone_payee.pk).nickname == "Old payee 1"  # the gap this migration closes

    _migrate(AFTER)

    assert not Payee.objects.filter(pk=gone_payee.pk).exists()
    assert not ScheduledPayment.objects.filter(pk=to_gone.pk).exists()
    assert Payee.objects.get(pk=kept_payee.pk).nickname == "Old payee 2"
    assert ScheduledPayment.objects.get(pk=to_kept.pk).payment_set.get().to_payee_id == kept_payee.pk
    assert not DataKey.objects.filter(owner=gone.row_key, state="ACTIVE").exists()
    event = AuditEvent.objects.get(event_type=PAYMENT_INSTRUCTIONS_DELETED)
    assert (event.subject_id, event.actor_type) == (str(gone.pk), "system")
    assert event.detail == {"payees_deleted": 1, "scheduled_payments_deleted": [to_gone.pk]}


def test_resealing_never_recreates_an_erased_customers_key(at_0004):
    gone = _person("Gone")
    payee = _old_payee(at_0004, gone, 1)
    customer_keys_destroy(owner=gone.row_key, actor=ACTOR, subject_id=str(gone.pk))
    keyring.keyring_forget()
    spec = migration_ops.Encrypted("transactions_payee", ("nickname",), owner="customer_id")
    with pytest.raises(keyring.EncryptionError, match="erased"):
        migration_ops.reseal_existing(spec, from_owner="")(
            None, SimpleNamespace(connection=connection))
    assert _key_of("transactions_payee", "nickname", payee.pk).purpose == "FIELD"
    assert not DataKey.objects.filter(owner=gone.row_key, state="ACTIVE").exists()


@pytest.mark.django_db
def test_nothing_new_can_be_encrypted_for_an_erased_customer(
        household, django_capture_on_commit_callbacks):
    """An erased customer stays erased: a payee (or any personal data) written for them later
    is refused instead of quietly getting a fresh, readable key."""
    from security.encryption.models import DataKey

    jane = household["jane"]
    _erase(jane, django_capture_on_commit_callbacks)
    keys = DataKey.objects.filter(owner=jane.row_key).count()
    from django.db import transaction

    with pytest.raises(KeyDestroyed), transaction.atomic():
        Payee.objects.create(customer=jane, payee_type="BILLER", nickname="Late write",
                             biller_code="12345", biller_name="Water", biller_crn="555")
    assert DataKey.objects.filter(owner=jane.row_key).count() == keys
    assert not DataKey.objects.filter(owner=jane.row_key, state="ACTIVE").exists()
    # Others are unaffected.
    Payee.objects.create(customer=household["john"], payee_type="BILLER", nickname="Water",
                         biller_code="12345", biller_name="Water", biller_crn="555")


@pytest.mark.django_db
def test_an_erasure_that_lands_during_a_key_creation_wins(household, monkeypatch):
    """The erasure commits between dek_create's first check and its insert (forced here): the
    new key and the KEK made for it are undone, and the customer stays erased."""
    from django.db import transaction

    from security.encryption.models import DataKey
    from security.kms import key_manager

    jane = household["jane"]
    label = keyring._customer_kek_label(jane.row_key)
    # Jane as if she had no key yet (a first write for her is about to create one).
    DataKey.objects.filter(owner=jane.row_key).delete()
    key_manager().kek_destroy(label)
    real_create = keyring.key_manager().kek_create

    def create_then_erase(created_label):
        # The KEK is made, then the erasure commits: Jane's keys marked DESTROYED.
        real_create(created_label)
        DataKey.objects.create(key_id="kerased0000000000", purpose="CUSTOMER",
                               owner=jane.row_key, kek_label=created_label, wrapped=b"",
                               state="DESTROYED")

    monkeypatch.setattr(keyring.key_manager(), "kek_create", create_then_erase)
    with pytest.raises(KeyDestroyed), transaction.atomic():
        keyring.dek_create(purpose="CUSTOMER", owner=jane.row_key, replace=False)
    assert not DataKey.objects.filter(owner=jane.row_key, state="ACTIVE").exists()
    assert not key_manager().kek_exists(label)
