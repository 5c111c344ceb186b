"""The product catalogue (CDR BankingProductV6 / BankingProductDetailV7).

Field names are a contract with the Products API serializer: do not rename. Child rows carry
a `position` so the order of features, fees, rates... in the API output is stable.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from accounts import choices
from accounts.choices import choices_check
from accounts.models.validators import (
    validate_additional_uris,
    validate_currency,
    validate_discount_eligibility,
    validate_iso_duration,
    validate_product_ids,
    validate_rate_conditions,
    validate_rate_tiers,
)


class _DecimalShape(TypedDict):
    max_digits: int
    decimal_places: int


# Typed so that `DecimalField(**MONEY)` type-checks; shared by every model with money.
RATE: _DecimalShape = {"max_digits": 20, "decimal_places": 10}
MONEY: _DecimalShape = {"max_digits": 18, "decimal_places": 2}


def new_product_id() -> str:
    """An opaque public productId that reveals nothing about the row (not the pk)."""
    return uuid.uuid4().hex


class Product(models.Model):
    """BankingProductV6 + detail."""

    product_id = models.CharField(max_length=64, unique=True, default=new_product_id)
    brand = models.CharField(max_length=100)
    brand_name = models.CharField(max_length=100, blank=True, default="")
    brand_group = models.CharField(max_length=100, blank=True, default="")
    name = models.CharField(max_length=200)
    description = models.TextField()
    category = models.CharField(max_length=32, choices=choices.ProductCategory.choices)
    effective_from = models.DateTimeField(null=True, blank=True)
    effective_to = models.DateTimeField(null=True, blank=True)
    last_updated = models.DateTimeField()
    application_uri = models.URLField(max_length=500, blank=True, default="")
    is_tailored = models.BooleanField(default=False)

    # BankingProductAdditionalInformationV2
    overview_uri = models.URLField(max_length=500, blank=True, default="")
    terms_uri = models.URLField(max_length=500, blank=True, default="")
    eligibility_uri = models.URLField(max_length=500, blank=True, default="")
    fees_and_pricing_uri = models.URLField(max_length=500, blank=True, default="")
    bundle_uri = models.URLField(max_length=500, blank=True, default="")
    additional_uris = models.JSONField(
        default=dict, blank=True, validators=[validate_additional_uris]
    )

    # BankingProductInstalments (BNPL and cards with instalment plans)
    instalments_max_concurrent_plans = models.PositiveIntegerField(null=True, blank=True)
    instalments_limit = models.DecimalField(**MONEY, null=True, blank=True)
    instalments_min_plan_value = models.DecimalField(**MONEY, null=True, blank=True)
    instalments_max_plan_value = models.DecimalField(**MONEY, null=True, blank=True)
    instalments_min_split = models.PositiveIntegerField(null=True, blank=True)
    instalments_max_split = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["category"]), models.Index(fields=["last_updated"])]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("category", choices.ProductCategory),
                name="product_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True)
                | Q(effective_to__isnull=True)
                | Q(effective_to__gt=F("effective_from")),
                name="product_effective_period_ordered",
                violation_error_message="effective_to must be after effective_from.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(instalments_min_split__isnull=True) & Q(instalments_max_split__isnull=True)
                )
                | (
                    Q(instalments_min_split__isnull=False)
                    & Q(instalments_max_split__isnull=False)
                    & Q(instalments_min_split__gte=1)
                    & Q(instalments_max_split__gte=F("instalments_min_split"))
                ),
                name="product_instalment_splits_paired",
                violation_error_message=(
                    "Instalment min and max split are both set (1 <= min <= max) or both empty."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.category})"

    def clean(self) -> None:
        super().clean()
        if (self.instalments_min_split is None) != (self.instalments_max_split is None):
            raise ValidationError("Set both instalment splits or neither.")
        if (
            self.instalments_min_split is not None
            and self.instalments_max_split is not None
            and self.instalments_max_split < self.instalments_min_split
        ):
            raise ValidationError({"instalments_max_split": "Must be at least the minimum."})
        if self.effective_from and self.effective_to and self.effective_to <= self.effective_from:
            raise ValidationError({"effective_to": "Must be after effective_from."})

    @property
    def has_instalments(self) -> bool:
        return self.instalments_min_split is not None


class ProductChild(models.Model):
    """Rows listed under a product, in `position` order."""

    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class AdditionalInfoMixin(models.Model):
    additional_value = models.TextField(blank=True, default="")
    additional_info = models.TextField(blank=True, default="")
    additional_info_uri = models.URLField(max_length=500, blank=True, default="")

    class Meta:
        abstract = True


class ProductCardArt(ProductChild):
    """BankingProductCardArt."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="card_art")
    card_scheme = models.CharField(max_length=16, choices=choices.CardScheme.choices)
    card_type = models.CharField(max_length=16, choices=choices.CardType.choices)
    title = models.CharField(max_length=200, blank=True, default="")
    image_uri = models.CharField(max_length=2000, help_text="https URL or a data: URI")

    class Meta(ProductChild.Meta):
        verbose_name_plural = "product card art"

    def __str__(self) -> str:
        return f"{self.card_scheme} {self.card_type}"


