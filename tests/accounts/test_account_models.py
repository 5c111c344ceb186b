"""Constraints and clean() of the accounts models reject impossible data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import choices as c
from accounts.models import (
    Account,
    AccountHolder,
    Balance,
    CreditCardDetail,
    Customer,
    CustomerAddress,
    CustomerPhoneNumber,
    Product,
    ProductDepositRate,
    ProductFee,
    ProductFeeDiscount,
    TermDeposit,
    User,
)

pytestmark = pytest.mark.django_db


def _person(**kw: Any) -> Customer:
    fields = {"last_name": "Citizen", **kw}
    return Customer(customer_type=c.CustomerType.PERSON, last_update_time=timezone.now(),
                    **fields)


def _org(**kw: Any) -> Customer:
    fields = {"business_name": "Acme", "agent_last_name": "Nguyen", "agent_role": "Director",
              "organisation_type": c.OrganisationType.COMPANY, **kw}
    return Customer(customer_type=c.CustomerType.ORGANISATION, last_update_time=timezone.now(),
                    **fields)


def _product(**kw: Any) -> Product:
    fields = {"brand": "demo", "name": "Everyday", "description": "d",
              "category": c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
              "last_updated": timezone.now(), **kw}
    return Product(**fields)


def _account(**kw: Any) -> Account:
    product = _product()
    product.save()
    return Account.objects.create(product=product, display_name="Everyday", bsb="923100",
                                  account_number="12345678", **kw)


def _rejected(obj: Any) -> None:
    """The database refuses `obj` (a CheckConstraint / UniqueConstraint)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()


def test_user_staff_with_customer_rejected() -> None:
    customer = _person()
    customer.save()
    _rejected(User(username="staff1", is_staff=True, customer=customer))
    with pytest.raises(ValidationError):
        User(username="staff2", is_staff=True, customer=customer).full_clean()


def test_customer_login_user_with_customer_accepted() -> None:
    customer = _person()
    customer.save()
    user = User.objects.create_user("jane", password="a-long-password-123", customer=customer)
    assert user.customer == customer


def test_person_without_last_name_rejected() -> None:
    _rejected(_person(last_name=""))
    with pytest.raises(ValidationError):
        _person(last_name="").full_clean()


def test_person_with_business_name_rejected() -> None:
    _rejected(_person(business_name="Acme"))


@pytest.mark.parametrize("field", ["business_name", "agent_last_name", "agent_role",
                                   "organisation_type"])
def test_organisation_missing_required_field_rejected(field: str) -> None:
    _rejected(_org(**{field: ""}))
    with pytest.raises(ValidationError):
        _org(**{field: ""}).full_clean()


def test_valid_person_and_organisation_pass_full_clean() -> None:
    _person(middle_names=["Maree"]).full_clean()
    _org().full_clean()


def test_middle_names_must_be_list_of_strings() -> None:
    with pytest.raises(ValidationError):
        _person(middle_names="Maree").full_clean()


@pytest.mark.parametrize(("utype", "fields"), [
    ("simple", {"address_line1": "1 King St", "state": "NSW"}),  # no city
    ("paf", {"postcode": "2000", "state": "NSW"}),  # no locality
    ("other", {"address_line1": "1 King St", "city": "Sydney", "state": "NSW"}),
])
def test_address_missing_fields_for_its_utype_rejected(utype: str, fields: dict) -> None:
    customer = _person()
    customer.save()
    _rejected(CustomerAddress(customer=customer, purpose=c.AddressPurpose.MAIL,
                              address_utype=utype, **fields))


def test_only_one_preferred_phone_per_customer() -> None:
    customer = _person()
    customer.save()
    phone = {"customer": customer, "purpose": c.PhonePurpose.MOBILE, "number": "0412345678",
             "full_number": "tel:+61-412345678", "is_preferred": True}
    CustomerPhoneNumber.objects.create(**phone)
    _rejected(CustomerPhoneNumber(**phone))


def test_product_category_outside_cdr_enum_rejected() -> None:
    _rejected(_product(category="SAVINGS"))


@pytest.mark.parametrize(("low", "high"), [(4, None), (None, 4), (6, 4), (0, 4)])
def test_product_instalment_splits_must_pair_and_order(low: int | None, high: int | None) -> None:
    _rejected(_product(instalments_min_split=low, instalments_max_split=high))


def test_product_effective_to_before_from_rejected() -> None:
    now = timezone.now()
    _rejected(_product(effective_from=now, effective_to=now - timedelta(days=1)))


def test_product_id_defaults_to_opaque_unique_string() -> None:
    a, b = _product(), _product()
    a.save()
    b.save()
    assert a.product_id != b.product_id
    assert len(a.product_id) == 32
    assert str(a.pk) not in {a.product_id}


def test_fixed_amount_fee_without_amount_rejected() -> None:
    product = _product()
    product.save()
    _rejected(ProductFee(product=product, name="Monthly", fee_type=c.FeeType.PERIODIC,
                         fee_method_utype=c.FeeMethodUType.FIXED_AMOUNT))


def test_rate_based_fee_without_rate_type_rejected() -> None:
    product = _product()
    product.save()
    _rejected(ProductFee(product=product, name="FX", fee_type=c.FeeType.PURCHASE,
                         fee_method_utype=c.FeeMethodUType.RATE_BASED, rate=Decimal("0.03")))


