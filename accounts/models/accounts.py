"""Accounts, their holders, specific-account details (term deposit, card, loan) and balances.

Accounts have internal integer keys only: the CDR accountId is derived per data recipient
by a later issue, so no public id lives here. BSB and account number are sensitive: no
index, no unique constraint, never filtered on.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from accounts import choices
from accounts.choices import choices_check
from accounts.models.customers import Customer
from accounts.models.products import MONEY, RATE, Product
from accounts.models.validators import validate_currency, validate_iso_duration
from security.encryption.fields import (
    BlindIndexField,
    EncryptedCharField,
    EncryptedModel,
    normalise_digits,
)


def _currency_field() -> models.CharField:
    return models.CharField(max_length=3, default="AUD", validators=[validate_currency])


class Account(EncryptedModel):
    """BankingAccountV3 / BankingAccountDetailV5. Category is the product's category."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="accounts")
    # Customers name their accounts ("Citizen Household"): personal, so encrypted.
    display_name = EncryptedCharField(max_length=200)
    nickname = EncryptedCharField(max_length=100, blank=True, default="")
    bsb = EncryptedCharField("BSB", max_length=7, blank=True, default="")
    account_number = EncryptedCharField(max_length=34)
    # Equality lookups by account number (staff search, payments) stay indexed.
    account_number_index = BlindIndexField(source="account_number", normalise=normalise_digits)
    open_status = models.CharField(
        max_length=8, choices=choices.OpenStatus.choices, default=choices.OpenStatus.OPEN
    )
    ownership = models.CharField(
        max_length=16,
        choices=choices.AccountOwnership.choices,
        default=choices.AccountOwnership.ONE_PARTY,
    )
    creation_date = models.DateField(null=True, blank=True)
    bundle_name = models.CharField(max_length=200, blank=True, default="")
    deposit_rate = models.DecimalField(**RATE, null=True, blank=True)
    lending_rate = models.DecimalField(**RATE, null=True, blank=True)
    # The balance before the first stored transaction; see Balance for the arithmetic.
    opening_balance = models.DecimalField(**MONEY, default=Decimal("0.00"))
    holders = models.ManyToManyField(
        Customer, through="AccountHolder", related_name="accounts", blank=True
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("open_status", choices.OpenStatus),
                name="account_open_status_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("ownership", choices.AccountOwnership),
                name="account_ownership_valid",
            ),
        ]

    def __str__(self) -> str:
        # Pseudonymous: __str__ lands in logs and in the admin's history, in plaintext.
        return f"Account #{self.pk}"

    @property
    def product_category(self) -> str:
        return self.product.category


