"""Money movements and payment arrangements: transactions, payees, direct debits,
scheduled payments and instalment plans (CDS 1.36.0 banking schemas named per class).

Sign convention: debits are negative, credits positive. Descriptions, references, merchant
names and payee details are sensitive: plain columns, no index, never filtered on (a later
issue encrypts them).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from accounts import choices
from accounts.choices import choices_check
from accounts.models import Account, Customer
from accounts.models.customers import CUSTOMER_KEY
from accounts.models.products import MONEY, RATE
from accounts.models.validators import (
    validate_currency,
    validate_intervals,
    validate_iso_duration,
    validate_mcc,
)
from security.encryption.fields import EncryptedCharField, EncryptedModel


def _currency_field() -> models.CharField:
    return models.CharField(max_length=3, default="AUD", validators=[validate_currency])


class InstalmentPlan(EncryptedModel):
    """BankingInstalmentPlan."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="instalment_plans")
    plan_reference = EncryptedCharField(max_length=100)
    merchant_name = EncryptedCharField(max_length=200)
    merchant_category_code = models.CharField(
        max_length=4, blank=True, default="", validators=[validate_mcc]
    )
    plan_nickname = EncryptedCharField(max_length=100)
    creation_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    plan_currency = _currency_field()
    plan_charge = models.DecimalField(**MONEY, null=True, blank=True)
    plan_rate = models.DecimalField(**RATE, null=True, blank=True)
    duration = models.CharField(max_length=20, validators=[validate_iso_duration])
    instalment_interval = models.CharField(max_length=20, validators=[validate_iso_duration])
    status = models.CharField(
        max_length=8,
        choices=choices.InstalmentPlanStatus.choices,
        default=choices.InstalmentPlanStatus.ACTIVE,
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="instalment_plan_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(plan_charge__isnull=True) | Q(plan_charge__gte=0),
                name="instalment_plan_charge_not_negative",
            ),
            models.CheckConstraint(
                condition=choices_check("status", choices.InstalmentPlanStatus),
                name="instalment_plan_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(duration="") & ~Q(instalment_interval=""),
                name="instalment_plan_has_duration_and_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"Instalment plan #{self.pk}"


class InstalmentPlanSchedule(models.Model):
    """BankingInstalmentPlanSchedule."""

    plan = models.ForeignKey(InstalmentPlan, on_delete=models.CASCADE, related_name="schedule")
    amount_due = models.DecimalField(**MONEY)
    due_date = models.DateField()
    is_paid = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_due__gt=0), name="instalment_schedule_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Instalment due {self.due_date}"


