"""Data recipients and software products in the staff console.

Statuses come from the CDR Register (security/recipients/services.py) and are not edited
here. Staff with `recipients.suspend_softwareproduct` can stop a software product at this
bank alone (`suspended_locally`, which the Register poll never touches) and lift that stop.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from security.audit import Actor, ActorType, audit_record
from security.recipients.models import DataRecipient, SoftwareProduct

SOFTWARE_PRODUCT_SUSPENDED = "SOFTWARE_PRODUCT_SUSPENDED"
SOFTWARE_PRODUCT_REACTIVATED = "SOFTWARE_PRODUCT_REACTIVATED"


@transaction.atomic
def software_product_suspend_locally(*, product: SoftwareProduct, suspended: bool,
                                     actor: Actor) -> bool:
    """Set or lift the bank's own stop on a product; True if it changed (then audited).
    `is_active` is False while it is set: tokens, PAR, DCR and the resource APIs refuse."""
    locked = SoftwareProduct.objects.select_for_update().get(pk=product.pk)
    if locked.suspended_locally == suspended:
        return False
    locked.suspended_locally = suspended
    locked.save(update_fields=["suspended_locally", "updated_at"])
    audit_record(actor=actor,
                 event_type=SOFTWARE_PRODUCT_SUSPENDED if suspended
                 else SOFTWARE_PRODUCT_REACTIVATED,
                 subject_type="software_product", subject_id=str(locked.pk),
                 software_product_id=locked.software_product_id,
                 detail={"register_status": locked.status})
    return True


class SoftwareProductInline(admin.TabularInline):
    model = SoftwareProduct
    extra = 0
    fields = ("name", "software_product_id", "status", "suspended_locally", "client")
    readonly_fields = ("status", "suspended_locally")
    raw_id_fields = ("client",)


@admin.register(DataRecipient)
class DataRecipientAdmin(admin.ModelAdmin):
    list_display = ("legal_entity_name", "legal_entity_id", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("legal_entity_name", "legal_entity_id")
    inlines = [SoftwareProductInline]
    # A recipient is stopped at this bank through its software products (each audited); its
    # own status is the Register's.
    actions = ["suspend", "reactivate"]

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("recipients.suspend_softwareproduct"))

    def _set(self, request: HttpRequest, queryset: QuerySet[DataRecipient],
             suspended: bool) -> int:
        actor = Actor(ActorType.STAFF, str(request.user.pk))
        products = SoftwareProduct.objects.filter(recipient__in=queryset)
        return sum(software_product_suspend_locally(product=p, suspended=suspended, actor=actor)
                   for p in products)

    @admin.action(description="Suspend every software product of the selected recipients at "
                              "this bank", permissions=["suspend"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[DataRecipient]) -> None:
        done = self._set(request, queryset, True)
        self.message_user(request, f"Suspended {done} software product(s).", messages.SUCCESS)

    @admin.action(description="Lift the bank's suspension of the selected recipients' "
                              "software products", permissions=["suspend"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[DataRecipient]) -> None:
        done = self._set(request, queryset, False)
        self.message_user(request, f"Reactivated {done} software product(s).", messages.SUCCESS)


@admin.register(SoftwareProduct)
class SoftwareProductAdmin(admin.ModelAdmin):
    list_display = ("name", "recipient", "software_product_id", "status", "suspended_locally",
                    "served")
    list_filter = ("status", "suspended_locally", "recipient__status")
    list_select_related = ("recipient",)
    search_fields = ("name", "software_product_id", "recipient__legal_entity_name")
    raw_id_fields = ("client",)
    # Changed only through the audited actions below.
    readonly_fields = ("suspended_locally",)
    actions = ["suspend", "reactivate"]

    @admin.display(description="Served", boolean=True)
    def served(self, obj: SoftwareProduct) -> bool:
        return obj.is_active

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("recipients.suspend_softwareproduct"))

    def _set(self, request: HttpRequest, queryset: QuerySet[SoftwareProduct],
             suspended: bool) -> int:
        actor = Actor(ActorType.STAFF, str(request.user.pk))
        return sum(software_product_suspend_locally(product=p, suspended=suspended, actor=actor)
                   for p in queryset)

    @admin.action(description="Suspend the selected software products at this bank",
                  permissions=["suspend"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[SoftwareProduct]) -> None:
        done = self._set(request, queryset, True)
        self.message_user(request, f"Suspended {done} software product(s).", messages.SUCCESS)

    @admin.action(description="Lift the bank's suspension of the selected software products",
                  permissions=["suspend"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[SoftwareProduct]) -> None:
        done = self._set(request, queryset, False)
        self.message_user(request, f"Reactivated {done} software product(s).", messages.SUCCESS)
