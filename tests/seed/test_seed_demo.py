"""`manage.py seed_demo`: safety rails, determinism, balances, catalogue, credentials."""

from __future__ import annotations

import hashlib
import io
import json
import stat
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts import choices as c
from accounts.models import Account, Customer, Product, User
from security.models import AuditEvent
from tests.decrypted import get_decrypted
from transactions.models import (
    DirectDebit,
    InstalmentPlan,
    Payee,
    ScheduledPayment,
    Transaction,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)


def seed(tmp_path: Path, **options: Any) -> str:
    out = io.StringIO()
    options = {"as_of": AS_OF, "credentials_file": tmp_path / "creds.json", **options}
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded_small(tmp_path: Path) -> str:
    return seed(tmp_path, transactions_per_account=5)


def _plain_rows(queryset: Any, *paths: str) -> list[tuple[Any, ...]]:
    """The rows as plaintext tuples (encrypted fields are read through the ORM, which
    decrypts them; SQL cannot sort or select them), sorted in Python."""

    def value(row: Any, path: str) -> Any:
        for part in path.split("__"):
            row = getattr(row, part, None) if row is not None else None
        return row

    return sorted((tuple(value(row, path) for path in paths) for row in queryset), key=repr)


def _digest() -> str:
    """A digest of the seeded data that ignores primary keys, passwords and ciphertexts."""
    h = hashlib.sha256()
    rows: list[Any] = [
        *Product.objects.order_by("product_id").values_list(
            "product_id", "name", "category", "last_updated", "additional_uris",
            "instalments_min_split"),
        *_plain_rows(Customer.objects.all(), "customer_type", "first_name", "last_name",
                     "business_name", "abn", "date_of_birth", "last_update_time"),
        *_plain_rows(User.objects.select_related("customer"), "username", "is_staff",
                     "customer__last_name"),
        *_plain_rows(Account.objects.select_related("product", "balance"), "account_number",
                     "display_name", "ownership", "product__product_id", "opening_balance",
                     "balance__current_balance", "balance__available_balance",
                     "balance__credit_limit"),
        *_plain_rows(Transaction.objects.select_related("account"), "account__account_number",
                     "status", "type", "amount", "description", "reference", "merchant_name",
                     "merchant_category_code", "crn", "execution_date_time",
                     "posting_date_time", "npp_end_to_end_id"),
        *_plain_rows(Payee.objects.all(), "nickname", "payee_type"),
        *_plain_rows(ScheduledPayment.objects.all(), "nickname", "recurrence_utype",
                     "next_payment_date"),
        *_plain_rows(InstalmentPlan.objects.all(), "plan_reference", "amount", "creation_date"),
    ]
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()


def test_seed_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    seed(tmp_path, transactions_per_account=5, customers=3)
    first = _digest()
    first_passwords = json.loads((tmp_path / "creds.json").read_text())["logins"]
    seed(tmp_path, transactions_per_account=5, customers=3, reset=True)
    assert _digest() == first
    second_passwords = json.loads((tmp_path / "creds.json").read_text())["logins"]
    # Passwords come from `secrets`, not from the seed.
    assert [p["password"] for p in first_passwords] != [p["password"] for p in second_passwords]
    seed(tmp_path, transactions_per_account=5, customers=3, reset=True, seed=7)
    assert _digest() != first


def test_seed_refuses_to_run_twice_without_reset(tmp_path: Path, seeded_small: str) -> None:
    count = Transaction.objects.count()
    with pytest.raises(CommandError, match="--reset"):
        seed(tmp_path, transactions_per_account=5)
    assert Transaction.objects.count() == count


@pytest.mark.parametrize("environment", ["prod", "unknown", ""])
def test_seed_refuses_outside_dev_and_test(tmp_path: Path, settings: Any,
                                           environment: str) -> None:
    settings.BANK_ENVIRONMENT = environment
    with pytest.raises(CommandError, match="BANK_ENVIRONMENT"):
        seed(tmp_path, transactions_per_account=5)
    assert not Customer.objects.exists()
    assert not (tmp_path / "creds.json").exists()


def test_reset_replaces_the_data(tmp_path: Path, seeded_small: str) -> None:
    seed(tmp_path, transactions_per_account=5, customers=2, reset=True)
    assert Customer.objects.count() == 4 + 2
    assert User.objects.filter(username="bank-admin").count() == 1