class Transaction(EncryptedModel):
    """BankingTransactionV2 / BankingTransactionDetailV3 (extendedData flattened)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transactions")
    status = models.CharField(max_length=8, choices=choices.TransactionStatus.choices)
    type = models.CharField(max_length=20, choices=choices.TransactionType.choices)
    amount = models.DecimalField(**MONEY)
    currency = _currency_field()
    description = EncryptedCharField(max_length=500)
    reference = EncryptedCharField(max_length=200, blank=True, default="")
    merchant_name = EncryptedCharField(max_length=200, blank=True, default="")
    merchant_category_code = models.CharField(
        max_length=4, blank=True, default="", validators=[validate_mcc]
    )
    biller_code = models.CharField(max_length=20, blank=True, default="")
    biller_name = EncryptedCharField(max_length=200, blank=True, default="")
    crn = EncryptedCharField("CRN", max_length=40, blank=True, default="")
    apca_number = models.CharField("APCA number", max_length=6, blank=True, default="")
    posting_date_time = models.DateTimeField(null=True, blank=True)
    value_date_time = models.DateTimeField(null=True, blank=True)
    execution_date_time = models.DateTimeField()
    # CDS "effective" time: posting time if posted, else execution time. Filtering by
    # oldest-time/newest-time and the descending order both use it, so it is stored and
    # indexed rather than computed per query (cds_banking.json, Get Transactions notes).
    effective_date_time = models.GeneratedField(
        expression=Coalesce("posting_date_time", "execution_date_time"),
        output_field=models.DateTimeField(),
        db_persist=True,
    )
    instalment_plan = models.ForeignKey(
        InstalmentPlan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
    )
    # extendedData
    payer = EncryptedCharField(max_length=200, blank=True, default="")
    payee = EncryptedCharField(max_length=200, blank=True, default="")
    extension_utype = models.CharField(
        max_length=16, blank=True, default="", choices=choices.ExtensionUType.choices
    )
    npp_extended_description = EncryptedCharField(max_length=500, blank=True, default="")
    npp_end_to_end_id = EncryptedCharField(max_length=35, blank=True, default="")
    npp_purpose_code = models.CharField(max_length=35, blank=True, default="")
    npp_service = models.CharField(
        max_length=8, blank=True, default="", choices=choices.NppPaymentService.choices
    )
    npp_service_version = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        ordering = ["-effective_date_time", "-id"]
        indexes = [
            # Serves a page of one account's history in one range scan, in answer order.
            models.Index(
                "account", F("effective_date_time").desc(), F("id").desc(),
                name="txn_account_effective",
            ),
            models.Index(fields=["account", "execution_date_time"], name="txn_account_executed"),
            models.Index(fields=["account", "posting_date_time"], name="txn_account_posted"),
            models.Index(fields=["account", "amount"], name="txn_account_amount"),
            # Admin date_hierarchy and global time ranges without a table scan.
            models.Index(fields=["execution_date_time"], name="txn_executed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", choices.TransactionStatus),
                name="txn_status_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("type", choices.TransactionType), name="txn_type_valid"
            ),
            models.CheckConstraint(
                condition=~Q(amount=0), name="txn_amount_non_zero",
                violation_error_message="A transaction moves money: amount is not zero.",
            ),
            models.CheckConstraint(
                condition=~Q(type__in=choices.DEBIT_TRANSACTION_TYPES) | Q(amount__lt=0),
                name="txn_debit_types_negative",
                violation_error_message="Debits (payments, fees, outgoing...) are negative.",
            ),
            models.CheckConstraint(
                condition=~Q(type__in=choices.CREDIT_TRANSACTION_TYPES) | Q(amount__gt=0),
                name="txn_credit_types_positive",
                violation_error_message="Credits (incoming, interest paid) are positive.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=choices.TransactionStatus.POSTED)
                    & Q(posting_date_time__isnull=False)
                )
                | (
                    Q(status=choices.TransactionStatus.PENDING)
                    & Q(posting_date_time__isnull=True)
                ),
                name="txn_posting_time_iff_posted",
                violation_error_message=(
                    "A posted transaction has a posting time; a pending one has none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(extension_utype="")
                | (
                    Q(extension_utype=choices.ExtensionUType.NPP_PAYLOAD)
                    & ~Q(npp_service="")
                    & ~Q(npp_service_version="")
                ),
                name="txn_npp_payload_complete",
                violation_error_message="An nppPayload extension needs service and version.",
            ),
            models.CheckConstraint(
                condition=choices_check("npp_service", choices.NppPaymentService, blank=True),
                name="txn_npp_service_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Transaction #{self.pk} {self.status} {self.type}"

    @property
    def is_detail_available(self) -> bool:
        return self.extension_utype != ""

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.amount is not None:
            if self.amount == 0:
                errors["amount"] = "Amount is not zero."
            elif self.type in choices.DEBIT_TRANSACTION_TYPES and self.amount > 0:
                errors["amount"] = f"A {self.type} transaction is a debit (negative)."
            elif self.type in choices.CREDIT_TRANSACTION_TYPES and self.amount < 0:
                errors["amount"] = f"A {self.type} transaction is a credit (positive)."
        if self.status == choices.TransactionStatus.POSTED and self.posting_date_time is None:
            errors["posting_date_time"] = "Required for a posted transaction."
        if self.status == choices.TransactionStatus.PENDING and self.posting_date_time:
            errors["posting_date_time"] = "A pending transaction is not posted yet."
        if self.extension_utype == choices.ExtensionUType.NPP_PAYLOAD:
            if not self.npp_service:
                errors["npp_service"] = "Required for an nppPayload."
            if not self.npp_service_version:
                errors["npp_service_version"] = "Required for an nppPayload."
        if errors:
            raise ValidationError(errors)


class TransactionDayCount(models.Model):
    """How many transactions an account has on each UTC day of their effective time.

    Get Transactions must say how many transactions match (meta.totalRecords), and counting
    100,000 index entries costs PostgreSQL about 9 ms a call: at a few hundred calls a
    second that alone would fill two cores. With these counts, a count over a time window is
    the sum of its whole days plus two range counts over its first and last (partial) days.

    Kept by database triggers (migrations 0006 and 0007), not by Python: INSERT, UPDATE,
    DELETE and (PostgreSQL) TRUNCATE from any path (bulk_create, queryset update and delete,
    the admin, a migration, SQL) keep it exact in the writing transaction itself. Writes
    that bypass triggers do not (a restore with triggers disabled, a replica in
    `session_replication_role = replica`, SQLite's INSERT OR REPLACE, which Django never
    issues): `manage.py transaction_day_counts --check` finds the damage and `--rebuild`
    repairs it. A migration that rebuilds `transactions_transaction` on SQLite drops the
    triggers, which tests/transactions/test_day_counts.py would catch; one that renames or
    re-creates `effective_date_time` or `account_id` must re-create the PostgreSQL
    function (it reads them by name; PostgreSQL does not track that).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # May reach 0 when a day's transactions are deleted; the row stays (harmless).
    count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="txn_day_count_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.count}"


