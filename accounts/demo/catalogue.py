"""The demo product catalogue: at least one product in every CDR product category, each with
full detail (features, constraints, eligibility, fees with discounts, rates with tiers and
conditions, bundles, card art, additional URIs, instalments for BNPL).

Data only, plus `catalogue_create`, which validates every row with full_clean (a few hundred
rows, so validation costs nothing here).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal as D
from typing import Any

from django.db import models

from accounts import choices as c
from accounts.models import (
    Product,
    ProductBundle,
    ProductCardArt,
    ProductConstraint,
    ProductDepositRate,
    ProductEligibility,
    ProductFeature,
    ProductFee,
    ProductFeeDiscount,
    ProductLendingRate,
)

SITE = "https://demobank.example.com.au"


def _uri(path: str) -> str:
    return f"{SITE}/{path}"


def _feat(kind: str, value: str = "", info: str = "") -> dict[str, Any]:
    return {"feature_type": kind, "additional_value": value, "additional_info": info}


def _cons(kind: str, value: str = "", info: str = "") -> dict[str, Any]:
    return {"constraint_type": kind, "additional_value": value, "additional_info": info}


def _elig(kind: str, value: str = "", info: str = "") -> dict[str, Any]:
    return {"eligibility_type": kind, "additional_value": value, "additional_info": info}


def _cond(kind: str, value: str = "", info: str = "") -> dict[str, str]:
    out = {"rateApplicabilityType": kind}
    if value:
        out["additionalValue"] = value
    if info:
        out["additionalInfo"] = info
    return out


def _tier(name: str, unit: str, minimum: str, maximum: str | None = None,
          method: str = c.RateApplicationMethod.WHOLE_BALANCE) -> dict[str, Any]:
    tier: dict[str, Any] = {"name": name, "unitOfMeasure": unit, "minimumValue": minimum,
                            "rateApplicationMethod": method}
    if maximum is not None:
        tier["maximumValue"] = maximum
    return tier


MONTHLY_FEE_WAIVER = {
    "description": "Monthly fee waived when you deposit $2,000 or more each month",
    "discount_type": c.DiscountType.DEPOSITS,
    "discount_method_utype": c.DiscountMethodUType.FIXED_AMOUNT,
    "amount": D("5.00"),
    "additional_value": "2000.00",
    "eligibility": [
        {"discountEligibilityType": c.DiscountEligibilityType.MIN_INCOME,
         "additionalValue": "2000.00", "additionalInfo": "Deposits into the account per month"},
    ],
}
STUDENT_WAIVER = {
    "description": "No monthly fee for full-time students and pensioners",
    "discount_type": c.DiscountType.ELIGIBILITY_ONLY,
    "discount_method_utype": c.DiscountMethodUType.RATE_BASED,
    "rate_type": c.DiscountRateType.FEE,
    "rate": D("1"),
    "eligibility": [
        {"discountEligibilityType": c.DiscountEligibilityType.STUDENT},
        {"discountEligibilityType": c.DiscountEligibilityType.PENSION_RECIPIENT},
    ],
}
INTERNATIONAL_FEE = {
    "name": "International transaction fee", "fee_type": c.FeeType.PURCHASE,
    "fee_method_utype": c.FeeMethodUType.RATE_BASED, "rate_type": c.FeeRateType.TRANSACTION,
    "rate": D("0.03"), "additional_info": "Charged on purchases in a foreign currency",
}
LATE_FEE = {
    "name": "Late payment fee", "fee_type": c.FeeType.LATE_PAYMENT,
    "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("15.00"),
}
DIGITAL = [_feat(c.FeatureType.DIGITAL_BANKING), _feat(c.FeatureType.NOTIFICATIONS)]
PERSON = [_elig(c.EligibilityType.NATURAL_PERSON),
          _elig(c.EligibilityType.MIN_AGE, "18"),
          _elig(c.EligibilityType.RESIDENCY_STATUS, "", "Australian resident for tax purposes")]
BUSINESS = [_elig(c.EligibilityType.BUSINESS, "", "An ABN-registered business"),
            _elig(c.EligibilityType.MIN_TURNOVER, "75000")]


PRODUCTS: list[dict[str, Any]] = [
    {
        "slug": "everyday",
        "name": "Everyday Account",
        "category": c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
        "description": "A transaction account for daily spending with a Visa Debit card.",
        "card_art": [{"card_scheme": c.CardScheme.VISA, "card_type": c.CardType.DEBIT,
                      "title": "Everyday Visa Debit"}],
        "features": [
            _feat(c.FeatureType.UNLIMITED_TXNS), _feat(c.FeatureType.NPP_PAYID),
            _feat(c.FeatureType.NPP_ENABLED), _feat(c.FeatureType.CARD_ACCESS),
            _feat(c.FeatureType.DIGITAL_WALLET, "Apple Pay, Google Pay, Samsung Pay"),
            _feat(c.FeatureType.BILL_PAYMENT, "BPAY"), *DIGITAL,
        ],
        "constraints": [_cons(c.ConstraintType.MIN_BALANCE, "0.00")],
        "eligibility": PERSON,
        "fees": [
            {"name": "Monthly account fee", "fee_type": c.FeeType.PERIODIC,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("5.00"),
             "accrual_frequency": "P1M", "discounts": [MONTHLY_FEE_WAIVER, STUDENT_WAIVER]},
            {"name": "Overseas ATM withdrawal", "fee_type": c.FeeType.WITHDRAWAL,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("5.00")},
            {"name": "Dishonour fee", "fee_type": c.FeeType.DISHONOUR,
             "fee_method_utype": c.FeeMethodUType.VARIABLE,
             "fee_minimum": D("0.00"), "fee_maximum": D("9.00")},
            INTERNATIONAL_FEE,
        ],
        "deposit_rates": [
            {"deposit_rate_type": c.DepositRateType.VARIABLE, "rate": D("0.0001"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M"},
        ],
        "bundles": [{"name": "Everyday + Saver", "description": "Link a Bonus Saver for bonus "
                     "interest when you deposit $1,000 a month.",
                     "product_slugs": ["everyday", "saver"]}],
    },
    {
        "slug": "saver",
        "name": "Bonus Saver",
        "category": c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
        "description": "A savings account with bonus interest when your balance grows.",
        "features": [_feat(c.FeatureType.BONUS_REWARDS, "", "Bonus rate when balance grows"),
                     _feat(c.FeatureType.NPP_ENABLED), *DIGITAL],
        "constraints": [_cons(c.ConstraintType.MAX_BALANCE, "250000.00")],
        "eligibility": [*PERSON, _elig(c.EligibilityType.OTHER, "",
                                       "Hold an Everyday Account with us")],
        "fees": [],
        "deposit_rates": [
            {"deposit_rate_type": c.DepositRateType.VARIABLE, "rate": D("0.0150"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M",
             "tiers": [_tier("Up to $50,000", c.TierUnitOfMeasure.DOLLAR, "0", "50000"),
                       _tier("Above $50,000", c.TierUnitOfMeasure.DOLLAR, "50000.01")]},
            {"deposit_rate_type": c.DepositRateType.BONUS, "rate": D("0.0345"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M",
             "applicability_conditions": [
                 _cond(c.RateApplicabilityType.DEPOSIT_BALANCE_INCREASED, "",
                       "Balance at month end is higher than at the start"),
                 _cond(c.RateApplicabilityType.MAX_WITHDRAWALS, "0"),
             ]},
            {"deposit_rate_type": c.DepositRateType.INTRODUCTORY, "rate": D("0.0100"),
             "application_type": c.RateApplicationType.PERIODIC,
             "additional_value": "P4M",
             "applicability_conditions": [_cond(c.RateApplicabilityType.NEW_CUSTOMER)]},
        ],
    },
    {
        "slug": "business_everyday",
        "name": "Business Transaction Account",
        "category": c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
        "description": "Day-to-day banking for companies, trusts and sole traders.",
        "card_art": [{"card_scheme": c.CardScheme.MASTERCARD, "card_type": c.CardType.DEBIT,
                      "title": "Business Debit Mastercard"}],
        "features": [_feat(c.FeatureType.UNLIMITED_TXNS), _feat(c.FeatureType.NPP_PAYID),
                     _feat(c.FeatureType.RELATIONSHIP_MANAGEMENT),
                     _feat(c.FeatureType.ADDITIONAL_CARDS, "10"), *DIGITAL],
        "constraints": [_cons(c.ConstraintType.OPENING_BALANCE, "0.00")],
        "eligibility": BUSINESS,
        "fees": [
            {"name": "Monthly service fee", "fee_type": c.FeeType.PERIODIC,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("10.00"),
             "accrual_frequency": "P1M", "fee_cap": D("120.00"), "fee_cap_period": "P1Y"},
            {"name": "Merchant service fee", "fee_type": c.FeeType.TRANSACTION,
             "fee_method_utype": c.FeeMethodUType.RATE_BASED,
             "rate_type": c.FeeRateType.TRANSACTION, "rate": D("0.011"),
             "fee_minimum": D("0.05"), "fee_maximum": D("25.00")},
        ],
        "deposit_rates": [
            {"deposit_rate_type": c.DepositRateType.FLOATING, "rate": D("0.0005"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M"},
        ],
    },
    {
        "slug": "platinum_card",
        "name": "Platinum Rewards Visa",
        "category": c.ProductCategory.CRED_AND_CHRG_CARDS,
        "description": "A rewards credit card with 55 days interest free and travel insurance.",
        "card_art": [
            {"card_scheme": c.CardScheme.VISA, "card_type": c.CardType.CREDIT,
             "title": "Platinum Rewards"},
            {"card_scheme": c.CardScheme.VISA, "card_type": c.CardType.CREDIT,
             "title": "Platinum Rewards (metal)"},
        ],
        "features": [
            _feat(c.FeatureType.INTEREST_FREE, "P55D"),
            _feat(c.FeatureType.LOYALTY_PROGRAM, "Demo Rewards",
                  "1 point per dollar on eligible purchases"),
            _feat(c.FeatureType.INSURANCE, "", "Complimentary overseas travel insurance"),
            _feat(c.FeatureType.BALANCE_TRANSFERS),
            _feat(c.FeatureType.INSTALMENT_PLAN), _feat(c.FeatureType.FRAUD_PROTECTION),
            _feat(c.FeatureType.ADDITIONAL_CARDS, "4"),
        ],
        "constraints": [_cons(c.ConstraintType.MIN_LIMIT, "6000.00"),
                        _cons(c.ConstraintType.MAX_LIMIT, "50000.00")],
        "eligibility": [*PERSON, _elig(c.EligibilityType.MIN_INCOME, "75000")],
        "fees": [
            {"name": "Annual fee", "fee_type": c.FeeType.PERIODIC,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("249.00"),
             "accrual_frequency": "P1Y",
             "discounts": [{"description": "Half the annual fee in the first year",
                            "discount_type": c.DiscountType.ELIGIBILITY_ONLY,
                            "discount_method_utype": c.DiscountMethodUType.FIXED_AMOUNT,
                            "amount": D("124.50"),
                            "eligibility": [{"discountEligibilityType":
                                             c.DiscountEligibilityType.INTRODUCTORY,
                                             "additionalValue": "P1Y"}]}]},
            {"name": "Cash advance fee", "fee_type": c.FeeType.CASH_ADVANCE,
             "fee_method_utype": c.FeeMethodUType.RATE_BASED,
             "rate_type": c.FeeRateType.TRANSACTION, "rate": D("0.03"),
             "fee_minimum": D("3.00")},
            LATE_FEE, INTERNATIONAL_FEE,
        ],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.PURCHASE, "rate": D("0.2099"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M",
             "interest_payment_due": c.InterestPaymentDue.IN_ARREARS,
             "repayment_type": c.RepaymentType.UNCONSTRAINED,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED},
            {"lending_rate_type": c.LendingRateType.CASH_ADVANCE, "rate": D("0.2199"),
             "application_type": c.RateApplicationType.PERIODIC,
             "repayment_type": c.RepaymentType.UNCONSTRAINED,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED},
            {"lending_rate_type": c.LendingRateType.BALANCE_TRANSFER, "rate": D("0"),
             "application_type": c.RateApplicationType.PERIODIC, "additional_value": "P12M",
             "repayment_type": c.RepaymentType.UNCONSTRAINED,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED,
             "applicability_conditions": [_cond(c.RateApplicabilityType.NEW_ACCOUNTS)]},
        ],
        "instalments": {"max_concurrent_plans": 5, "limit": D("10000.00"),
                        "min_plan_value": D("100.00"), "max_plan_value": D("5000.00"),
                        "min_split": 3, "max_split": 24},
    },
    {
        "slug": "home_loan",
        "name": "Home Loan Variable with Offset",
        "category": c.ProductCategory.RESIDENTIAL_MORTGAGES,
        "description": "A variable-rate owner-occupier home loan with a 100% offset account.",
        "features": [_feat(c.FeatureType.OFFSET, "", "Up to 10 linked offset accounts"),
                     _feat(c.FeatureType.REDRAW), _feat(c.FeatureType.EXTRA_REPAYMENTS),
                     _feat(c.FeatureType.GUARANTOR), *DIGITAL],
        "constraints": [_cons(c.ConstraintType.MAX_LVR, "0.95"),
                        _cons(c.ConstraintType.MIN_LIMIT, "50000.00")],
        "eligibility": [*PERSON, _elig(c.EligibilityType.EMPLOYMENT_STATUS, "",
                                       "Employed or self-employed for 6 months")],
        "fees": [
            {"name": "Establishment fee", "fee_type": c.FeeType.UPFRONT,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("600.00")},
            {"name": "Package fee", "fee_type": c.FeeType.PERIODIC,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("395.00"),
             "accrual_frequency": "P1Y"},
            {"name": "Discharge fee", "fee_type": c.FeeType.EXIT,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("350.00")},
            {"name": "Redraw fee", "fee_type": c.FeeType.WITHDRAWAL,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("0.00")},
        ],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.VARIABLE, "rate": D("0.0619"),
             "comparison_rate": D("0.0634"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M",
             "interest_payment_due": c.InterestPaymentDue.IN_ARREARS,
             "repayment_type": c.RepaymentType.PRINCIPAL_AND_INTEREST,
             "loan_purpose": c.LoanPurpose.OWNER_OCCUPIED,
             "tiers": [
                 _tier("LVR up to 80%", c.TierUnitOfMeasure.PERCENT, "0", "80"),
                 {**_tier("LVR 80% to 95%", c.TierUnitOfMeasure.PERCENT, "80.01", "95"),
                  "additionalInfo": "Lenders mortgage insurance applies",
                  "applicabilityConditions": [_cond(c.RateApplicabilityType.OTHER, "",
                                                    "LMI approved")]},
             ]},
            {"lending_rate_type": c.LendingRateType.VARIABLE, "rate": D("0.0659"),
             "comparison_rate": D("0.0674"),
             "application_type": c.RateApplicationType.PERIODIC,
             "interest_payment_due": c.InterestPaymentDue.IN_ARREARS,
             "repayment_type": c.RepaymentType.INTEREST_ONLY,
             "loan_purpose": c.LoanPurpose.INVESTMENT},
            {"lending_rate_type": c.LendingRateType.BUNDLE_DISCOUNT_VARIABLE,
             "rate": D("0.0050"), "application_type": c.RateApplicationType.PERIODIC,
             "repayment_type": c.RepaymentType.PRINCIPAL_AND_INTEREST,
             "loan_purpose": c.LoanPurpose.OWNER_OCCUPIED,
             "additional_info": "Discount with the Home Package bundle"},
        ],
        "bundles": [{"name": "Home Package", "description": "Rate discount and no account "
                     "fees on an Everyday Account and Platinum card for $395 a year.",
                     "product_slugs": ["home_loan", "everyday", "platinum_card"]}],
    },
    {
        "slug": "personal_loan",
        "name": "Personal Loan Fixed",
        "category": c.ProductCategory.PERS_LOANS,
        "description": "Borrow $5,000 to $50,000 over 1 to 7 years at a fixed rate.",
        "features": [_feat(c.FeatureType.EXTRA_REPAYMENTS), *DIGITAL],
        "constraints": [_cons(c.ConstraintType.MIN_LIMIT, "5000.00"),
                        _cons(c.ConstraintType.MAX_LIMIT, "50000.00")],
        "eligibility": [*PERSON, _elig(c.EligibilityType.MIN_INCOME, "25000")],
        "fees": [
            {"name": "Establishment fee", "fee_type": c.FeeType.UPFRONT,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("250.00")},
            {"name": "Loan service fee", "fee_type": c.FeeType.PERIODIC,
             "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("12.00"),
             "accrual_frequency": "P1M"},
            LATE_FEE,
        ],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.FIXED, "rate": D("0.0999"),
             "comparison_rate": D("0.1121"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M",
             "interest_payment_due": c.InterestPaymentDue.IN_ARREARS,
             "repayment_type": c.RepaymentType.PRINCIPAL_AND_INTEREST,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED,
             "tiers": [_tier("1 to 3 years", c.TierUnitOfMeasure.MONTH, "12", "36"),
                       _tier("3 to 7 years", c.TierUnitOfMeasure.MONTH, "37", "84")]},
        ],
    },
    {
        "slug": "term_deposit",
        "name": "Term Deposit",
        "category": c.ProductCategory.TERM_DEPOSITS,
        "description": "Lock away $5,000 or more for 1 to 60 months at a fixed rate.",
        "features": [_feat(c.FeatureType.OTHER, "", "Interest paid at maturity or monthly")],
        "constraints": [_cons(c.ConstraintType.MIN_BALANCE, "5000.00"),
                        _cons(c.ConstraintType.MAX_BALANCE, "2000000.00")],
        "eligibility": PERSON,
        "fees": [{"name": "Early withdrawal", "fee_type": c.FeeType.EXIT,
                  "fee_method_utype": c.FeeMethodUType.RATE_BASED,
                  "rate_type": c.FeeRateType.INTEREST_ACCRUED, "rate": D("0.5"),
                  "additional_info": "Interest reduced when withdrawn early"}],
        "deposit_rates": [
            {"deposit_rate_type": c.DepositRateType.FIXED, "rate": D("0.0450"),
             "application_type": c.RateApplicationType.MATURITY,
             "calculation_frequency": "P1D",
             "tiers": [_tier("6 months", c.TierUnitOfMeasure.MONTH, "6", "6"),
                       _tier("12 months", c.TierUnitOfMeasure.MONTH, "12", "12")]},
            {"deposit_rate_type": c.DepositRateType.FIXED, "rate": D("0.0420"),
             "application_type": c.RateApplicationType.PERIODIC,
             "application_frequency": "P1M",
             "tiers": [_tier("24 to 60 months", c.TierUnitOfMeasure.MONTH, "24", "60")]},
        ],
    },
    {
        "slug": "pay_later",
        "name": "Pay Later",
        "category": c.ProductCategory.BUY_NOW_PAY_LATER,
        "description": "Split purchases into interest-free fortnightly instalments.",
        "card_art": [{"card_scheme": c.CardScheme.MASTERCARD, "card_type": c.CardType.CREDIT,
                      "title": "Pay Later card"}],
        "features": [_feat(c.FeatureType.INSTALMENT_PLAN, "", "4 fortnightly payments"),
                     _feat(c.FeatureType.INTEREST_FREE), _feat(c.FeatureType.DIGITAL_WALLET)],
        "constraints": [_cons(c.ConstraintType.MAX_LIMIT, "2000.00")],
        "eligibility": PERSON,
        "fees": [{"name": "Missed payment fee", "fee_type": c.FeeType.LATE_PAYMENT,
                  "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("10.00"),
                  "fee_cap": D("68.00"), "fee_cap_period": "P1M"},
                 {"name": "Plan fee", "fee_type": c.FeeType.UPFRONT_PER_PLAN,
                  "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("0.00")}],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.PURCHASE, "rate": D("0"),
             "application_type": c.RateApplicationType.PERIODIC,
             "repayment_type": c.RepaymentType.PRINCIPAL_AND_INTEREST,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED},
        ],
        "instalments": {"max_concurrent_plans": 10, "limit": D("2000.00"),
                        "min_plan_value": D("35.00"), "max_plan_value": D("1500.00"),
                        "min_split": 4, "max_split": 4},
    },
    {
        "slug": "business_loan",
        "name": "Business Term Loan",
        "category": c.ProductCategory.BUSINESS_LOANS,
        "description": "Secured finance to grow your business, variable or fixed.",
        "features": [_feat(c.FeatureType.REDRAW), _feat(c.FeatureType.RELATIONSHIP_MANAGEMENT)],
        "constraints": [_cons(c.ConstraintType.MIN_LIMIT, "20000.00"),
                        _cons(c.ConstraintType.MAX_LVR, "0.7")],
        "eligibility": BUSINESS,
        "fees": [{"name": "Application fee", "fee_type": c.FeeType.UPFRONT,
                  "fee_method_utype": c.FeeMethodUType.RATE_BASED,
                  "rate_type": c.FeeRateType.BALANCE, "rate": D("0.01"),
                  "fee_minimum": D("500.00"), "fee_maximum": D("5000.00")},
                 {"name": "Monthly loan fee", "fee_type": c.FeeType.PERIODIC,
                  "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("20.00"),
                  "accrual_frequency": "P1M"}],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.VARIABLE, "rate": D("0.0875"),
             "application_type": c.RateApplicationType.PERIODIC,
             "calculation_frequency": "P1D", "application_frequency": "P1M",
             "interest_payment_due": c.InterestPaymentDue.IN_ARREARS,
             "repayment_type": c.RepaymentType.PRINCIPAL_AND_INTEREST,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED},
            {"lending_rate_type": c.LendingRateType.FIXED, "rate": D("0.0799"),
             "application_type": c.RateApplicationType.PERIODIC, "additional_value": "P3Y",
             "repayment_type": c.RepaymentType.INTEREST_ONLY,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED},
        ],
    },
    {
        "slug": "equipment_lease",
        "name": "Equipment Finance Lease",
        "category": c.ProductCategory.LEASES,
        "description": "Lease vehicles and equipment with fixed monthly payments.",
        "features": [_feat(c.FeatureType.OTHER, "", "Residual value up to 40%")],
        "constraints": [_cons(c.ConstraintType.MIN_LIMIT, "10000.00")],
        "eligibility": BUSINESS,
        "fees": [{"name": "Documentation fee", "fee_type": c.FeeType.UPFRONT,
                  "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("395.00")}],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.FIXED, "rate": D("0.0845"),
             "application_type": c.RateApplicationType.PERIODIC,
             "interest_payment_due": c.InterestPaymentDue.IN_ADVANCE,
             "repayment_type": c.RepaymentType.PRINCIPAL_AND_INTEREST,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED},
        ],
    },
    {
        "slug": "margin_loan",
        "name": "Share Margin Loan",
        "category": c.ProductCategory.MARGIN_LOANS,
        "description": "Borrow against approved ASX shares and managed funds.",
        "features": [_feat(c.FeatureType.OTHER, "", "Margin call buffer of 10%")],
        "constraints": [_cons(c.ConstraintType.MAX_LVR, "0.75"),
                        _cons(c.ConstraintType.MIN_LIMIT, "20000.00")],
        "eligibility": [*PERSON, _elig(c.EligibilityType.MIN_INCOME, "50000")],
        "fees": [],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.VARIABLE, "rate": D("0.0925"),
             "application_type": c.RateApplicationType.PERIODIC,
             "interest_payment_due": c.InterestPaymentDue.IN_ARREARS,
             "repayment_type": c.RepaymentType.INTEREST_ONLY,
             "loan_purpose": c.LoanPurpose.INVESTMENT,
             "tiers": [_tier("Under $250,000", c.TierUnitOfMeasure.DOLLAR, "0", "250000"),
                       _tier("$250,000 and over", c.TierUnitOfMeasure.DOLLAR, "250000.01")]},
        ],
    },
    {
        "slug": "overdraft",
        "name": "Personal Overdraft",
        "category": c.ProductCategory.OVERDRAFTS,
        "description": "A flexible credit limit linked to your Everyday Account.",
        "features": [_feat(c.FeatureType.OVERDRAFT, "", "Limits from $500 to $20,000")],
        "constraints": [_cons(c.ConstraintType.MIN_LIMIT, "500.00"),
                        _cons(c.ConstraintType.MAX_LIMIT, "20000.00")],
        "eligibility": PERSON,
        "fees": [{"name": "Overdraft service fee", "fee_type": c.FeeType.PERIODIC,
                  "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("10.00"),
                  "accrual_frequency": "P1M"}],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.VARIABLE, "rate": D("0.1465"),
             "application_type": c.RateApplicationType.PERIODIC,
             "repayment_type": c.RepaymentType.UNCONSTRAINED,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED},
            {"lending_rate_type": c.LendingRateType.PENALTY, "rate": D("0.0300"),
             "application_type": c.RateApplicationType.PERIODIC,
             "repayment_type": c.RepaymentType.UNCONSTRAINED,
             "loan_purpose": c.LoanPurpose.UNCONSTRAINED,
             "additional_info": "Added to the variable rate when over the limit"},
        ],
    },
    {
        "slug": "trust_account",
        "name": "Solicitors' Trust Account",
        "category": c.ProductCategory.REGULATED_TRUST_ACCOUNTS,
        "description": "A trust account for law and real-estate practices, regulated by state "
                       "legislation.",
        "features": [_feat(c.FeatureType.FREE_TXNS), _feat(c.FeatureType.NPP_ENABLED)],
        "constraints": [],
        "eligibility": [_elig(c.EligibilityType.BUSINESS, "", "A licensed practice")],
        "fees": [],
        "deposit_rates": [
            {"deposit_rate_type": c.DepositRateType.MARKET_LINKED, "rate": D("0.0025"),
             "application_type": c.RateApplicationType.PERIODIC,
             "additional_info": "Interest paid to the statutory fund"},
        ],
    },
    {
        "slug": "trade_finance",
        "name": "Trade Finance Facility",
        "category": c.ProductCategory.TRADE_FINANCE,
        "description": "Import and export finance, letters of credit and bank guarantees.",
        "features": [_feat(c.FeatureType.RELATIONSHIP_MANAGEMENT)],
        "constraints": [_cons(c.ConstraintType.MIN_LIMIT, "100000.00")],
        "eligibility": BUSINESS,
        "fees": [{"name": "Letter of credit issue", "fee_type": c.FeeType.EVENT,
                  "fee_method_utype": c.FeeMethodUType.RATE_BASED,
                  "rate_type": c.FeeRateType.TRANSACTION, "rate": D("0.005"),
                  "fee_minimum": D("150.00")}],
        "lending_rates": [
            {"lending_rate_type": c.LendingRateType.MARKET_LINKED, "rate": D("0.0720"),
             "application_type": c.RateApplicationType.PERIODIC,
             "repayment_type": c.RepaymentType.OTHER, "loan_purpose": c.LoanPurpose.OTHER,
             "additional_info": "BBSY plus a margin"},
        ],
    },
    {
        "slug": "travel_card",
        "name": "Travel Money Card",
        "category": c.ProductCategory.TRAVEL_CARDS,
        "description": "A prepaid Mastercard that holds up to 10 currencies.",
        "card_art": [{"card_scheme": c.CardScheme.MASTERCARD, "card_type": c.CardType.DEBIT,
                      "title": "Travel Money"}],
        "features": [_feat(c.FeatureType.OTHER, "", "Hold AUD, USD, EUR, GBP, NZD, JPY..."),
                     _feat(c.FeatureType.FRAUD_PROTECTION)],
        "constraints": [_cons(c.ConstraintType.MAX_BALANCE, "100000.00")],
        "eligibility": PERSON,
        "fees": [{"name": "Currency conversion", "fee_type": c.FeeType.TRANSACTION,
                  "fee_method_utype": c.FeeMethodUType.RATE_BASED,
                  "rate_type": c.FeeRateType.TRANSACTION, "rate": D("0.0295")},
                 {"name": "Card replacement", "fee_type": c.FeeType.REPLACEMENT,
                  "fee_method_utype": c.FeeMethodUType.FIXED_AMOUNT, "amount": D("10.00")}],
    },
]


def _children(model: type[models.Model], rows: list[dict[str, Any]], **parent: Any) -> list:
    created = []
    for position, row in enumerate(rows):
        obj = model(position=position, **parent, **row)
        obj.full_clean()
        obj.save()
        created.append(obj)
    return created


def catalogue_create(
    *, rng: random.Random, brand: str, brand_name: str, now: datetime
) -> dict[str, Product]:
    """Create every catalogue product (deterministic for a given rng); return them by slug."""
    products: dict[str, Product] = {}
    for spec in PRODUCTS:
        slug = spec["slug"]
        instalments = spec.get("instalments") or {}
        product = Product(
            product_id=f"{rng.getrandbits(128):032x}",
            brand=brand,
            brand_name=brand_name,
            brand_group="Demo Banking Group",
            name=spec["name"],
            description=spec["description"],
            category=spec["category"],
            effective_from=now - timedelta(days=rng.randint(200, 2000)),
            last_updated=now - timedelta(days=rng.randint(1, 120)),
            application_uri=_uri(f"apply/{slug}"),
            is_tailored=spec["category"] in {c.ProductCategory.RESIDENTIAL_MORTGAGES,
                                             c.ProductCategory.BUSINESS_LOANS,
                                             c.ProductCategory.TRADE_FINANCE},
            overview_uri=_uri(f"products/{slug}"),
            terms_uri=_uri(f"products/{slug}/terms"),
            eligibility_uri=_uri(f"products/{slug}/eligibility"),
            fees_and_pricing_uri=_uri(f"products/{slug}/fees"),
            bundle_uri=_uri("bundles") if spec.get("bundles") else "",
            additional_uris={
                "additionalOverviewUris": [
                    {"description": "Product video", "additionalInfoUri":
                     _uri(f"products/{slug}/video")}],
                "additionalTermsUris": [
                    {"description": "Financial Services Guide", "additionalInfoUri":
                     _uri("legal/fsg.pdf")},
                    {"additionalInfoUri": _uri("legal/banking-code")}],
                "additionalFeesAndPricingUris": [
                    {"description": "Key facts sheet", "additionalInfoUri":
                     _uri(f"products/{slug}/kfs.pdf")}],
            },
            instalments_max_concurrent_plans=instalments.get("max_concurrent_plans"),
            instalments_limit=instalments.get("limit"),
            instalments_min_plan_value=instalments.get("min_plan_value"),
            instalments_max_plan_value=instalments.get("max_plan_value"),
            instalments_min_split=instalments.get("min_split"),
            instalments_max_split=instalments.get("max_split"),
        )
        product.full_clean()
        product.save()
        products[slug] = product
        _children(ProductCardArt, [
            {**art, "image_uri": _uri(f"img/cards/{slug}-{i}.png")}
            for i, art in enumerate(spec.get("card_art", []))
        ], product=product)
        _children(ProductFeature, spec.get("features", []), product=product)
        _children(ProductConstraint, spec.get("constraints", []), product=product)
        _children(ProductEligibility, spec.get("eligibility", []), product=product)
        for position, fee_spec in enumerate(spec.get("fees", [])):
            fee_row = {k: v for k, v in fee_spec.items() if k != "discounts"}
            fee = ProductFee(product=product, position=position,
                             additional_info_uri=_uri(f"products/{slug}/fees"), **fee_row)
            fee.full_clean()
            fee.save()
            _children(ProductFeeDiscount, fee_spec.get("discounts", []), fee=fee)
        _children(ProductDepositRate, spec.get("deposit_rates", []), product=product)
        _children(ProductLendingRate, spec.get("lending_rates", []), product=product)
    # Bundles name other products, so they go in once every product has its id.
    for spec in PRODUCTS:
        _children(ProductBundle, [
            {"name": b["name"], "description": b["description"],
             "additional_info_uri": _uri("bundles"),
             "product_ids": [products[s].product_id for s in b["product_slugs"]]}
            for b in spec.get("bundles", [])
        ], product=products[spec["slug"]])
    return products