class AccountHolder(models.Model):
    """A customer on an account. Joint accounts have two or more rows.

    `is_owner` is CDR `isOwned` for that customer: false for, e.g., an authorised signatory
    who can see the account but does not own it.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="account_holders")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="account_holdings"
    )
    is_owner = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "customer"], name="account_holder_unique"),
        ]

    def __str__(self) -> str:
        return f"Customer #{self.customer_id} on account #{self.account_id}"


class TermDeposit(models.Model):
    """BankingTermDepositAccount (an account may list more than one)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="term_deposits")
    position = models.PositiveIntegerField(default=0)
    lodgement_date = models.DateField()
    maturity_date = models.DateField()
    maturity_amount = models.DecimalField(**MONEY, null=True, blank=True)
    maturity_currency = _currency_field()
    maturity_instructions = models.CharField(
        max_length=24, choices=choices.MaturityInstructions.choices
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(maturity_date__gt=F("lodgement_date")),
                name="term_deposit_matures_after_lodgement",
                violation_error_message="The maturity date is after the lodgement date.",
            ),
            models.CheckConstraint(
                condition=choices_check("maturity_instructions", choices.MaturityInstructions),
                name="term_deposit_instructions_valid",
            ),
            models.CheckConstraint(
                condition=Q(maturity_amount__isnull=True) | Q(maturity_amount__gt=0),
                name="term_deposit_maturity_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Term deposit #{self.pk} maturing {self.maturity_date}"


class CreditCardDetail(models.Model):
    """BankingCreditCardAccount."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="credit_card")
    min_payment_amount = models.DecimalField(**MONEY)
    payment_due_amount = models.DecimalField(**MONEY)
    payment_currency = _currency_field()
    payment_due_date = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(min_payment_amount__gte=0)
                & Q(payment_due_amount__gte=F("min_payment_amount")),
                name="credit_card_payment_amounts_ordered",
                violation_error_message="0 <= minimum payment <= payment due.",
            ),
        ]

    def __str__(self) -> str:
        return f"Card detail for account #{self.account_id}"


class LoanDetail(models.Model):
    """BankingLoanAccountV3."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="loan")
    original_start_date = models.DateField(null=True, blank=True)
    original_loan_amount = models.DecimalField(**MONEY, null=True, blank=True)
    original_loan_currency = _currency_field()
    loan_end_date = models.DateField(null=True, blank=True)
    next_instalment_date = models.DateField(null=True, blank=True)
    min_instalment_amount = models.DecimalField(**MONEY, null=True, blank=True)
    min_instalment_currency = _currency_field()
    max_redraw = models.DecimalField(**MONEY, null=True, blank=True)
    max_redraw_currency = _currency_field()
    min_redraw = models.DecimalField(**MONEY, null=True, blank=True)
    min_redraw_currency = _currency_field()
    offset_account_enabled = models.BooleanField(null=True, blank=True)
    offset_accounts = models.ManyToManyField(
        Account, related_name="offset_for_loans", blank=True
    )
    repayment_type = models.CharField(
        max_length=32,
        choices=choices.RepaymentType.choices,
        default=choices.RepaymentType.PRINCIPAL_AND_INTEREST,
    )
    repayment_frequency = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_iso_duration]
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(original_start_date__isnull=True)
                | Q(loan_end_date__isnull=True)
                | Q(loan_end_date__gt=F("original_start_date")),
                name="loan_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(original_loan_amount__isnull=True) | Q(original_loan_amount__gt=0),
                name="loan_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(min_redraw__isnull=True)
                | Q(max_redraw__isnull=True)
                | Q(max_redraw__gte=F("min_redraw")),
                name="loan_redraw_range_ordered",
            ),
            models.CheckConstraint(
                condition=choices_check("repayment_type", choices.RepaymentType),
                name="loan_repayment_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Loan detail for account #{self.account_id}"


class AccountFeature(models.Model):
    """A product feature as it applies to this account, with its activation state."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="features")
    position = models.PositiveIntegerField(default=0)
    feature_type = models.CharField(max_length=40, choices=choices.FeatureType.choices)
    is_activated = models.CharField(
        max_length=16,
        choices=choices.FeatureActivation.choices,
        default=choices.FeatureActivation.UNKNOWN,
    )
    additional_value = models.TextField(blank=True, default="")
    additional_info = models.TextField(blank=True, default="")
    additional_info_uri = models.URLField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("is_activated", choices.FeatureActivation),
                name="account_feature_activation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feature_type} ({self.is_activated})"


class Balance(models.Model):
    """BankingBalance. The seed and (later) the ledger keep these identities:

    current_balance   == account.opening_balance + sum(POSTED transaction amounts)
    available_balance == current_balance + sum(PENDING amounts) + (credit_limit or 0)
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="balance")
    current_balance = models.DecimalField(**MONEY)
    available_balance = models.DecimalField(**MONEY)
    credit_limit = models.DecimalField(**MONEY, null=True, blank=True)
    amortised_limit = models.DecimalField(**MONEY, null=True, blank=True)
    currency = _currency_field()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="balance_credit_limit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amortised_limit__isnull=True) | Q(amortised_limit__gte=0),
                name="balance_amortised_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Balance of account #{self.account_id}"

    def clean(self) -> None:
        super().clean()
        if self.credit_limit is not None and self.credit_limit < 0:
            raise ValidationError({"credit_limit": "A credit limit is not negative."})


class BalancePurse(models.Model):
    """BankingBalancePurse: a sub-balance in another currency (e.g. a travel card)."""

    balance = models.ForeignKey(Balance, on_delete=models.CASCADE, related_name="purses")
    position = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(**MONEY)
    currency = _currency_field()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"Purse {self.currency}"