class Payee(EncryptedModel):
    """BankingPayeeDetailV2. The type-specific member is stored in flat nullable columns,
    grouped by prefix (domestic_, biller_, international_, wallet_)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payees")
    payee_type = models.CharField(max_length=16, choices=choices.PayeeType.choices)
    # The customer's own data: sealed under their key, so erasing them shreds it too.
    nickname = EncryptedCharField(max_length=100, **CUSTOMER_KEY)
    description = EncryptedCharField(max_length=200, blank=True, default="", **CUSTOMER_KEY)
    creation_date = models.DateField(null=True, blank=True)

    # BankingDomesticPayee
    domestic_account_utype = models.CharField(
        max_length=8, blank=True, default="", choices=choices.DomesticPayeeAccountUType.choices
    )
    domestic_account_name = EncryptedCharField(
        max_length=200, blank=True, default="", **CUSTOMER_KEY
    )
    domestic_bsb = EncryptedCharField("BSB", max_length=7, blank=True, default="", **CUSTOMER_KEY)
    domestic_account_number = EncryptedCharField(
        max_length=34, blank=True, default="", **CUSTOMER_KEY
    )
    domestic_card_number = EncryptedCharField(max_length=19, blank=True, default="", **CUSTOMER_KEY)
    domestic_payid_name = EncryptedCharField(
        "PayID name", max_length=200, blank=True, default="", **CUSTOMER_KEY
    )
    domestic_payid_identifier = EncryptedCharField(
        "PayID identifier", max_length=256, blank=True, default="", **CUSTOMER_KEY
    )
    domestic_payid_type = models.CharField(
        "PayID type", max_length=16, blank=True, default="", choices=choices.PayIdType.choices
    )
    # BankingBillerPayee
    biller_code = models.CharField(max_length=20, blank=True, default="")
    biller_name = models.CharField(max_length=200, blank=True, default="")
    biller_crn = EncryptedCharField("CRN", max_length=40, blank=True, default="", **CUSTOMER_KEY)
    # BankingInternationalPayee
    international_beneficiary_name = EncryptedCharField(
        max_length=200, blank=True, default="", **CUSTOMER_KEY
    )
    international_beneficiary_country = models.CharField(max_length=3, blank=True, default="")
    international_beneficiary_message = EncryptedCharField(
        max_length=200, blank=True, default="", **CUSTOMER_KEY
    )
    international_bank_country = models.CharField(max_length=3, blank=True, default="")
    international_account_number = EncryptedCharField(
        max_length=34, blank=True, default="", **CUSTOMER_KEY
    )
    international_bank_address_name = EncryptedCharField(
        max_length=200, blank=True, default="", **CUSTOMER_KEY
    )
    international_bank_address = EncryptedCharField(
        max_length=500, blank=True, default="", **CUSTOMER_KEY
    )
    international_bic = models.CharField("BIC", max_length=11, blank=True, default="")
    international_fed_wire_number = models.CharField(max_length=9, blank=True, default="")
    international_sort_code = models.CharField(max_length=6, blank=True, default="")
    international_chip_number = models.CharField(max_length=6, blank=True, default="")
    international_routing_number = models.CharField(max_length=9, blank=True, default="")
    international_legal_entity_identifier = models.CharField(
        max_length=20, blank=True, default=""
    )
    # BankingDigitalWalletPayee
    wallet_name = EncryptedCharField(max_length=200, blank=True, default="", **CUSTOMER_KEY)
    wallet_identifier = EncryptedCharField(max_length=256, blank=True, default="", **CUSTOMER_KEY)
    wallet_type = models.CharField(
        max_length=16, blank=True, default="", choices=choices.DigitalWalletType.choices
    )
    wallet_provider = models.CharField(
        max_length=16, blank=True, default="", choices=choices.DigitalWalletProvider.choices
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["customer", "payee_type"], name="payee_customer_type")]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("payee_type", choices.PayeeType),
                name="payee_type_valid",
            ),
            models.CheckConstraint(
                condition=~Q(payee_type=choices.PayeeType.DOMESTIC)
                | (
                    Q(domestic_account_utype=choices.DomesticPayeeAccountUType.ACCOUNT)
                    & ~Q(domestic_bsb="")
                    & ~Q(domestic_account_number="")
                )
                | (
                    Q(domestic_account_utype=choices.DomesticPayeeAccountUType.CARD)
                    & ~Q(domestic_card_number="")
                )
                | (
                    Q(domestic_account_utype=choices.DomesticPayeeAccountUType.PAY_ID)
                    & ~Q(domestic_payid_identifier="")
                    & Q(domestic_payid_type__in=choices.PayIdType.values)
                ),
                name="payee_domestic_details",
                violation_error_message=(
                    "A domestic payee has a BSB and account number, a card number, or a PayID "
                    "identifier and type."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(payee_type=choices.PayeeType.BILLER)
                | (~Q(biller_code="") & ~Q(biller_name="")),
                name="payee_biller_details",
                violation_error_message="A biller payee has a biller code and name.",
            ),
            models.CheckConstraint(
                condition=~Q(payee_type=choices.PayeeType.INTERNATIONAL)
                | (
                    ~Q(international_beneficiary_country="")
                    & ~Q(international_bank_country="")
                    & ~Q(international_account_number="")
                ),
                name="payee_international_details",
                violation_error_message=(
                    "An international payee has beneficiary country, bank country and account "
                    "number."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(payee_type=choices.PayeeType.DIGITAL_WALLET)
                | (
                    ~Q(wallet_name="")
                    & ~Q(wallet_identifier="")
                    & Q(wallet_type__in=choices.DigitalWalletType.values)
                    & Q(wallet_provider__in=choices.DigitalWalletProvider.values)
                ),
                name="payee_wallet_details",
                violation_error_message=(
                    "A digital wallet payee has name, identifier, type and provider."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Payee #{self.pk} ({self.payee_type})"

    @property
    def payee_utype(self) -> str:
        """BankingPayeeDetailV2.payeeUType, which follows from the type."""
        return {
            choices.PayeeType.BILLER: "biller",
            choices.PayeeType.DIGITAL_WALLET: "digitalWallet",
            choices.PayeeType.DOMESTIC: "domestic",
            choices.PayeeType.INTERNATIONAL: "international",
        }[choices.PayeeType(self.payee_type)]


class DirectDebit(models.Model):
    """BankingDirectDebit with its BankingAuthorisedEntity flattened."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="direct_debits")
    authorised_entity_description = models.CharField(max_length=200, blank=True, default="")
    authorised_entity_financial_institution = models.CharField(
        max_length=200, blank=True, default=""
    )
    authorised_entity_abn = models.CharField("ABN", max_length=14, blank=True, default="")
    authorised_entity_acn = models.CharField("ACN", max_length=11, blank=True, default="")
    authorised_entity_arbn = models.CharField("ARBN", max_length=11, blank=True, default="")
    last_debit_date_time = models.DateTimeField(null=True, blank=True)
    last_debit_amount = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(authorised_entity_description="")
                | ~Q(authorised_entity_financial_institution=""),
                name="direct_debit_entity_identified",
                violation_error_message="Name the authorised entity or its institution.",
            ),
            models.CheckConstraint(
                condition=Q(last_debit_amount__isnull=True)
                | Q(last_debit_date_time__isnull=False),
                name="direct_debit_amount_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Direct debit #{self.pk}"


class ScheduledPayment(EncryptedModel):
    """BankingScheduledPaymentV2 with its recurrence member flattened."""

    from_account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="scheduled_payments"
    )
    nickname = EncryptedCharField(max_length=100, blank=True, default="")
    payer_reference = EncryptedCharField(max_length=100, blank=True, default="")
    payee_reference = EncryptedCharField(max_length=100, blank=True, default="")
    status = models.CharField(
        max_length=8,
        choices=choices.ScheduledPaymentStatus.choices,
        default=choices.ScheduledPaymentStatus.ACTIVE,
    )
    recurrence_utype = models.CharField(max_length=20, choices=choices.RecurrenceUType.choices)
    next_payment_date = models.DateField(null=True, blank=True)
    # onceOff
    payment_date = models.DateField(null=True, blank=True)
    # intervalSchedule and lastWeekDay
    final_payment_date = models.DateField(null=True, blank=True)
    payments_remaining = models.PositiveIntegerField(null=True, blank=True)
    non_business_day_treatment = models.CharField(
        max_length=8, blank=True, default="", choices=choices.NonBusinessDayTreatment.choices
    )
    intervals = models.JSONField(default=list, blank=True, validators=[validate_intervals])
    # lastWeekDay
    interval = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_iso_duration]
    )
    last_week_day = models.CharField(
        max_length=3, blank=True, default="", choices=choices.WeekDay.choices
    )
    # eventBased
    event_description = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("recurrence_utype", choices.RecurrenceUType),
                name="scheduled_payment_utype_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("status", choices.ScheduledPaymentStatus),
                name="scheduled_payment_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence_utype=choices.RecurrenceUType.ONCE_OFF)
                | Q(payment_date__isnull=False),
                name="scheduled_payment_once_off_has_date",
                violation_error_message="A onceOff payment has a payment date.",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence_utype=choices.RecurrenceUType.INTERVAL_SCHEDULE)
                | ~Q(intervals=[]),
                name="scheduled_payment_interval_schedule_has_intervals",
                violation_error_message="An intervalSchedule has at least one interval.",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence_utype=choices.RecurrenceUType.LAST_WEEK_DAY)
                | (~Q(interval="") & Q(last_week_day__in=choices.WeekDay.values)),
                name="scheduled_payment_last_week_day_complete",
                violation_error_message="A lastWeekDay recurrence has an interval and a day.",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence_utype=choices.RecurrenceUType.EVENT_BASED)
                | ~Q(event_description=""),
                name="scheduled_payment_event_based_has_description",
                violation_error_message="An eventBased recurrence has a description.",
            ),
        ]

    def __str__(self) -> str:
        return f"Scheduled payment #{self.pk} ({self.recurrence_utype})"

    def clean(self) -> None:
        super().clean()
        utype = self.recurrence_utype
        if utype == choices.RecurrenceUType.ONCE_OFF and self.payment_date is None:
            raise ValidationError({"payment_date": "Required for a onceOff payment."})
        if utype == choices.RecurrenceUType.INTERVAL_SCHEDULE and not self.intervals:
            raise ValidationError({"intervals": "An intervalSchedule has at least one interval."})
        if utype == choices.RecurrenceUType.LAST_WEEK_DAY and not (
            self.interval and self.last_week_day
        ):
            raise ValidationError("A lastWeekDay recurrence has an interval and a day.")
        if utype == choices.RecurrenceUType.EVENT_BASED and not self.event_description:
            raise ValidationError({"event_description": "Required for an eventBased payment."})


