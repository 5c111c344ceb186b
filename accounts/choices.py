"""Every CDR enum the bank stores, as TextChoices whose values are the CDS 1.36.0 strings.

Source: cds_banking.json / cds_common.json (schema named in each docstring). A value in the
database is therefore already the wire value; serializers never translate enums.
Both apps import from here, so this file is the one list of enums the holder supports.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


def choices_check(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    """A CheckConstraint condition: `field` holds one of `choices` (or "" when `blank`)."""
    values = list(choices.values)
    if blank:
        values.append("")
    return Q(**{f"{field}__in": values})


# --- common: customers -----------------------------------------------------------------


class CustomerType(models.TextChoices):
    """ResponseCommonCustomer.customerUType."""

    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"


class OccupationCodeVersion(models.TextChoices):
    """CommonPerson.occupationCodeVersion."""

    ANZSCO_2006_V1_0 = "ANZSCO_1220.0_2006_V1.0"
    ANZSCO_2006_V1_1 = "ANZSCO_1220.0_2006_V1.1"
    ANZSCO_2013_V1_2 = "ANZSCO_1220.0_2013_V1.2"
    ANZSCO_2013_V1_3 = "ANZSCO_1220.0_2013_V1.3"


class IndustryCodeVersion(models.TextChoices):
    """CommonOrganisation.industryCodeVersion."""

    ANZSIC_2006_V1_0 = "ANZSIC_1292.0_2006_V1.0"
    ANZSIC_2006_V2_0 = "ANZSIC_1292.0_2006_V2.0"


class OrganisationType(models.TextChoices):
    """CommonOrganisation.organisationType."""

    COMPANY = "COMPANY"
    GOVERNMENT_ENTITY = "GOVERNMENT_ENTITY"
    OTHER = "OTHER"
    PARTNERSHIP = "PARTNERSHIP"
    SOLE_TRADER = "SOLE_TRADER"
    TRUST = "TRUST"


class PhonePurpose(models.TextChoices):
    """CommonPhoneNumber.purpose."""

    HOME = "HOME"
    INTERNATIONAL = "INTERNATIONAL"
    MOBILE = "MOBILE"
    OTHER = "OTHER"
    UNSPECIFIED = "UNSPECIFIED"
    WORK = "WORK"


class EmailPurpose(models.TextChoices):
    """CommonEmailAddress.purpose."""

    HOME = "HOME"
    OTHER = "OTHER"
    UNSPECIFIED = "UNSPECIFIED"
    WORK = "WORK"


class AddressPurpose(models.TextChoices):
    """CommonPhysicalAddressWithPurpose.purpose."""

    MAIL = "MAIL"
    OTHER = "OTHER"
    PHYSICAL = "PHYSICAL"
    REGISTERED = "REGISTERED"
    WORK = "WORK"


class AddressUType(models.TextChoices):
    """CommonPhysicalAddress.addressUType."""

    SIMPLE = "simple"
    PAF = "paf"


# --- products --------------------------------------------------------------------------


class ProductCategory(models.TextChoices):
    """BankingProductCategoryV2."""

    BUSINESS_LOANS = "BUSINESS_LOANS"
    BUY_NOW_PAY_LATER = "BUY_NOW_PAY_LATER"
    CRED_AND_CHRG_CARDS = "CRED_AND_CHRG_CARDS"
    LEASES = "LEASES"
    MARGIN_LOANS = "MARGIN_LOANS"
    OVERDRAFTS = "OVERDRAFTS"
    PERS_LOANS = "PERS_LOANS"
    REGULATED_TRUST_ACCOUNTS = "REGULATED_TRUST_ACCOUNTS"
    RESIDENTIAL_MORTGAGES = "RESIDENTIAL_MORTGAGES"
    TERM_DEPOSITS = "TERM_DEPOSITS"
    TRADE_FINANCE = "TRADE_FINANCE"
    TRANS_AND_SAVINGS_ACCOUNTS = "TRANS_AND_SAVINGS_ACCOUNTS"
    TRAVEL_CARDS = "TRAVEL_CARDS"


class CardScheme(models.TextChoices):
    """BankingProductCardArt.cardScheme."""

    AMEX = "AMEX"
    EFTPOS = "EFTPOS"
    MASTERCARD = "MASTERCARD"
    VISA = "VISA"
    OTHER = "OTHER"


class CardType(models.TextChoices):
    """BankingProductCardArt.cardType."""

    CHARGE = "CHARGE"
    CREDIT = "CREDIT"
    DEBIT = "DEBIT"


class FeatureType(models.TextChoices):
    """BankingProductFeatureV4.featureType."""

    ADDITIONAL_CARDS = "ADDITIONAL_CARDS"
    BALANCE_TRANSFERS = "BALANCE_TRANSFERS"
    BILL_PAYMENT = "BILL_PAYMENT"
    BONUS_REWARDS = "BONUS_REWARDS"
    CARD_ACCESS = "CARD_ACCESS"
    CASHBACK_OFFER = "CASHBACK_OFFER"
    COMPLEMENTARY_PRODUCT_DISCOUNTS = "COMPLEMENTARY_PRODUCT_DISCOUNTS"
    EXTRA_DOWN_PAYMENT = "EXTRA_DOWN_PAYMENT"
    DIGITAL_BANKING = "DIGITAL_BANKING"
    DIGITAL_WALLET = "DIGITAL_WALLET"
    DONATE_INTEREST = "DONATE_INTEREST"
    EXTRA_REPAYMENTS = "EXTRA_REPAYMENTS"
    FRAUD_PROTECTION = "FRAUD_PROTECTION"
    FREE_TXNS = "FREE_TXNS"
    FREE_TXNS_ALLOWANCE = "FREE_TXNS_ALLOWANCE"
    FUNDS_AVAILABLE_AFTER = "FUNDS_AVAILABLE_AFTER"
    GUARANTOR = "GUARANTOR"
    INSTALMENT_PLAN = "INSTALMENT_PLAN"
    INSURANCE = "INSURANCE"
    INTEREST_FREE = "INTEREST_FREE"
    INTEREST_FREE_TRANSFERS = "INTEREST_FREE_TRANSFERS"
    LOYALTY_PROGRAM = "LOYALTY_PROGRAM"
    NOTIFICATIONS = "NOTIFICATIONS"
    NPP_ENABLED = "NPP_ENABLED"
    NPP_PAYID = "NPP_PAYID"
    OFFSET = "OFFSET"
    OTHER = "OTHER"
    OVERDRAFT = "OVERDRAFT"
    REDRAW = "REDRAW"
    RELATIONSHIP_MANAGEMENT = "RELATIONSHIP_MANAGEMENT"
    UNLIMITED_TXNS = "UNLIMITED_TXNS"


class ConstraintType(models.TextChoices):
    """BankingProductConstraintV3.constraintType."""

    MAX_BALANCE = "MAX_BALANCE"
    MAX_LIMIT = "MAX_LIMIT"
    MAX_LVR = "MAX_LVR"
    MIN_BALANCE = "MIN_BALANCE"
    MIN_LIMIT = "MIN_LIMIT"
    MIN_LVR = "MIN_LVR"
    OPENING_BALANCE = "OPENING_BALANCE"
    OTHER = "OTHER"


class EligibilityType(models.TextChoices):
    """BankingProductEligibilityV2.eligibilityType."""

    BUSINESS = "BUSINESS"
    EMPLOYMENT_STATUS = "EMPLOYMENT_STATUS"
    MAX_AGE = "MAX_AGE"
    MIN_AGE = "MIN_AGE"
    MIN_INCOME = "MIN_INCOME"
    MIN_TURNOVER = "MIN_TURNOVER"
    NATURAL_PERSON = "NATURAL_PERSON"
    OTHER = "OTHER"
    PENSION_RECIPIENT = "PENSION_RECIPIENT"
    RESIDENCY_STATUS = "RESIDENCY_STATUS"
    STAFF = "STAFF"
    STUDENT = "STUDENT"


class FeeType(models.TextChoices):
    """BankingProductFeeV2.feeType."""

    CASH_ADVANCE = "CASH_ADVANCE"
    DEPOSIT = "DEPOSIT"
    DISHONOUR = "DISHONOUR"
    ENQUIRY = "ENQUIRY"
    EVENT = "EVENT"
    EXIT = "EXIT"
    LATE_PAYMENT = "LATE_PAYMENT"
    OTHER = "OTHER"
    PAYMENT = "PAYMENT"
    PERIODIC = "PERIODIC"
    PURCHASE = "PURCHASE"
    REPLACEMENT = "REPLACEMENT"
    TRANSACTION = "TRANSACTION"
    UPFRONT = "UPFRONT"
    UPFRONT_PER_PLAN = "UPFRONT_PER_PLAN"
    VARIATION = "VARIATION"
    WITHDRAWAL = "WITHDRAWAL"


class FeeMethodUType(models.TextChoices):
    """BankingProductFeeV2.feeMethodUType."""

    FIXED_AMOUNT = "fixedAmount"
    RATE_BASED = "rateBased"
    VARIABLE = "variable"


class FeeRateType(models.TextChoices):
    """BankingFeeRate.rateType."""

    BALANCE = "BALANCE"
    INTEREST_ACCRUED = "INTEREST_ACCRUED"
    TRANSACTION = "TRANSACTION"


class DiscountType(models.TextChoices):
    """BankingProductDiscountV2.discountType."""

    BALANCE = "BALANCE"
    DEPOSITS = "DEPOSITS"
    ELIGIBILITY_ONLY = "ELIGIBILITY_ONLY"
    FEE_CAP = "FEE_CAP"
    PAYMENTS = "PAYMENTS"


class DiscountMethodUType(models.TextChoices):
    """BankingProductDiscountV2.discountMethodUType."""

    FIXED_AMOUNT = "fixedAmount"
    RATE_BASED = "rateBased"


class DiscountRateType(models.TextChoices):
    """BankingFeeDiscountRate.rateType."""

    BALANCE = "BALANCE"
    FEE = "FEE"
    INTEREST_ACCRUED = "INTEREST_ACCRUED"
    TRANSACTION = "TRANSACTION"


class DiscountEligibilityType(models.TextChoices):
    """BankingProductDiscountEligibility.discountEligibilityType."""

    BUSINESS = "BUSINESS"
    EMPLOYMENT_STATUS = "EMPLOYMENT_STATUS"
    INTRODUCTORY = "INTRODUCTORY"
    MAX_AGE = "MAX_AGE"
    MIN_AGE = "MIN_AGE"
    MIN_INCOME = "MIN_INCOME"
    MIN_TURNOVER = "MIN_TURNOVER"
    NATURAL_PERSON = "NATURAL_PERSON"
    OTHER = "OTHER"
    PENSION_RECIPIENT = "PENSION_RECIPIENT"
    RESIDENCY_STATUS = "RESIDENCY_STATUS"
    STAFF = "STAFF"
    STUDENT = "STUDENT"


class DepositRateType(models.TextChoices):
    """BankingProductDepositRateV2.depositRateType."""

    BONUS = "BONUS"
    BUNDLE_BONUS = "BUNDLE_BONUS"
    FIXED = "FIXED"
    FLOATING = "FLOATING"
    INTRODUCTORY = "INTRODUCTORY"
    MARKET_LINKED = "MARKET_LINKED"
    VARIABLE = "VARIABLE"


class LendingRateType(models.TextChoices):
    """BankingProductLendingRateV3.lendingRateType."""

    BALANCE_TRANSFER = "BALANCE_TRANSFER"
    BUNDLE_DISCOUNT_FIXED = "BUNDLE_DISCOUNT_FIXED"
    BUNDLE_DISCOUNT_VARIABLE = "BUNDLE_DISCOUNT_VARIABLE"
    CASH_ADVANCE = "CASH_ADVANCE"
    DISCOUNT = "DISCOUNT"
    FIXED = "FIXED"
    FLOATING = "FLOATING"
    INTRODUCTORY = "INTRODUCTORY"
    MARKET_LINKED = "MARKET_LINKED"
    PENALTY = "PENALTY"
    PURCHASE = "PURCHASE"
    VARIABLE = "VARIABLE"


class RateApplicationType(models.TextChoices):
    """BankingProductDepositRateV2 / LendingRateV3 .applicationType."""

    MATURITY = "MATURITY"
    PERIODIC = "PERIODIC"
    UPFRONT = "UPFRONT"


class InterestPaymentDue(models.TextChoices):
    """BankingProductLendingRateV3.interestPaymentDue."""

    IN_ADVANCE = "IN_ADVANCE"
    IN_ARREARS = "IN_ARREARS"


class RepaymentType(models.TextChoices):
    """BankingProductLendingRateV3.repaymentType and BankingLoanAccountV3.repaymentType."""

    INTEREST_ONLY = "INTEREST_ONLY"
    OTHER = "OTHER"
    PRINCIPAL_AND_INTEREST = "PRINCIPAL_AND_INTEREST"
    UNCONSTRAINED = "UNCONSTRAINED"


class LoanPurpose(models.TextChoices):
    """BankingProductLendingRateV3.loanPurpose."""

    INVESTMENT = "INVESTMENT"
    OTHER = "OTHER"
    OWNER_OCCUPIED = "OWNER_OCCUPIED"
    UNCONSTRAINED = "UNCONSTRAINED"


class TierUnitOfMeasure(models.TextChoices):
    """BankingProductRateTierV4.unitOfMeasure."""

    DAY = "DAY"
    DOLLAR = "DOLLAR"
    MONTH = "MONTH"
    PERCENT = "PERCENT"


class RateApplicationMethod(models.TextChoices):
    """BankingProductRateTierV4.rateApplicationMethod."""

    PER_TIER = "PER_TIER"
    WHOLE_BALANCE = "WHOLE_BALANCE"


class RateApplicabilityType(models.TextChoices):
    """BankingProductRateConditionV2.rateApplicabilityType."""

    MIN_DEPOSITS = "MIN_DEPOSITS"
    MIN_DEPOSIT_AMOUNT = "MIN_DEPOSIT_AMOUNT"
    DEPOSIT_BALANCE_INCREASED = "DEPOSIT_BALANCE_INCREASED"
    EXISTING_CUST = "EXISTING_CUST"
    NEW_ACCOUNTS = "NEW_ACCOUNTS"
    NEW_CUSTOMER = "NEW_CUSTOMER"
    NEW_CUSTOMER_TO_GROUP = "NEW_CUSTOMER_TO_GROUP"
    ONLINE_ONLY = "ONLINE_ONLY"
    OTHER = "OTHER"
    MIN_PURCHASES = "MIN_PURCHASES"
    MAX_WITHDRAWALS = "MAX_WITHDRAWALS"
    MAX_WITHDRAWAL_AMOUNT = "MAX_WITHDRAWAL_AMOUNT"


# --- accounts --------------------------------------------------------------------------


class OpenStatus(models.TextChoices):
    """BankingAccountV3.openStatus."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


