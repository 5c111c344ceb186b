from django.contrib import admin

from security.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the audit trail from the console."""

    list_display = ("seq", "occurred_at", "event_type", "outcome", "actor_type", "actor_id",
                    "subject_type", "subject_id", "software_product_id", "arrangement_id",
                    "interaction_id")
    list_filter = ("event_type", "outcome", "actor_type")
    search_fields = ("interaction_id", "subject_id", "actor_id", "software_product_id",
                     "arrangement_id")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
