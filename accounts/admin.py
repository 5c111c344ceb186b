"""Staff console for customers, logins, products and accounts.

Sensitive columns are encrypted: lists and detail pages show them masked
(security/admin_masking.py), with an Unmask link for staff allowed to unmask, and search
finds exact values through the blind indexes (an email, an account number) or ids, never
with a LIKE over ciphertext.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts import models
from bank.api.formatting import amount_string, masked_account_number
from security.admin_masking import MaskedFieldsMixin, MaskedInline
from security.audit import Actor, ActorType, audit_record
from security.encryption.fields import blind_index, normalise_digits
from security.login.models import LoginThrottle
from security.staff.search import MIN_TERM_LENGTH, blind_index_search

CUSTOMER_LOGIN_LOCKED = "CUSTOMER_LOGIN_LOCKED"
CUSTOMER_LOGIN_UNLOCKED = "CUSTOMER_LOGIN_UNLOCKED"


def _staff(request: HttpRequest) -> Actor:
    return Actor(ActorType.STAFF, str(request.user.pk))


@transaction.atomic
def customer_login_lock(*, customer: models.Customer, locked: bool, actor: Actor) -> int:
    """Lock (or unlock) every login of the customer: an inactive user fails authentication
    (ModelBackend), whatever the password. Unlocking also clears the logins' failure
    throttles, so the customer is not met by a lock-out staff just lifted. Returns how many
    logins changed; audited only when something did."""
    logins = list(models.User.objects.select_for_update().filter(customer=customer,
                                                                 is_staff=False))
    changed = [user for user in logins if user.is_active == locked]
    for user in changed:
        user.is_active = not locked
        user.save(update_fields=["is_active"])
    if not locked:
        # Imported here: the login services import this app's models.
        from security.login.services import identifier_digest, normalise_identifier

        LoginThrottle.objects.filter(identifier_digest__in=[
            identifier_digest(normalise_identifier(user.username)) for user in logins
        ]).update(failures=0, locked_until=None)
    if changed:
        audit_record(actor=actor,
                     event_type=CUSTOMER_LOGIN_LOCKED if locked else CUSTOMER_LOGIN_UNLOCKED,
                     subject_type="customer", subject_id=str(customer.pk),
                     detail={"logins": [user.pk for user in changed]})
    return len(changed)


@admin.register(models.User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["id", "username", "customer_id", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["=id", "username"]
    raw_id_fields = ["customer"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Customer", {"fields": ("customer",)}))
    #: What only a superuser may grant: with these, accounts.change_user would be a way to
    #: give oneself (or anyone) every permission.
    PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [f for f in self.PRIVILEGE_FIELDS if f not in readonly]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser (the break-glass account) is changed only by a superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


class PhoneInline(MaskedInline):
    model = models.CustomerPhoneNumber
    fields = ["purpose", "is_preferred", "full_number"]


class EmailInline(MaskedInline):
    model = models.CustomerEmailAddress
    fields = ["purpose", "is_preferred", "address"]


class AddressInline(MaskedInline):
    model = models.CustomerAddress
    fields = ["purpose", "address_utype", "mailing_name", "address_line1"]


class HoldingInline(MaskedInline):
    model = models.AccountHolder
    fk_name = "customer"
    fields = ["account"]


@admin.register(models.Customer)
class CustomerAdmin(MaskedFieldsMixin, admin.ModelAdmin):
    # Names are sensitive: the list identifies customers by id and type only.
    list_display = ["id", "customer_type", "organisation_type", "login_locked",
                    "last_update_time"]
    list_filter = ["customer_type", "organisation_type"]
    search_fields = ["=id"]
    search_help_text = "A customer id, or an email address (exact, case-insensitive)."
    date_hierarchy = "last_update_time"
    # Phones, addresses and holdings are listed read-only: with every row an editable form,
    # a customer with a few of each posted more than DATA_UPLOAD_MAX_NUMBER_FIELDS (100)
    # fields and the save failed. Emails too: their one field of interest is encrypted.
    inlines = [PhoneInline, EmailInline, AddressInline, HoldingInline]
    actions = ["erase_customers", "lock_logins", "unlock_logins"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A customer is mostly personal data, which the console never edits (admin_masking):
        # customers come from the bank's core systems.
        return False

    @admin.display(description="Login locked", boolean=True)
    def login_locked(self, obj: models.Customer) -> bool | None:
        states = {user.is_active for user in obj.users.all()}
        return None if not states else states == {False}

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Customer]:
        return super().get_queryset(request).prefetch_related("users")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            # Exact match through the blind index: the HMAC of the normalised address.
            digest = blind_index(models.CustomerEmailAddress, "address", term)
            found = blind_index_search(
                request, model="accounts.customer", kind="email", term=term,
                run=lambda: queryset.filter(email_addresses__address_index=digest).distinct())
            return (queryset.none(), False) if found is None else (found, True)
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        return queryset.none(), False

    def has_lock_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.lock_customer"))

    @admin.action(description="Lock the selected customers' logins", permissions=["lock"])
    def lock_logins(self, request: HttpRequest, queryset: QuerySet[models.Customer]) -> None:
        done = sum(customer_login_lock(customer=c, locked=True, actor=_staff(request))
                   for c in queryset)
        self.message_user(request, f"Locked {done} login(s).", messages.SUCCESS)

    @admin.action(description="Unlock the selected customers' logins", permissions=["lock"])
    def unlock_logins(self, request: HttpRequest, queryset: QuerySet[models.Customer]) -> None:
        done = sum(customer_login_lock(customer=c, locked=False, actor=_staff(request))
                   for c in queryset)
        self.message_user(request, f"Unlocked {done} login(s).", messages.SUCCESS)

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
class AccountAdmin(MaskedFieldsMixin, admin.ModelAdmin):
    list_display = [
        "id", "masked_number", "product_name", "category", "ownership", "open_status",
        "current_balance",
    ]
    list_filter = ["open_status", "ownership", "product__category"]
    list_select_related = ["product", "balance"]
    search_fields = ["=id", "=account_holders__customer__id"]
    search_help_text = "An account id, a customer id or an account number (exact)."
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
        term = search_term.strip()
        if not term:
            return queryset, False
        if not normalise_digits(term):
            return queryset.none(), False
        # Ids for a plain number (not sensitive); an account number through its blind index,
        # as a limited, audited search (security/staff/search.py).
        by_id = queryset.filter(Q(pk=int(term)) | Q(account_holders__customer__id=int(term))
                                ) if term.isdigit() else queryset.none()
        if len(normalise_digits(term)) < MIN_TERM_LENGTH:
            return by_id.distinct(), True
        digest = blind_index(models.Account, "account_number", term)
        by_number = blind_index_search(
            request, model="accounts.account", kind="account_number", term=normalise_digits(term),
            run=lambda: queryset.filter(account_number_index=digest))
        return (by_id if by_number is None else by_id | by_number).distinct(), True
