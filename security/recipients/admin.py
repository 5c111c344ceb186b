from django.contrib import admin

from security.recipients.models import DataRecipient, SoftwareProduct


class SoftwareProductInline(admin.TabularInline):
    model = SoftwareProduct
    extra = 0
    fields = ("name", "software_product_id", "status", "client")
    raw_id_fields = ("client",)


@admin.register(DataRecipient)
class DataRecipientAdmin(admin.ModelAdmin):
    list_display = ("legal_entity_name", "legal_entity_id", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("legal_entity_name", "legal_entity_id")
    inlines = [SoftwareProductInline]


@admin.register(SoftwareProduct)
class SoftwareProductAdmin(admin.ModelAdmin):
    list_display = ("name", "recipient", "software_product_id", "status")
    list_filter = ("status", "recipient__status")
    search_fields = ("name", "software_product_id", "recipient__legal_entity_name")
    raw_id_fields = ("client",)
