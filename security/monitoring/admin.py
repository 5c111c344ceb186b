"""Alerts in the staff console: read-only, with an audited "acknowledge" action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from security.monitoring.models import Alert
from security.monitoring.services import alert_acknowledge


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("rule", "severity", "status", "software_product_id", "source_ip", "count",
                    "first_seen", "last_seen", "acknowledged_by", "acknowledged_at")
    list_filter = ("rule", "status", "severity", "software_product_id")
    list_select_related = ("acknowledged_by",)
    search_fields = ("software_product_id", "source_ip")
    date_hierarchy = "last_seen"
    fields = ("rule", "severity", "status", "software_product_id", "source_ip", "count",
              "first_seen", "last_seen", "detail", "acknowledged_by", "acknowledged_at")
    readonly_fields = fields
    actions = ["acknowledge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # alerts come from the detector only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what was seen stays

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is a read-only view; the only write is the acknowledge action.
        return request.method in {"GET", "HEAD"} and super().has_change_permission(request, obj)

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        # Acknowledging is a change: staff who may only view alerts cannot silence them.
        return request.user.has_perm("monitoring.change_alert")

    @admin.action(description="Acknowledge the selected alerts", permissions=["acknowledge"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        done = sum(alert_acknowledge(alert=alert, staff_user=request.user)
                   for alert in queryset.filter(status=Alert.Status.OPEN))
        self.message_user(request, f"Acknowledged {done} alert(s).", messages.SUCCESS)
