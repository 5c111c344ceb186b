"""Staff console for customers, logins, products and accounts.

Rules for every list page here: account numbers only ever masked, search only on
non-sensitive columns (ids, categories), because sensitive columns are about to become
encrypted and could not be searched anyway.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import models
from bank.api.formatting import amount_string, masked_account_number
from security.audit import Actor, ActorType


@admin.register(models.User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["id", "username", "customer_id", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["=id", "username"]
    raw_id_fields = ["customer"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Customer", {"fields": ("customer",)}))


class PhoneInline(admin.TabularInline):
    model = models.CustomerPhoneNumber
    extra = 0


class EmailInline(admin.TabularInline):
    model = models.CustomerEmailAddress
    extra = 0


class AddressInline(admin.StackedInline):
    model = models.CustomerAddress
    extra = 0


class HoldingInline(admin.TabularInline):
    model = models.AccountHolder
    extra = 0
    raw_id_fields = ["account"]
    fk_name = "customer"


@admin.register(models.Customer)
class CustomerAdmin(admin.ModelAdmin):
    # Names are sensitive: the list identifies customers by id and type only.
    list_display = ["id", "customer_type", "organisation_type", "last_update_time"]
    list_filter = ["customer_type", "organisation_type"]
    search_fields = ["=id"]
    date_hierarchy = "last_update_time"
    inlines = [PhoneInline, EmailInline, AddressInline, HoldingInline]
    actions = ["erase_customers"]

    @admin.action(description="Erase: destroy the customers' keys (irreversible)",
                  permissions=["delete"])
    def erase_customers(self, request: HttpRequest, queryset: QuerySet[models.Customer]) -> None:
        # Imported here: the admin module must load before the consent app's services.
        from security.consent.erasure import customer_erase

        actor = Actor(ActorType.STAFF, str(request.user.pk))
        for customer in queryset:
            customer_erase(customer=customer, actor=actor)
        self.message_user(request, f"Erased {queryset.count()} customer(s): their personal "
                                   "data can no longer be decrypted.")


class CardArtInline(admin.TabularInline):
    model = models.ProductCardArt
    extra = 0


class BundleInline(admin.TabularInline):
    model = models.ProductBundle
    extra = 0


class FeatureInline(admin.TabularInline):
    model = models.ProductFeature
    extra = 0


class ConstraintInline(admin.TabularInline):
    model = models.ProductConstraint
    extra = 0


class EligibilityInline(admin.TabularInline):
    model = models.ProductEligibility
    extra = 0


class FeeInline(admin.StackedInline):
    model = models.ProductFee
    extra = 0
    show_change_link = True


class DepositRateInline(admin.StackedInline):
    model = models.ProductDepositRate
    extra = 0


class LendingRateInline(admin.StackedInline):
    model = models.ProductLendingRate
    extra = 0


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "brand", "product_id", "is_tailored", "last_updated"]
    list_filter = ["category", "brand", "is_tailored"]
    search_fields = ["name", "=product_id"]
    readonly_fields = ["product_id"]
    inlines = [
        CardArtInline,
        BundleInline,
        FeatureInline,
        ConstraintInline,
        EligibilityInline,
        FeeInline,
        DepositRateInline,
        LendingRateInline,
    ]


class FeeDiscountInline(admin.StackedInline):
    model = models.ProductFeeDiscount
    extra = 0


@admin.register(models.ProductFee)
class ProductFeeAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "fee_type", "fee_method_utype", "amount", "rate"]
    list_filter = ["fee_type", "fee_method_utype"]
    list_select_related = ["product"]
    search_fields = ["name", "product__name"]
    inlines = [FeeDiscountInline]


class HolderInline(admin.TabularInline):
    model = models.AccountHolder
    extra = 0
    raw_id_fields = ["customer"]


class BalanceInline(admin.StackedInline):
    model = models.Balance
    extra = 0


class TermDepositInline(admin.TabularInline):
    model = models.TermDeposit
    extra = 0


class CreditCardInline(admin.StackedInline):
    model = models.CreditCardDetail
    extra = 0


class LoanInline(admin.StackedInline):
    model = models.LoanDetail
    extra = 0
    raw_id_fields = ["offset_accounts"]
    fk_name = "account"


class AccountFeatureInline(admin.TabularInline):
    model = models.AccountFeature
    extra = 0


@admin.register(models.Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "id", "masked_number", "product_name", "category", "ownership", "open_status",
        "current_balance",
    ]
    list_filter = ["open_status", "ownership", "product__category"]
    list_select_related = ["product", "balance"]
    search_fields = ["=id", "=account_holders__customer__id"]
    raw_id_fields = ["product"]
    show_full_result_count = False
    inlines = [
        HolderInline, BalanceInline, TermDepositInline, CreditCardInline, LoanInline,
        AccountFeatureInline,
    ]

    @admin.display(description="Account number")
    def masked_number(self, obj: models.Account) -> str:
        return masked_account_number(obj.bsb, obj.account_number)

    @admin.display(description="Product", ordering="product__name")
    def product_name(self, obj: models.Account) -> str:
        return obj.product.name

    @admin.display(description="Category", ordering="product__category")
    def category(self, obj: models.Account) -> str:
        return obj.product.category

    @admin.display(description="Current balance")
    def current_balance(self, obj: models.Account) -> str | None:
        balance = getattr(obj, "balance", None)
        return None if balance is None else amount_string(balance.current_balance)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # "=id" lookups on integer columns: ignore terms that are not numbers.
        if search_term and not search_term.strip().isdigit():
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)
