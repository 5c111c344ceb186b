"""Constraints and clean() of the transactions models, and the demo activity generators."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import choices as c
from accounts.demo.activity import PROFILES, AccountActivity, activity_generate
from accounts.models import Account, Customer, Product
from transactions.models import (
    DirectDebit,
    InstalmentPlan,
    Payee,
    ScheduledPayment,
    ScheduledPaymentSet,
    Transaction,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    product = Product.objects.create(brand="demo", name="Everyday", description="d",
                                     category=c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
                                     last_updated=timezone.now())
    return Account.objects.create(product=product, display_name="Everyday", bsb="923100",
                                  account_number="12345678")


@pytest.fixture
def customer() -> Customer:
    return Customer.objects.create(customer_type=c.CustomerType.PERSON, last_name="Citizen",
                                   last_update_time=timezone.now())


def _txn(account: Account, **kw: Any) -> Transaction:
    now = timezone.now()
    fields = {"status": c.TransactionStatus.POSTED, "type": c.TransactionType.PAYMENT,
              "amount": Decimal("-12.50"), "description": "WOOLWORTHS SYDNEY",
              "execution_date_time": now, "posting_date_time": now, **kw}
    return Transaction(account=account, **fields)


def _rejected(obj: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()


def test_valid_transaction_saves_and_passes_full_clean(account: Account) -> None:
    txn = _txn(account)
    txn.full_clean()
    txn.save()


@pytest.mark.parametrize("fields", [
    {"status": "POSTED", "posting_date_time": None},
    {"status": "PENDING"},  # pending with a posting time
    {"amount": Decimal("0")},
    {"type": "PAYMENT", "amount": Decimal("10.00")},  # payments are debits
    {"type": "FEE", "amount": Decimal("5.00")},
    {"type": "TRANSFER_INCOMING", "amount": Decimal("-5.00")},
    {"type": "INTEREST_PAID", "amount": Decimal("-0.01")},
    {"extension_utype": "nppPayload", "npp_service_version": "1"},  # no service
    {"extension_utype": "nppPayload", "npp_service": "X2P1"},  # no version
    {"npp_service": "SWIFT"},
    {"type": "REFUND"},
    {"status": "CLEARED"},
])
def test_impossible_transaction_rejected(account: Account, fields: dict) -> None:
    _rejected(_txn(account, **fields))
    with pytest.raises(ValidationError):
        _txn(account, **fields).full_clean()


def test_pending_transaction_without_posting_time_accepted(account: Account) -> None:
    txn = _txn(account, status="PENDING", posting_date_time=None)
    txn.full_clean()
    txn.save()
    assert not txn.is_detail_available


def test_npp_transaction_with_service_accepted(account: Account) -> None:
    txn = _txn(account, type="TRANSFER_OUTGOING", extension_utype="nppPayload",
               npp_service="X2P1", npp_service_version="1", npp_end_to_end_id="E2E1")
    txn.full_clean()
    txn.save()
    assert txn.is_detail_available


def test_transaction_amount_round_trips_exactly(account: Account) -> None:
    txn = _txn(account, amount=Decimal("-1234567.89"))
    txn.save()
    stored = Transaction.objects.get(pk=txn.pk).amount
    assert stored == Decimal("-1234567.89")
    assert str(stored) == "-1234567.89"
    assert Transaction.objects.filter(amount__lte=Decimal("-1234567.89")).count() == 1


@pytest.mark.parametrize(("payee_type", "fields"), [
    ("DOMESTIC", {"domestic_account_utype": "account", "domestic_bsb": "062000"}),
    ("DOMESTIC", {"domestic_account_utype": "card"}),
    ("DOMESTIC", {"domestic_account_utype": "payId", "domestic_payid_identifier": "a@b.c"}),
    ("DOMESTIC", {}),
    ("BILLER", {"biller_code": "23796"}),
    ("INTERNATIONAL", {"international_beneficiary_country": "IND",
                       "international_account_number": "1"}),
    ("DIGITAL_WALLET", {"wallet_name": "J", "wallet_identifier": "j@x", "wallet_type": "EMAIL"}),
    ("CHEQUE", {}),
])
def test_payee_missing_type_details_rejected(customer: Customer, payee_type: str,
                                             fields: dict) -> None:
    _rejected(Payee(customer=customer, payee_type=payee_type, nickname="n", **fields))


@pytest.mark.parametrize(("payee_type", "fields"), [
    ("DOMESTIC", {"domestic_account_utype": "account", "domestic_bsb": "062000",
                  "domestic_account_number": "12345678"}),
    ("DOMESTIC", {"domestic_account_utype": "card", "domestic_card_number": "4564123412341234"}),
    ("DOMESTIC", {"domestic_account_utype": "payId", "domestic_payid_identifier": "a@b.co",
                  "domestic_payid_type": "EMAIL"}),
    ("BILLER", {"biller_code": "23796", "biller_name": "AGL"}),
    ("INTERNATIONAL", {"international_beneficiary_country": "IND",
                       "international_bank_country": "IND",
                       "international_account_number": "1"}),
    ("DIGITAL_WALLET", {"wallet_name": "J", "wallet_identifier": "j@x", "wallet_type": "EMAIL",
                        "wallet_provider": "PAYPAL_AU"}),
])
def test_payee_with_type_details_accepted(customer: Customer, payee_type: str,
                                          fields: dict) -> None:
    payee = Payee(customer=customer, payee_type=payee_type, nickname="n", **fields)
    payee.full_clean()
    payee.save()


@pytest.mark.parametrize(("utype", "fields"), [
    ("onceOff", {}),
    ("intervalSchedule", {"intervals": []}),
    ("lastWeekDay", {"interval": "P1M"}),
    ("lastWeekDay", {"last_week_day": "FRI"}),
    ("eventBased", {}),
])
def test_scheduled_payment_incomplete_recurrence_rejected(account: Account, utype: str,
                                                          fields: dict) -> None:
    _rejected(ScheduledPayment(from_account=account, recurrence_utype=utype, **fields))
    with pytest.raises(ValidationError):
        ScheduledPayment(from_account=account, recurrence_utype=utype, **fields).full_clean()


def test_scheduled_payment_interval_shape_validated(account: Account) -> None:
    payment = ScheduledPayment(from_account=account, recurrence_utype="intervalSchedule",
                               intervals=[{"interval": "monthly"}])
    with pytest.raises(ValidationError):
        payment.full_clean()
    payment.intervals = [{"interval": "P1M", "dayInInterval": "P1D"}]
    payment.full_clean()
    payment.save()


def test_payment_set_target_must_match_utype(account: Account, customer: Customer) -> None:
    payment = ScheduledPayment.objects.create(from_account=account, recurrence_utype="onceOff",
                                              payment_date=date(2025, 1, 1))
    payee = Payee.objects.create(customer=customer, payee_type="BILLER", nickname="AGL",
                                 biller_code="1", biller_name="AGL")
    _rejected(ScheduledPaymentSet(scheduled_payment=payment, to_utype="accountId",
                                  to_payee=payee, amount=Decimal("1")))
    _rejected(ScheduledPaymentSet(scheduled_payment=payment, to_utype="payeeId",
                                  to_account=account, amount=Decimal("1")))
    _rejected(ScheduledPaymentSet(scheduled_payment=payment, to_utype="payeeId",
                                  to_payee=payee, to_account=account, amount=Decimal("1")))
    _rejected(ScheduledPaymentSet(scheduled_payment=payment, to_utype="payeeId",
                                  to_payee=payee))  # no amount and not calculated
    ScheduledPaymentSet.objects.create(scheduled_payment=payment, to_utype="payeeId",
                                       to_payee=payee, is_amount_calculated=True)


def test_direct_debit_needs_an_identified_entity(account: Account) -> None:
    _rejected(DirectDebit(account=account))
    DirectDebit.objects.create(account=account, authorised_entity_description="NETFLIX")


def test_instalment_plan_amount_positive(account: Account) -> None:
    _rejected(InstalmentPlan(account=account, plan_reference="r", merchant_name="m",
                             plan_nickname="n", creation_date=date(2025, 1, 1),
                             amount=Decimal("-1"), duration="P6W", instalment_interval="P14D"))


def test_activity_generators_produce_valid_transactions(account: Account) -> None:
    """The seed skips per-row full_clean for speed; this checks its generators instead."""
    roles = {name: AccountActivity(role=name, profile=name,
                                   links={"savings": "savings", "card": "credit_card",
                                          "loan": "home_loan", "everyday": "everyday",
                                          "household": "household", "offset": "savings",
                                          "bnpl": "bnpl"},
                                   context={"name": "JANE CITIZEN", "display_name": "x"})
             for name in PROFILES}
    end = datetime(2025, 7, 1, tzinfo=ZoneInfo("Australia/Sydney"))
    activity_generate(rng=random.Random(7), accounts=list(roles.values()), window_end=end)
    activity_generate(rng=random.Random(8), accounts=list(roles.values()), window_end=end,
                      transactions_per_account=40)
    seen_types = set()
    for activity in roles.values():
        for txn in activity.transactions:
            txn.account = account
            txn.full_clean()
            seen_types.add(txn.type)
            assert txn.execution_date_time < end
            assert end - txn.execution_date_time <= timedelta(days=90)
            if txn.status == c.TransactionStatus.PENDING:
                assert end - txn.execution_date_time <= timedelta(days=2)
    assert seen_types == set(c.TransactionType.values)
