"""Field validators and the shape checks for the JSON columns that hold CDR sub-objects.

The JSON columns store the CDR structure as is (camelCase keys), so the Products serializer
can emit them without translation. `clean()` on each model calls these, so anything saved
through a service or the admin has the documented shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator

from accounts import choices

# ISO 8601 duration (CDS ExternalRef for durations/frequencies): P1M, P14D, PT1H, P1Y2M...
ISO_DURATION_RE = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
validate_iso_duration = RegexValidator(ISO_DURATION_RE, "Enter an ISO 8601 duration, e.g. P1M.")
validate_currency = RegexValidator(r"^[A-Z]{3}$", "Enter an ISO 4217 currency code, e.g. AUD.")
validate_bsb = RegexValidator(r"^\d{3}-?\d{3}$", "A BSB is six digits.")
validate_digits = RegexValidator(r"^\d+$", "Digits only.")
validate_mcc = RegexValidator(r"^\d{4}$", "A merchant category code is four digits.")

_url = URLValidator(schemes=["https", "http"])

Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_uri(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        _url(value)
    except ValidationError:
        return False
    return True


def _is_number_string(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _is_duration(value: Any) -> bool:
    return isinstance(value, str) and bool(ISO_DURATION_RE.match(value))


def _one_of(enum: type) -> Check:
    allowed = frozenset(enum.values)  # type: ignore[attr-defined]
    return lambda value: value in allowed


def _object_list(
    value: Any,
    *,
    label: str,
    required: Mapping[str, Check],
    optional: Mapping[str, Check] | None = None,
) -> list[str]:
    """Problems with `value` as a list of objects with exactly these keys (empty if fine)."""
    optional = optional or {}
    if not isinstance(value, list):
        return [f"{label} must be a list."]
    problems: list[str] = []
    for index, item in enumerate(value):
        where = f"{label}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object.")
            continue
        for key in required:
            if key not in item:
                problems.append(f"{where} is missing {key}.")
        for key, item_value in item.items():
            check = required.get(key) or optional.get(key)
            if check is None:
                problems.append(f"{where} has an unknown key {key}.")
            elif not check(item_value):
                problems.append(f"{where}.{key} is not valid: {item_value!r}.")
    return problems


def _raise(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


_ADDITIONAL_INFO = {"additionalValue": _is_str, "additionalInfo": _is_str,
                    "additionalInfoUri": _is_uri}


def rate_condition_problems(value: Any, *, label: str = "applicabilityConditions") -> list[str]:
    """BankingProductRateConditionV2[]."""
    return _object_list(
        value,
        label=label,
        required={"rateApplicabilityType": _one_of(choices.RateApplicabilityType)},
        optional=_ADDITIONAL_INFO,
    )


def validate_rate_conditions(value: Any) -> None:
    _raise(rate_condition_problems(value))


def validate_rate_tiers(value: Any) -> None:
    """BankingProductRateTierV4[] (nested applicabilityConditions checked too)."""
    problems = _object_list(
        value,
        label="tiers",
        required={
            "name": _is_str,
            "unitOfMeasure": _one_of(choices.TierUnitOfMeasure),
            "minimumValue": _is_number_string,
        },
        optional={
            "maximumValue": _is_number_string,
            "rateApplicationMethod": _one_of(choices.RateApplicationMethod),
            "applicabilityConditions": lambda v: isinstance(v, list),
            "additionalInfo": _is_str,
            "additionalInfoUri": _is_uri,
        },
    )
    if not problems:
        for index, tier in enumerate(value):
            problems += rate_condition_problems(
                tier.get("applicabilityConditions", []),
                label=f"tiers[{index}].applicabilityConditions",
            )
            maximum = tier.get("maximumValue")
            if maximum is not None and Decimal(maximum) < Decimal(tier["minimumValue"]):
                problems.append(f"tiers[{index}].maximumValue is below minimumValue.")
    _raise(problems)


def validate_discount_eligibility(value: Any) -> None:
    """BankingProductDiscountEligibility[]."""
    _raise(_object_list(
        value,
        label="eligibility",
        required={"discountEligibilityType": _one_of(choices.DiscountEligibilityType)},
        optional=_ADDITIONAL_INFO,
    ))


ADDITIONAL_URI_KEYS = (
    "additionalOverviewUris",
    "additionalTermsUris",
    "additionalEligibilityUris",
    "additionalFeesAndPricingUris",
    "additionalBundleUris",
)


def validate_additional_uris(value: Any) -> None:
    """The additional*Uris lists of BankingProductAdditionalInformationV2, keyed by CDR name."""
    if not isinstance(value, dict):
        raise ValidationError("additional_uris must be an object.")
    problems = [f"Unknown key {key}." for key in value if key not in ADDITIONAL_URI_KEYS]
    for key in ADDITIONAL_URI_KEYS:
        if key in value:
            problems += _object_list(
                value[key],
                label=key,
                required={"additionalInfoUri": _is_uri},
                optional={"description": _is_str},
            )
    _raise(problems)


def validate_product_ids(value: Any) -> None:
    """BankingProductBundle.productIds: a list of productId strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError("product_ids must be a list of product ids.")


def validate_string_list(value: Any) -> None:
    """A list of non-empty strings (CommonPerson.middleNames)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError("Must be a list of non-empty strings.")


def validate_intervals(value: Any) -> None:
    """BankingScheduledPaymentInterval[]: {"interval": duration, "dayInInterval"?: duration}."""
    _raise(_object_list(
        value,
        label="intervals",
        required={"interval": _is_duration},
        optional={"dayInInterval": _is_duration},
    ))
