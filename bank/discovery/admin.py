from django.contrib import admin

from bank.discovery import services
from bank.discovery.models import Incident, Outage
from security.audit import Actor, ActorType


def _staff(request) -> Actor:
    return Actor(ActorType.STAFF, str(request.user.pk))


@admin.register(Outage)
class OutageAdmin(admin.ModelAdmin):
    list_display = ("outage_time", "duration", "is_partial", "explanation", "updated_at")
    list_filter = ("is_partial",)
    search_fields = ("explanation",)
    date_hierarchy = "outage_time"
    # The services write OUTAGE_CHANGED: no generic admin event too (security/admin_audit.py).
    audits_its_own_writes = True

    def save_model(self, request, obj, form, change):
        services.outage_save(outage=obj, actor=_staff(request))

    def delete_model(self, request, obj):
        services.outage_delete(outage=obj, actor=_staff(request))

    def delete_queryset(self, request, queryset):
        for outage in queryset:
            services.outage_delete(outage=outage, actor=_staff(request))


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("status", "explanation", "detection_time", "expected_resolution_time",
                    "resolved_at")
    list_filter = ("status", ("resolved_at", admin.EmptyFieldListFilter))
    date_hierarchy = "detection_time"
    # The service writes SERVICE_STATUS_CHANGED: no generic admin event too.
    audits_its_own_writes = True

    def save_model(self, request, obj, form, change):
        services.incident_save(incident=obj, actor=_staff(request))

    def has_delete_permission(self, request, obj=None):
        return False  # incidents are resolved, not erased: they are the availability record