class ProductBundle(ProductChild):
    """BankingProductBundle."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bundles")
    name = models.CharField(max_length=200)
    description = models.TextField()
    additional_info = models.TextField(blank=True, default="")
    additional_info_uri = models.URLField(max_length=500, blank=True, default="")
    product_ids = models.JSONField(default=list, blank=True, validators=[validate_product_ids])

    def __str__(self) -> str:
        return self.name


class ProductFeature(ProductChild, AdditionalInfoMixin):
    """BankingProductFeatureV4."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="features")
    feature_type = models.CharField(max_length=40, choices=choices.FeatureType.choices)

    class Meta(ProductChild.Meta):
        constraints = [
            models.CheckConstraint(
                condition=choices_check("feature_type", choices.FeatureType),
                name="product_feature_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.feature_type


class ProductConstraint(ProductChild, AdditionalInfoMixin):
    """BankingProductConstraintV3."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="constraints")
    constraint_type = models.CharField(max_length=32, choices=choices.ConstraintType.choices)

    def __str__(self) -> str:
        return self.constraint_type


class ProductEligibility(ProductChild, AdditionalInfoMixin):
    """BankingProductEligibilityV2."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="eligibility")
    eligibility_type = models.CharField(max_length=32, choices=choices.EligibilityType.choices)

    class Meta(ProductChild.Meta):
        verbose_name_plural = "product eligibility"

    def __str__(self) -> str:
        return self.eligibility_type


class ProductFee(ProductChild, AdditionalInfoMixin):
    """BankingProductFeeV2 with its fixedAmount / rateBased / variable member flattened."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="fees")
    name = models.CharField(max_length=200)
    fee_type = models.CharField(max_length=32, choices=choices.FeeType.choices)
    fee_method_utype = models.CharField(max_length=16, choices=choices.FeeMethodUType.choices)
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="fixedAmount.amount")
    rate_type = models.CharField(
        max_length=20, blank=True, default="", choices=choices.FeeRateType.choices
    )
    rate = models.DecimalField(**RATE, null=True, blank=True)
    accrual_frequency = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_iso_duration]
    )
    fee_minimum = models.DecimalField(**MONEY, null=True, blank=True)
    fee_maximum = models.DecimalField(**MONEY, null=True, blank=True)
    fee_cap = models.DecimalField(**MONEY, null=True, blank=True)
    fee_cap_period = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_iso_duration]
    )
    currency = models.CharField(max_length=3, default="AUD", validators=[validate_currency])

    class Meta(ProductChild.Meta):
        constraints = [
            models.CheckConstraint(
                condition=choices_check("fee_method_utype", choices.FeeMethodUType),
                name="product_fee_method_valid",
            ),
            models.CheckConstraint(
                condition=~Q(fee_method_utype=choices.FeeMethodUType.FIXED_AMOUNT)
                | Q(amount__isnull=False),
                name="product_fee_fixed_has_amount",
                violation_error_message="A fixedAmount fee has an amount.",
            ),
            models.CheckConstraint(
                condition=~Q(fee_method_utype=choices.FeeMethodUType.RATE_BASED)
                | (Q(rate__isnull=False) & ~Q(rate_type="")),
                name="product_fee_rate_based_has_rate",
                violation_error_message="A rateBased fee has a rate and a rate type.",
            ),
            models.CheckConstraint(
                condition=Q(fee_minimum__isnull=True)
                | Q(fee_maximum__isnull=True)
                | Q(fee_maximum__gte=F("fee_minimum")),
                name="product_fee_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.fee_method_utype == choices.FeeMethodUType.FIXED_AMOUNT and self.amount is None:
            raise ValidationError({"amount": "A fixedAmount fee has an amount."})
        if self.fee_method_utype == choices.FeeMethodUType.RATE_BASED and (
            self.rate is None or not self.rate_type
        ):
            raise ValidationError("A rateBased fee has a rate and a rate type.")


class ProductFeeDiscount(ProductChild, AdditionalInfoMixin):
    """BankingProductDiscountV2."""

    fee = models.ForeignKey(ProductFee, on_delete=models.CASCADE, related_name="discounts")
    description = models.TextField()
    discount_type = models.CharField(max_length=20, choices=choices.DiscountType.choices)
    discount_method_utype = models.CharField(
        max_length=16, choices=choices.DiscountMethodUType.choices
    )
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    rate_type = models.CharField(
        max_length=20, blank=True, default="", choices=choices.DiscountRateType.choices
    )
    rate = models.DecimalField(**RATE, null=True, blank=True)
    discount_minimum = models.DecimalField(**MONEY, null=True, blank=True)
    discount_maximum = models.DecimalField(**MONEY, null=True, blank=True)
    eligibility = models.JSONField(
        default=list, blank=True, validators=[validate_discount_eligibility]
    )

    class Meta(ProductChild.Meta):
        constraints = [
            models.CheckConstraint(
                condition=~Q(discount_method_utype=choices.DiscountMethodUType.FIXED_AMOUNT)
                | Q(amount__isnull=False),
                name="product_discount_fixed_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(discount_method_utype=choices.DiscountMethodUType.RATE_BASED)
                | (Q(rate__isnull=False) & ~Q(rate_type="")),
                name="product_discount_rate_based_has_rate",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:50]


class RateMixin(ProductChild, AdditionalInfoMixin):
    rate = models.DecimalField(**RATE)
    calculation_frequency = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_iso_duration]
    )
    application_type = models.CharField(
        max_length=16, choices=choices.RateApplicationType.choices
    )
    application_frequency = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_iso_duration]
    )
    # CDR shapes as is: BankingProductRateTierV4[] and BankingProductRateConditionV2[].
    tiers = models.JSONField(default=list, blank=True, validators=[validate_rate_tiers])
    applicability_conditions = models.JSONField(
        default=list, blank=True, validators=[validate_rate_conditions]
    )

    class Meta(ProductChild.Meta):
        abstract = True


class ProductDepositRate(RateMixin):
    """BankingProductDepositRateV2."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="deposit_rates")
    deposit_rate_type = models.CharField(max_length=20, choices=choices.DepositRateType.choices)

    def __str__(self) -> str:
        return f"{self.deposit_rate_type} {self.rate}"


class ProductLendingRate(RateMixin):
    """BankingProductLendingRateV3."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="lending_rates")
    lending_rate_type = models.CharField(max_length=32, choices=choices.LendingRateType.choices)
    comparison_rate = models.DecimalField(**RATE, null=True, blank=True)
    interest_payment_due = models.CharField(
        max_length=16, blank=True, default="", choices=choices.InterestPaymentDue.choices
    )
    repayment_type = models.CharField(max_length=32, choices=choices.RepaymentType.choices)
    loan_purpose = models.CharField(max_length=20, choices=choices.LoanPurpose.choices)

    def __str__(self) -> str:
        return f"{self.lending_rate_type} {self.rate}"