def test_rate_based_discount_without_rate_rejected() -> None:
    product = _product()
    product.save()
    fee = ProductFee.objects.create(product=product, name="Monthly", fee_type="PERIODIC",
                                    fee_method_utype="fixedAmount", amount=Decimal("5"))
    _rejected(ProductFeeDiscount(fee=fee, description="d", discount_type="BALANCE",
                                 discount_method_utype="rateBased", rate_type="FEE"))


@pytest.mark.parametrize("tiers", [
    [{"name": "t", "unitOfMeasure": "LITRE", "minimumValue": "0"}],  # bad enum
    [{"name": "t", "unitOfMeasure": "DOLLAR"}],  # missing minimumValue
    [{"name": "t", "unitOfMeasure": "DOLLAR", "minimumValue": "10", "maximumValue": "5"}],
    [{"name": "t", "unitOfMeasure": "DOLLAR", "minimumValue": "0", "colour": "red"}],
    [{"name": "t", "unitOfMeasure": "DOLLAR", "minimumValue": "0",
      "applicabilityConditions": [{"rateApplicabilityType": "NOPE"}]}],
    {"name": "not a list"},
])
def test_deposit_rate_tiers_shape_validated(tiers: Any) -> None:
    rate = ProductDepositRate(product=_product(), deposit_rate_type="VARIABLE",
                              rate=Decimal("0.01"), application_type="PERIODIC", tiers=tiers)
    with pytest.raises(ValidationError):
        rate.full_clean(exclude=["product"])


def test_deposit_rate_valid_cdr_tiers_accepted() -> None:
    rate = ProductDepositRate(
        deposit_rate_type="VARIABLE", rate=Decimal("0.01"), application_type="PERIODIC",
        calculation_frequency="P1D",
        tiers=[{"name": "Up to $50k", "unitOfMeasure": "DOLLAR", "minimumValue": "0",
                "maximumValue": "50000", "rateApplicationMethod": "WHOLE_BALANCE",
                "applicabilityConditions": [{"rateApplicabilityType": "ONLINE_ONLY"}]}],
        applicability_conditions=[{"rateApplicabilityType": "NEW_CUSTOMER",
                                   "additionalInfo": "First 4 months"}],
    )
    rate.full_clean(exclude=["product"])


@pytest.mark.parametrize("uris", [
    {"additionalSomethingUris": []},
    {"additionalTermsUris": [{"description": "no uri"}]},
    {"additionalTermsUris": [{"additionalInfoUri": "not a url"}]},
])
def test_product_additional_uris_shape_validated(uris: dict) -> None:
    with pytest.raises(ValidationError):
        _product(additional_uris=uris).full_clean()


def test_discount_eligibility_shape_validated() -> None:
    discount = ProductFeeDiscount(description="d", discount_type="BALANCE",
                                  discount_method_utype="fixedAmount", amount=Decimal("1"),
                                  eligibility=[{"discountEligibilityType": "ROBOT"}])
    with pytest.raises(ValidationError):
        discount.full_clean(exclude=["fee"])


def test_iso_duration_fields_validated() -> None:
    fee = ProductFee(name="Monthly", fee_type="PERIODIC", fee_method_utype="fixedAmount",
                     amount=Decimal("5"), accrual_frequency="monthly")
    with pytest.raises(ValidationError):
        fee.full_clean(exclude=["product"])


def test_account_holder_unique_per_account() -> None:
    account = _account()
    customer = _person()
    customer.save()
    AccountHolder.objects.create(account=account, customer=customer)
    _rejected(AccountHolder(account=account, customer=customer))


def test_account_ownership_outside_enum_rejected() -> None:
    product = _product()
    product.save()
    _rejected(Account(product=product, display_name="x", account_number="1",
                      ownership="JOINT"))


def test_term_deposit_maturing_before_lodgement_rejected() -> None:
    account = _account()
    _rejected(TermDeposit(account=account, lodgement_date=date(2025, 1, 1),
                          maturity_date=date(2024, 1, 1),
                          maturity_instructions=c.MaturityInstructions.ROLLED_OVER))


def test_credit_card_minimum_above_due_rejected() -> None:
    account = _account()
    _rejected(CreditCardDetail(account=account, min_payment_amount=Decimal("50"),
                               payment_due_amount=Decimal("10"),
                               payment_due_date=date(2025, 1, 1)))


def test_negative_credit_limit_rejected() -> None:
    account = _account()
    _rejected(Balance(account=account, current_balance=Decimal("0"),
                      available_balance=Decimal("0"), credit_limit=Decimal("-1")))


def test_money_and_rates_round_trip_exactly() -> None:
    # 15 significant digits: the most SQLite's NUMERIC affinity keeps exactly (PostgreSQL
    # keeps all 18); well above any balance the demo bank holds.
    account = _account(opening_balance=Decimal("-9999999999999.99"),
                       deposit_rate=Decimal("0.0000000001"))
    Balance.objects.create(account=account, current_balance=Decimal("1234567890123.45"),
                           available_balance=Decimal("0.10"))
    fresh = Account.objects.select_related("balance").get(pk=account.pk)
    assert fresh.opening_balance == Decimal("-9999999999999.99")
    assert fresh.deposit_rate == Decimal("0.0000000001")
    assert fresh.balance.current_balance == Decimal("1234567890123.45")
    assert str(fresh.balance.available_balance) == "0.10"
    assert isinstance(fresh.balance.current_balance, Decimal)