class AccountOwnership(models.TextChoices):
    """BankingAccountV3.accountOwnership."""

    UNKNOWN = "UNKNOWN"
    ONE_PARTY = "ONE_PARTY"
    TWO_PARTY = "TWO_PARTY"
    MANY_PARTY = "MANY_PARTY"
    OTHER = "OTHER"


class MaturityInstructions(models.TextChoices):
    """BankingTermDepositAccount.maturityInstructions."""

    HOLD_ON_MATURITY = "HOLD_ON_MATURITY"
    PAID_OUT_AT_MATURITY = "PAID_OUT_AT_MATURITY"
    ROLLED_OVER = "ROLLED_OVER"


class FeatureActivation(models.TextChoices):
    """BankingAccountDetailV5.features[].isActivated."""

    ACTIVATED = "ACTIVATED"
    NOT_ACTIVATED = "NOT_ACTIVATED"
    UNKNOWN = "UNKNOWN"


# --- transactions and payments ---------------------------------------------------------


class TransactionStatus(models.TextChoices):
    """BankingTransactionV2.status."""

    PENDING = "PENDING"
    POSTED = "POSTED"


class TransactionType(models.TextChoices):
    """BankingTransactionV2.type."""

    DIRECT_DEBIT = "DIRECT_DEBIT"
    FEE = "FEE"
    INTEREST_CHARGED = "INTEREST_CHARGED"
    INTEREST_PAID = "INTEREST_PAID"
    OTHER = "OTHER"
    PAYMENT = "PAYMENT"
    TRANSFER_INCOMING = "TRANSFER_INCOMING"
    TRANSFER_OUTGOING = "TRANSFER_OUTGOING"


