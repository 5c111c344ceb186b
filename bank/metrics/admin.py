"""Read-only views of the recorded traffic: staff look, nobody edits (the Register reads the
same numbers through Get Metrics)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from bank.metrics.models import RequestBucket


@admin.register(RequestBucket)
class RequestBucketAdmin(admin.ModelAdmin):
    list_display = ("minute", "tier", "software_product_id", "status_code", "authenticated",
                    "customer_present", "count", "within_threshold")
    list_filter = ("tier", "authenticated", "customer_present", "status_code")
    search_fields = ("software_product_id",)
    date_hierarchy = "minute"
    ordering = ("-minute",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