def test_balances_add_up_for_every_account_over_90_days(tmp_path: Path) -> None:
    seed(tmp_path)  # default: 90 days of calendar-driven activity
    # Summed in Python: SQLite's SUM() over NUMERIC goes through floats.
    sums: dict[tuple[int, str], Decimal] = {}
    for account_id, status, amount in Transaction.objects.values_list(
        "account_id", "status", "amount"
    ):
        sums[account_id, status] = sums.get((account_id, status), Decimal("0")) + amount
    accounts = Account.objects.select_related("balance")
    assert accounts.count() >= 12
    for account in accounts:
        posted = sums.get((account.pk, "POSTED"), Decimal("0"))
        pending = sums.get((account.pk, "PENDING"), Decimal("0"))
        balance = account.balance
        assert balance.current_balance == account.opening_balance + posted, account
        assert balance.available_balance == (
            balance.current_balance + pending + (balance.credit_limit or Decimal("0"))
        ), account
        if account.product.category in ("TRANS_AND_SAVINGS_ACCOUNTS", "TERM_DEPOSITS"):
            assert balance.current_balance > 0, account
        if account.product.category in ("RESIDENTIAL_MORTGAGES", "PERS_LOANS",
                                         "BUSINESS_LOANS"):
            assert balance.current_balance < 0, account


def test_default_seed_has_realistic_activity(tmp_path: Path) -> None:
    seed(tmp_path)
    window_end = datetime.combine(AS_OF, time.min, tzinfo=ZoneInfo("Australia/Sydney"))
    txns = Transaction.objects.all()
    first = txns.order_by("execution_date_time").first()
    last = txns.order_by("-execution_date_time").first()
    assert first and last
    assert window_end - first.execution_date_time <= timedelta(days=90)
    assert window_end - first.execution_date_time > timedelta(days=85)
    assert last.execution_date_time < window_end
    pending = txns.filter(status="PENDING")
    assert pending.exists()
    assert not pending.filter(execution_date_time__lt=window_end - timedelta(days=2)).exists()
    assert any(t.description.startswith("SALARY") for t in txns.filter(amount__gt=0))
    assert txns.filter(merchant_category_code="5411").exclude(merchant_name="").exists()
    assert txns.exclude(biller_code="").exclude(crn="").filter(type="PAYMENT").exists()
    assert txns.filter(type="FEE").exists() and txns.filter(type="INTEREST_PAID").exists()
    assert txns.filter(type="INTEREST_CHARGED").exists()
    assert txns.filter(instalment_plan__isnull=False).exists()
    # Own-account NPP transfers have both legs, tied by the end-to-end id.
    # The end-to-end id is encrypted, so the legs are paired in Python.
    legs: dict[str, list[Any]] = {}
    for leg in txns.filter(extension_utype="nppPayload").exclude(npp_end_to_end_id=""):
        legs.setdefault(leg.npp_end_to_end_id, []).append(leg.amount)
    pairs = [amounts for amounts in legs.values() if len(amounts) == 2]
    assert pairs
    assert all(sum(amounts) == 0 for amounts in pairs)


def test_seed_cast_and_relationships(seeded_small: str) -> None:
    persons = Customer.objects.filter(customer_type="person")
    assert persons.count() == 3
    org = Customer.objects.get(customer_type="organisation")
    assert org.organisation_type == "COMPANY" and org.abn and org.acn
    assert User.objects.filter(customer=org).exists()
    joint = Account.objects.filter(ownership="TWO_PARTY").annotate(n=Count("account_holders"))
    assert joint.exists() and all(a.n == 2 for a in joint)
    jane, john = get_decrypted(persons, first_name="Jane"), get_decrypted(persons, first_name="John")
    assert Account.objects.filter(ownership="TWO_PARTY", holders=jane).filter(
        holders=john).exists()
    many = Account.objects.filter(ownership="MANY_PARTY").annotate(n=Count("account_holders"))
    assert many.exists() and all(a.n >= 3 for a in many)
    assert Account.objects.filter(ownership="MANY_PARTY", holders=org).exists()
    singles = Account.objects.filter(ownership="ONE_PARTY").annotate(n=Count("account_holders"))
    assert all(a.n == 1 for a in singles)
    assert Account.objects.count() >= 12
    categories = set(Account.objects.values_list("product__category", flat=True))
    assert {"TRANS_AND_SAVINGS_ACCOUNTS", "CRED_AND_CHRG_CARDS", "RESIDENTIAL_MORTGAGES",
            "PERS_LOANS", "TERM_DEPOSITS", "BUY_NOW_PAY_LATER", "BUSINESS_LOANS"} <= categories
    home_loan = Account.objects.get(product__category="RESIDENTIAL_MORTGAGES")
    assert home_loan.loan.offset_account_enabled
    assert home_loan.loan.offset_accounts.exists()
    assert Account.objects.filter(term_deposits__isnull=False).exists()
    assert Account.objects.filter(credit_card__isnull=False).count() == 2
    assert set(Payee.objects.values_list("payee_type", flat=True)) == set(c.PayeeType.values)
    assert set(ScheduledPayment.objects.values_list("recurrence_utype", flat=True)) == set(
        c.RecurrenceUType.values)
    assert DirectDebit.objects.exists()
    plan = InstalmentPlan.objects.first()
    assert plan is not None and plan.schedule.count() == 4
    assert plan.account.product.category == "BUY_NOW_PAY_LATER"