# Sign convention (debits negative): these types only ever take money out, these put it in.
DEBIT_TRANSACTION_TYPES = (
    TransactionType.DIRECT_DEBIT,
    TransactionType.FEE,
    TransactionType.INTEREST_CHARGED,
    TransactionType.PAYMENT,
    TransactionType.TRANSFER_OUTGOING,
)
CREDIT_TRANSACTION_TYPES = (TransactionType.INTEREST_PAID, TransactionType.TRANSFER_INCOMING)


class ExtensionUType(models.TextChoices):
    """BankingTransactionDetailV3.extendedData.extensionUType (blank = no extension)."""

    NPP_PAYLOAD = "nppPayload"


class NppPaymentService(models.TextChoices):
    """NppPaymentService."""

    X2P1 = "X2P1"
    IFTI = "IFTI"
    BSCT = "BSCT"
    CATSCT = "CATSCT"


class PayeeType(models.TextChoices):
    """BankingPayeeV2.type."""

    BILLER = "BILLER"
    DIGITAL_WALLET = "DIGITAL_WALLET"
    DOMESTIC = "DOMESTIC"
    INTERNATIONAL = "INTERNATIONAL"


class DomesticPayeeAccountUType(models.TextChoices):
    """BankingDomesticPayee.payeeAccountUType."""

    ACCOUNT = "account"
    CARD = "card"
    PAY_ID = "payId"


