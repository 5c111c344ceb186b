"""BankingProductV6 (list) and BankingProductDetailV7 (detail), cds_banking.json 1.36.0."""

from __future__ import annotations

from typing import Any

from bank.api.formatting import amount_string, datetime_string, rate_string
from bank.api.serializers import CdrSerializer

_ADDITIONAL_URI_KEYS = (
    "additionalOverviewUris",
    "additionalTermsUris",
    "additionalEligibilityUris",
    "additionalFeesAndPricingUris",
    "additionalBundleUris",
)

clean = CdrSerializer.without_empty


def _additional(row: Any) -> dict[str, Any]:
    return {
        "additionalValue": row.additional_value,
        "additionalInfo": row.additional_info,
        "additionalInfoUri": row.additional_info_uri,
    }


class ProductOutputSerializer(CdrSerializer):
    """BankingProductV6"""

    def to_representation(self, product: Any) -> dict[str, Any]:
        info = clean(
            {
                "overviewUri": product.overview_uri,
                "termsUri": product.terms_uri,
                "eligibilityUri": product.eligibility_uri,
                "feesAndPricingUri": product.fees_and_pricing_uri,
                "bundleUri": product.bundle_uri,
                **{
                    key: [clean(dict(item)) for item in product.additional_uris[key]]
                    for key in _ADDITIONAL_URI_KEYS
                    if product.additional_uris.get(key)
                },
            }
        )
        return clean(
            {
                "productId": product.product_id,
                "effectiveFrom": datetime_string(product.effective_from),
                "effectiveTo": datetime_string(product.effective_to),
                "lastUpdated": datetime_string(product.last_updated),
                "productCategory": product.category,
                "name": product.name,
                "description": product.description,
                "brand": product.brand,
                "brandName": product.brand_name,
                "brandGroup": product.brand_group,
                "applicationUri": product.application_uri,
                "isTailored": product.is_tailored,
                "additionalInformation": info or None,
                "cardArt": [
                    clean(
                        {
                            "cardScheme": art.card_scheme,
                            "cardType": art.card_type,
                            "title": art.title,
                            "imageUri": art.image_uri,
                        }
                    )
                    for art in product.card_art.all()
                ],
            }
        )


class ProductDetailOutputSerializer(ProductOutputSerializer):
    """BankingProductDetailV7 = BankingProductV6 + the product's terms."""

    def to_representation(self, product: Any) -> dict[str, Any]:
        body = super().to_representation(product)
        body.update(
            {
                "bundles": [_bundle(b) for b in product.bundles.all()],
                "features": [
                    clean({"featureType": f.feature_type, **_additional(f)})
                    for f in product.features.all()
                ],
                "constraints": [
                    clean({"constraintType": c.constraint_type, **_additional(c)})
                    for c in product.constraints.all()
                ],
                "eligibility": [
                    clean({"eligibilityType": e.eligibility_type, **_additional(e)})
                    for e in product.eligibility.all()
                ],
                "fees": [fee_representation(f) for f in product.fees.all()],
                "depositRates": [
                    deposit_rate_representation(r) for r in product.deposit_rates.all()
                ],
                "lendingRates": [
                    lending_rate_representation(r) for r in product.lending_rates.all()
                ],
            }
        )
        instalments = instalments_representation(product)
        if instalments is not None:
            body["instalments"] = instalments
        return body


def _bundle(bundle: Any) -> dict[str, Any]:
    return clean(
        {
            "name": bundle.name,
            "description": bundle.description,
            "additionalInfo": bundle.additional_info,
            "additionalInfoUri": bundle.additional_info_uri,
            "productIds": list(bundle.product_ids or []),
        }
    )


def fee_representation(fee: Any) -> dict[str, Any]:
    """BankingProductFeeV2 (also used by Account Detail)."""
    method = fee.fee_method_utype
    body: dict[str, Any] = {"name": fee.name, "feeType": fee.fee_type, "feeMethodUType": method}
    if method == "fixedAmount":
        body["fixedAmount"] = {"amount": amount_string(fee.amount)}
    elif method == "rateBased":
        body["rateBased"] = clean(
            {
                "rateType": fee.rate_type,
                "rate": rate_string(fee.rate),
                "accrualFrequency": fee.accrual_frequency,
                "amountRange": clean(
                    {
                        "feeMinimum": amount_string(fee.fee_minimum),
                        "feeMaximum": amount_string(fee.fee_maximum),
                    }
                )
                or None,
            }
        )
    else:
        body["variable"] = clean(
            {
                "feeMinimum": amount_string(fee.fee_minimum),
                "feeMaximum": amount_string(fee.fee_maximum),
            }
        )
    body.update(
        {
            "feeCap": amount_string(fee.fee_cap),
            "feeCapPeriod": fee.fee_cap_period,
            "currency": fee.currency,
            **_additional(fee),
            "discounts": [_discount(d) for d in fee.discounts.all()],
        }
    )
    return clean(body)


def _discount(discount: Any) -> dict[str, Any]:
    method = discount.discount_method_utype
    body: dict[str, Any] = {
        "description": discount.description,
        "discountType": discount.discount_type,
        "discountMethodUType": method,
    }
    if method == "fixedAmount":
        body["fixedAmount"] = {"amount": amount_string(discount.amount)}
    else:
        body["rateBased"] = clean(
            {
                "rateType": discount.rate_type,
                "rate": rate_string(discount.rate),
                "amountRange": clean(
                    {
                        "discountMinimum": amount_string(discount.discount_minimum),
                        "discountMaximum": amount_string(discount.discount_maximum),
                    }
                )
                or None,
            }
        )
    body.update(_additional(discount))
    body["eligibility"] = [clean(dict(e)) for e in discount.eligibility or []]
    return clean(body)


def _rate_common(rate: Any) -> dict[str, Any]:
    return {
        "rate": rate_string(rate.rate),
        "calculationFrequency": rate.calculation_frequency,
        "applicationType": rate.application_type,
        "applicationFrequency": rate.application_frequency,
        "tiers": [clean(dict(t)) for t in rate.tiers or []],
        "applicabilityConditions": [clean(dict(c)) for c in rate.applicability_conditions or []],
        **_additional(rate),
    }


def deposit_rate_representation(rate: Any) -> dict[str, Any]:
    """BankingProductDepositRateV2"""
    return clean({"depositRateType": rate.deposit_rate_type, **_rate_common(rate)})


def lending_rate_representation(rate: Any) -> dict[str, Any]:
    """BankingProductLendingRateV3"""
    return clean(
        {
            "lendingRateType": rate.lending_rate_type,
            "comparisonRate": rate_string(rate.comparison_rate),
            "interestPaymentDue": rate.interest_payment_due,
            "repaymentType": rate.repayment_type,
            "loanPurpose": rate.loan_purpose,
            **_rate_common(rate),
        }
    )


def instalments_representation(product: Any) -> dict[str, Any] | None:
    """BankingProductInstalments, when the product offers instalment plans."""
    if product.instalments_min_split is None:
        return None
    return clean(
        {
            "maximumConcurrentPlans": product.instalments_max_concurrent_plans,
            "instalmentsLimit": amount_string(product.instalments_limit),
            "minimumPlanValue": amount_string(product.instalments_min_plan_value),
            "maximumPlanValue": amount_string(product.instalments_max_plan_value),
            "minimumSplit": product.instalments_min_split,
            "maximumSplit": product.instalments_max_split,
        }
    )