def test_every_product_category_with_full_detail(seeded_small: str) -> None:
    assert set(Product.objects.values_list("category", flat=True)) == set(
        c.ProductCategory.values)
    for product in Product.objects.all():
        product.full_clean()
        assert product.features.exists(), product
        assert product.eligibility.exists(), product
        assert product.deposit_rates.exists() or product.lending_rates.exists() or (
            product.category == "TRAVEL_CARDS"), product
        assert product.additional_uris["additionalTermsUris"]
    assert Product.objects.filter(fees__discounts__isnull=False).exists()
    assert Product.objects.filter(bundles__isnull=False).exists()
    assert Product.objects.filter(card_art__isnull=False).exists()
    assert Product.objects.filter(deposit_rates__tiers__0__isnull=False).exists()
    bnpl = Product.objects.get(category="BUY_NOW_PAY_LATER")
    assert bnpl.instalments_min_split and bnpl.instalments_max_split


def test_seeded_rows_pass_model_validation(seeded_small: str) -> None:
    for model in (Customer, Account, Payee, ScheduledPayment, DirectDebit, InstalmentPlan):
        for obj in model.objects.all():
            obj.full_clean()
    for txn in Transaction.objects.order_by("?")[:200]:
        txn.full_clean()


def test_credentials_file_is_private_and_logins_work(tmp_path: Path, seeded_small: str) -> None:
    path = tmp_path / "creds.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    logins = json.loads(path.read_text())["logins"]
    kinds = {login["customer_type"] for login in logins}
    assert kinds == {"person", "organisation", "staff"}
    for login in logins:
        assert len(login["password"]) >= 16
        assert login["name"]
        user = authenticate(username=login["username"], password=login["password"])
        assert user is not None, login["username"]
        if login["customer_type"] == "staff":
            assert user.is_staff and user.is_superuser and user.customer_id is None
            # The console's second factor: a TOTP device, its URI only in this 0600 file,
            # and `staff_totp code` (dev/test only) prints the code that signs in.
            from django_otp.plugins.otp_totp.models import TOTPDevice

            from security.staff.totp import staff_totp_verify

            device = TOTPDevice.objects.get(user=user)
            assert login["totp_uri"] == device.config_url
            assert login["totp_uri"] not in seeded_small
            out = io.StringIO()
            call_command("staff_totp", "code", login["username"], stdout=out)
            assert staff_totp_verify(user=user, code=out.getvalue().strip())[0] == device
        else:
            assert "totp_uri" not in login
            assert user.customer.customer_type == login["customer_type"]
    for login in logins:
        assert login["password"] not in seeded_small
    assert str(path) in seeded_small


def test_existing_credentials_file_is_tightened_to_0600(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    path.write_text("{}")
    path.chmod(0o644)
    seed(tmp_path, transactions_per_account=5)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_seed_records_one_audit_event_without_secrets(tmp_path: Path,
                                                      seeded_small: str) -> None:
    events = AuditEvent.objects.filter(event_type="DEMO_DATA_SEEDED")
    assert events.count() == 1
    detail = events.get().detail
    assert detail["transactions"] == Transaction.objects.count()
    assert detail["accounts"] == Account.objects.count()
    passwords = [x["password"] for x in json.loads((tmp_path / "creds.json").read_text())["logins"]]
    assert not any(p in json.dumps(detail) for p in passwords)


def test_transactions_per_account_sets_bulk_account_counts(tmp_path: Path) -> None:
    seed(tmp_path, transactions_per_account=20, customers=2)
    generated = Account.objects.filter(holders__users__username__startswith="customer")
    # Each generated customer: everyday + saver + card, 20 own events each plus incoming
    # legs of own-account transfers.
    assert generated.count() == 6
    for account in generated.annotate(n=Count("transactions")):
        assert account.n >= 20