class PayIdType(models.TextChoices):
    """BankingDomesticPayeePayId.type."""

    ABN = "ABN"
    EMAIL = "EMAIL"
    ORG_IDENTIFIER = "ORG_IDENTIFIER"
    TELEPHONE = "TELEPHONE"


class DigitalWalletType(models.TextChoices):
    """BankingDigitalWalletPayee.type."""

    EMAIL = "EMAIL"
    CONTACT_NAME = "CONTACT_NAME"
    TELEPHONE = "TELEPHONE"


class DigitalWalletProvider(models.TextChoices):
    """BankingDigitalWalletPayee.provider."""

    PAYPAL_AU = "PAYPAL_AU"
    OTHER = "OTHER"


class ScheduledPaymentStatus(models.TextChoices):
    """BankingScheduledPaymentV2.status."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    SKIP = "SKIP"


class RecurrenceUType(models.TextChoices):
    """BankingScheduledPaymentRecurrence.recurrenceUType."""

    ONCE_OFF = "onceOff"
    INTERVAL_SCHEDULE = "intervalSchedule"
    LAST_WEEK_DAY = "lastWeekDay"
    EVENT_BASED = "eventBased"


class NonBusinessDayTreatment(models.TextChoices):
    """BankingScheduledPaymentRecurrenceIntervalSchedule.nonBusinessDayTreatment."""

    AFTER = "AFTER"
    BEFORE = "BEFORE"
    ON = "ON"
    ONLY = "ONLY"


class WeekDay(models.TextChoices):
    """BankingScheduledPaymentRecurrenceLastWeekday.lastWeekDay."""

    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"


class ScheduledPaymentToUType(models.TextChoices):
    """BankingScheduledPaymentToV2.toUType: the two forms this holder stores.

    The inline forms (biller, digitalWallet, domestic, international) are not stored: every
    scheduled payment here targets one of the customer's accounts or a saved payee.
    """

    ACCOUNT_ID = "accountId"
    PAYEE_ID = "payeeId"


class InstalmentPlanStatus(models.TextChoices):
    """Get Instalment Plans `plan-status` values (a plan is ACTIVE or INACTIVE)."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
