"""Staff console for transactions and payment arrangements.

The transaction table holds millions of rows: no full COUNT(*) on the changelist, no facet
counts, foreign keys as raw ids, and search only by exact id / account id / MCC, or an
account number through its blind index (the text columns are encrypted). Account numbers
appear masked, never raw; every encrypted column is masked for staff who only view
(security/admin_masking.py).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Account
from bank.api.formatting import amount_string, masked_account_number
from security.admin_masking import MaskedFieldsMixin
from security.encryption.fields import blind_index
from security.staff.search import MIN_TERM_LENGTH, blind_index_search
from transactions import models


class NumericSearchMixin:
    """Search by exact numbers only: a non-numeric term on an `=id` field matches nothing
    instead of raising or scanning text columns."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if search_term and not search_term.strip().isdigit():
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]


def _masked(account: object) -> str:
    return masked_account_number(account.bsb, account.account_number)  # type: ignore[attr-defined]


@admin.register(models.Transaction)
class TransactionAdmin(MaskedFieldsMixin, NumericSearchMixin, admin.ModelAdmin):
    list_display = [
        "id", "account_id", "masked_account", "status", "type", "amount_display",
        "merchant_category_code", "execution_date_time", "posting_date_time",
    ]
    list_filter = ["status", "type", ("execution_date_time", admin.DateFieldListFilter)]
    list_select_related = ["account"]
    date_hierarchy = "execution_date_time"
    search_fields = ["=id", "=account__id", "=merchant_category_code"]
    search_help_text = ("Transaction id, account id, a four-digit merchant category code, or "
                        "an account number (exact).")
    raw_id_fields = ["account", "instalment_plan"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-id"]
    list_per_page = 50

    @admin.display(description="Account number")
    def masked_account(self, obj: models.Transaction) -> str:
        return _masked(obj.account)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term.isdigit() or len(term) < MIN_TERM_LENGTH:
            return found, duplicates
        # An account number, matched through the account's blind index, never by value: the
        # account ids first (an indexed lookup), then their transactions; limited and
        # audited (security/staff/search.py).
        digest = blind_index(Account, "account_number", term)
        by_number = blind_index_search(
            request, model="transactions.transaction", kind="account_number", term=term,
            run=lambda: queryset.filter(account_id__in=list(Account.objects.filter(
                account_number_index=digest).values_list("pk", flat=True))))
        return (found, duplicates) if by_number is None else (found | by_number, duplicates)

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj: models.Transaction) -> str | None:
        return amount_string(obj.amount)


@admin.register(models.Payee)
class PayeeAdmin(MaskedFieldsMixin, NumericSearchMixin, admin.ModelAdmin):
    list_display = ["id", "customer_id", "payee_type", "creation_date"]
    list_filter = ["payee_type", "domestic_account_utype"]
    search_fields = ["=id", "=customer__id"]
    raw_id_fields = ["customer"]
    show_full_result_count = False


@admin.register(models.DirectDebit)
class DirectDebitAdmin(MaskedFieldsMixin, NumericSearchMixin, admin.ModelAdmin):
    list_display = ["id", "account_id", "masked_account", "last_debit_date_time", "amount"]
    list_filter = [("last_debit_date_time", admin.DateFieldListFilter)]
    list_select_related = ["account"]
    search_fields = ["=id", "=account__id"]
    raw_id_fields = ["account"]
    show_full_result_count = False

    @admin.display(description="Account number")
    def masked_account(self, obj: models.DirectDebit) -> str:
        return _masked(obj.account)

    @admin.display(description="Last debit")
    def amount(self, obj: models.DirectDebit) -> str | None:
        return amount_string(obj.last_debit_amount)


class PaymentSetInline(MaskedFieldsMixin, admin.TabularInline):
    model = models.ScheduledPaymentSet
    extra = 0
    raw_id_fields = ["to_account", "to_payee"]


@admin.register(models.ScheduledPayment)
class ScheduledPaymentAdmin(MaskedFieldsMixin, NumericSearchMixin, admin.ModelAdmin):
    list_display = [
        "id", "from_account_id", "masked_account", "status", "recurrence_utype",
        "next_payment_date",
    ]
    list_filter = ["status", "recurrence_utype"]
    list_select_related = ["from_account"]
    search_fields = ["=id", "=from_account__id"]
    raw_id_fields = ["from_account"]
    show_full_result_count = False
    inlines = [PaymentSetInline]

    @admin.display(description="From account")
    def masked_account(self, obj: models.ScheduledPayment) -> str:
        return _masked(obj.from_account)


class ScheduleInline(admin.TabularInline):
    model = models.InstalmentPlanSchedule
    extra = 0


@admin.register(models.InstalmentPlan)
class InstalmentPlanAdmin(MaskedFieldsMixin, NumericSearchMixin, admin.ModelAdmin):
    list_display = [
        "id", "account_id", "masked_account", "status", "amount", "duration",
        "instalment_interval", "creation_date",
    ]
    list_filter = ["status", "duration", "instalment_interval"]
    list_select_related = ["account"]
    search_fields = ["=id", "=account__id", "=merchant_category_code"]
    raw_id_fields = ["account"]
    show_full_result_count = False
    inlines = [ScheduleInline]

    @admin.display(description="Account number")
    def masked_account(self, obj: models.InstalmentPlan) -> str:
        return _masked(obj.account)