class ScheduledPaymentSet(EncryptedModel):
    """BankingScheduledPaymentSetV2 (one destination and amount of a scheduled payment)."""

    scheduled_payment = models.ForeignKey(
        ScheduledPayment, on_delete=models.CASCADE, related_name="payment_set"
    )
    position = models.PositiveIntegerField(default=0)
    to_utype = models.CharField(max_length=16, choices=choices.ScheduledPaymentToUType.choices)
    to_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_payee = models.ForeignKey(
        Payee, null=True, blank=True, on_delete=models.PROTECT, related_name="scheduled_sets"
    )
    nickname = EncryptedCharField(max_length=100, blank=True, default="")
    payee_reference = EncryptedCharField(max_length=100, blank=True, default="")
    is_amount_calculated = models.BooleanField(default=False)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = _currency_field()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(to_utype=choices.ScheduledPaymentToUType.ACCOUNT_ID)
                    & Q(to_account__isnull=False)
                    & Q(to_payee__isnull=True)
                )
                | (
                    Q(to_utype=choices.ScheduledPaymentToUType.PAYEE_ID)
                    & Q(to_payee__isnull=False)
                    & Q(to_account__isnull=True)
                ),
                name="scheduled_set_target_matches_utype",
                violation_error_message="toUType accountId needs an account; payeeId a payee.",
            ),
            models.CheckConstraint(
                condition=Q(is_amount_calculated=True) | Q(amount__isnull=False),
                name="scheduled_set_amount_known_or_calculated",
                violation_error_message="Give an amount unless it is calculated.",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="scheduled_set_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment set #{self.pk} ({self.to_utype})"

    def clean(self) -> None:
        super().clean()
        if self.to_utype == choices.ScheduledPaymentToUType.ACCOUNT_ID and (
            self.to_account_id is None or self.to_payee_id is not None
        ):
            raise ValidationError("toUType accountId needs an account and no payee.")
        if self.to_utype == choices.ScheduledPaymentToUType.PAYEE_ID and (
            self.to_payee_id is None or self.to_account_id is not None
        ):
            raise ValidationError("toUType payeeId needs a payee and no account.")
        if not self.is_amount_calculated and self.amount is None:
            raise ValidationError({"amount": "Give an amount unless it is calculated."})

